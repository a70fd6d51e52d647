#include "seastar/core/iostream.hh"

#include <stdexcept>

namespace seastar {

namespace {

std::exception_ptr no_impl() {
    return std::make_exception_ptr(std::logic_error("data_source/data_sink used without an implementation"));
}

} // namespace

future<temporary_buffer<char>> data_source_impl::skip(uint64_t n) {
    while (true) {
        auto buf = co_await get();
        if (buf.size() >= n) {
            buf.trim_front(n);
            co_return buf;
        }
        if (buf.empty()) {
            co_return buf;
        }
        n -= buf.size();
    }
}

future<temporary_buffer<char>> data_source::get() noexcept {
    if (!_dsi) {
        return make_exception_future<temporary_buffer<char>>(no_impl());
    }
    try {
        return _dsi->get();
    } catch (...) {
        return make_exception_future<temporary_buffer<char>>(std::current_exception());
    }
}

future<temporary_buffer<char>> data_source::skip(uint64_t n) noexcept {
    if (!_dsi) {
        return make_exception_future<temporary_buffer<char>>(no_impl());
    }
    try {
        return _dsi->skip(n);
    } catch (...) {
        return make_exception_future<temporary_buffer<char>>(std::current_exception());
    }
}

future<> data_source::close() noexcept {
    if (!_dsi) {
        return make_ready_future<>();
    }
    try {
        return _dsi->close();
    } catch (...) {
        return make_exception_future<>(std::current_exception());
    }
}

future<> data_sink_impl::put(std::vector<temporary_buffer<char>> data) {
    net::packet p(data.size());
    for (auto& buf : data) {
        p = net::packet(std::move(p), std::move(buf));
    }
    return put(std::move(p));
}

future<> data_sink_impl::put(temporary_buffer<char> buf) {
    return put(net::packet(std::move(buf)));
}

namespace {

template <typename Func>
future<> call_sink(data_sink_impl* dsi, Func&& f) noexcept {
    if (!dsi) {
        return make_exception_future<>(no_impl());
    }
    try {
        return f(*dsi);
    } catch (...) {
        return make_exception_future<>(std::current_exception());
    }
}

} // namespace

future<> data_sink::put(std::vector<temporary_buffer<char>> data) noexcept {
    return call_sink(_dsi.get(), [&](data_sink_impl& s) { return s.put(std::move(data)); });
}

future<> data_sink::put(temporary_buffer<char> data) noexcept {
    return call_sink(_dsi.get(), [&](data_sink_impl& s) { return s.put(std::move(data)); });
}

future<> data_sink::put(net::packet p) noexcept {
    return call_sink(_dsi.get(), [&](data_sink_impl& s) { return s.put(std::move(p)); });
}

future<> data_sink::flush() noexcept {
    return call_sink(_dsi.get(), [](data_sink_impl& s) { return s.flush(); });
}

future<> data_sink::close() noexcept {
    if (!_dsi) {
        return make_ready_future<>();
    }
    return call_sink(_dsi.get(), [](data_sink_impl& s) { return s.close(); });
}

} // namespace seastar
