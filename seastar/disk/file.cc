#include "seastar/core/file.hh"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "seastar/core/coroutine.hh"
#include "seastar/core/queue.hh"

namespace seastar {

namespace {

future<temporary_buffer<uint8_t>> read_bulk(file_impl& impl, uint64_t offset, size_t range, io_intent* intent) {
    uint64_t align = impl._disk_read_dma_alignment;
    uint64_t start = offset - offset % align;
    uint64_t end = (offset + range + align - 1) / align * align;
    auto buf = temporary_buffer<uint8_t>::aligned(impl._memory_dma_alignment, size_t(end - start));
    size_t got = 0;
    while (got < buf.size()) {
        auto n = co_await impl.read_dma(start + got, buf.get_write() + got, buf.size() - got, intent);
        got += n;
        if (n == 0 || got % align) {
            break; // the end of the file
        }
    }
    auto front = size_t(offset - start);
    if (got <= front) {
        co_return temporary_buffer<uint8_t>();
    }
    buf.trim(std::min(got, front + range));
    buf.trim_front(front);
    co_return buf;
}

template <typename T>
future<T> not_supported(const char* what) noexcept {
    return make_exception_future<T>(
        std::system_error(ENOTSUP, std::system_category(), std::string(what) + " is not supported by this file"));
}

} // namespace

future<temporary_buffer<uint8_t>> file_impl::dma_read_bulk(uint64_t offset, size_t range_size, io_intent* intent) {
    return read_bulk(*this, offset, range_size, intent);
}

future<int> file_impl::ioctl(uint64_t, void*) noexcept {
    return not_supported<int>("ioctl");
}

future<int> file_impl::ioctl_short(uint64_t, void*) noexcept {
    return not_supported<int>("ioctl");
}

future<int> file_impl::fcntl(int, uintptr_t) noexcept {
    return not_supported<int>("fcntl");
}

future<int> file_impl::fcntl_short(int, uintptr_t) noexcept {
    return not_supported<int>("fcntl");
}

std::unique_ptr<file_handle_impl> file_impl::dup() {
    throw std::runtime_error("this kind of file cannot be shared with other shards (file::dup)");
}

coroutine::experimental::generator<directory_entry> file_impl::experimental_list_directory() {
    // list_directory() pushes into a small queue the generator pops; an empty
    // optional ends it. The listing holds the queue too: if the consumer
    // drops the generator early, the queue is aborted and the listing stops
    // at its next entry.
    auto q = make_lw_shared<queue<std::optional<directory_entry>>>(16);
    auto sub = list_directory([q](directory_entry de) { return q->push_eventually(std::move(de)); });
    (void)sub.done().then_wrapped([q](future<> f) {
        if (f.failed()) {
            q->abort(f.get_exception());
            return make_ready_future<>();
        }
        return q->push_eventually(std::nullopt).handle_exception([](std::exception_ptr) {});
    });
    struct abort_on_exit {
        lw_shared_ptr<queue<std::optional<directory_entry>>> q;
        ~abort_on_exit() { q->abort(std::make_exception_ptr(std::runtime_error("directory listing abandoned"))); }
    } guard{q};
    for (;;) {
        auto de = co_await q->pop_eventually();
        if (!de) {
            co_return;
        }
        co_yield std::move(*de);
    }
}

future<> file::set_inode_lifetime_hint(uint64_t hint) noexcept {
    // F_SET_RW_HINT takes a pointer to the value, which must outlive the call.
    auto value = std::make_unique<uint64_t>(hint);
    auto p = value.get();
    return fcntl(F_SET_RW_HINT, uintptr_t(p)).then([value = std::move(value)](int) {});
}

future<uint64_t> file::get_inode_lifetime_hint() noexcept {
    auto value = std::make_unique<uint64_t>(0);
    auto p = value.get();
    return fcntl(F_GET_RW_HINT, uintptr_t(p)).then([value = std::move(value)](int) { return *value; });
}

subscription<directory_entry> file::list_directory(std::function<future<>(directory_entry de)> next) {
    return _file_impl->list_directory(std::move(next));
}

coroutine::experimental::generator<directory_entry> file::experimental_list_directory() {
    return _file_impl->experimental_list_directory();
}

} // namespace seastar
