#include "tools/memcached/test_util.hh"

#include <gtest/gtest.h>

#include <stdexcept>

#include "seastar/core/coroutine.hh"
#include "seastar/core/smp.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar::memcache::testing {

void run_on_shards(unsigned shards, std::function<future<>()> body) {
    EXPECT_EQ(seastar::testing::run_on_shards(seastar::testing::smp_test_options(shards, true, size_t(512) << 20),
                                              std::move(body)),
              0);
}

future<> test_server::start(server_settings settings, bool udp) {
    settings.address = "127.0.0.1";
    // Free ports: tests run side by side, and 11211 (the default) may be taken.
    settings.tcp_port = 0;
    settings.udp_port = 0;
    settings.clock = &clock;
    srv = std::make_unique<server>(settings, udp);
    co_await srv->start();
}

future<> test_server::stop() {
    if (srv) {
        co_await srv->stop();
        srv.reset();
    }
}

socket_address test_server::tcp_address() const {
    return socket_address(ipv4_addr("127.0.0.1", srv->tcp_port()));
}

socket_address test_server::udp_address() const {
    return socket_address(ipv4_addr("127.0.0.1", srv->udp_port()));
}

future<std::unique_ptr<text_client>> text_client::connect(socket_address addr) {
    auto c = std::make_unique<text_client>();
    c->_s = co_await seastar::connect(addr);
    c->_in = c->_s.input();
    c->_out = c->_s.output();
    co_return c;
}

future<> text_client::send(std::string_view bytes) {
    co_await _out.write(bytes);
    co_await _out.flush();
}

future<std::string> text_client::read_until(std::string_view end) {
    for (;;) {
        if (_pending.size() >= end.size() && std::string_view(_pending).substr(_pending.size() - end.size()) == end) {
            co_return std::exchange(_pending, {});
        }
        auto b = co_await _in.read();
        if (b.empty()) {
            throw std::runtime_error("connection closed; got so far: " + _pending);
        }
        _pending.append(b.get(), b.size());
    }
}

future<std::string> text_client::call(std::string_view req, std::string_view end) {
    co_await send(req);
    co_return co_await read_until(end);
}

future<std::string> text_client::read_to_eof() {
    for (;;) {
        auto b = co_await _in.read();
        if (b.empty()) {
            co_return std::exchange(_pending, {});
        }
        _pending.append(b.get(), b.size());
    }
}

future<> text_client::close() {
    try {
        co_await _out.close();
    } catch (...) {
    }
    co_await _in.close();
}

std::string binary_frame(uint8_t opcode, std::string_view key, std::string_view extras, std::string_view value,
                         uint64_t cas, uint32_t opaque) {
    binary::header h;
    h.opcode = opcode;
    h.key_length = uint16_t(key.size());
    h.extras_length = uint8_t(extras.size());
    h.body_length = uint32_t(key.size() + extras.size() + value.size());
    h.opaque = opaque;
    h.cas = cas;
    std::string out;
    binary::encode_header(h, out);
    out.append(extras).append(key).append(value);
    return out;
}

future<std::unique_ptr<binary_client>> binary_client::connect(socket_address addr) {
    auto c = std::make_unique<binary_client>();
    c->_s = co_await seastar::connect(addr);
    c->_in = c->_s.input();
    c->_out = c->_s.output();
    co_return c;
}

future<> binary_client::send(std::string_view bytes) {
    co_await _out.write(bytes);
    co_await _out.flush();
}

future<binary_response> binary_client::read() {
    auto hb = co_await _in.read_exactly(binary::header_size);
    if (hb.size() != binary::header_size) {
        throw std::runtime_error("connection closed before a response header");
    }
    binary_response r;
    r.h = binary::decode_header(hb.get());
    auto body = co_await _in.read_exactly(r.h.body_length);
    if (body.size() != r.h.body_length) {
        throw std::runtime_error("connection closed inside a response body");
    }
    std::string_view b(body.get(), body.size());
    r.extras = std::string(b.substr(0, r.h.extras_length));
    r.key = std::string(b.substr(r.h.extras_length, r.h.key_length));
    r.value = std::string(b.substr(r.h.extras_length + r.h.key_length));
    co_return r;
}

future<binary_response> binary_client::call(std::string_view frame) {
    co_await send(frame);
    co_return co_await read();
}

future<bool> binary_client::at_eof() {
    auto b = co_await _in.read();
    co_return b.empty();
}

future<> binary_client::close() {
    try {
        co_await _out.close();
    } catch (...) {
    }
    co_await _in.close();
}

} // namespace seastar::memcache::testing
