#include "seastar/core/file.hh"

#include <algorithm>
#include <stdexcept>

#include "seastar/core/coroutine.hh"

namespace seastar {

namespace {

future<temporary_buffer<char>> read_bulk_impl(std::shared_ptr<file_impl> impl, uint64_t offset, size_t range,
                                              io_intent* intent) {
    uint64_t align = impl->_disk_read_dma_alignment;
    uint64_t start = offset - offset % align;
    uint64_t end = (offset + range + align - 1) / align * align;
    auto buf = temporary_buffer<char>::aligned(impl->_memory_dma_alignment, size_t(end - start));
    size_t got = 0;
    while (got < buf.size()) {
        auto n = co_await impl->read_dma(start + got, buf.get_write() + got, buf.size() - got, intent);
        got += n;
        if (n == 0 || got % align) {
            break; // the end of the file
        }
    }
    auto front = size_t(offset - start);
    if (got <= front) {
        co_return temporary_buffer<char>();
    }
    buf.trim(std::min(got, front + range));
    buf.trim_front(front);
    co_return buf;
}

} // namespace

future<temporary_buffer<char>> file::read_bulk(uint64_t offset, size_t range_size, io_intent* intent) noexcept {
    return futurize_invoke(read_bulk_impl, _file_impl, offset, range_size, intent);
}

subscription<directory_entry> file::list_directory(std::function<future<>(directory_entry de)> next) {
    return _file_impl->list_directory(std::move(next));
}

std::unique_ptr<file_handle_impl> file_impl::dup() {
    throw std::runtime_error("this kind of file cannot be shared with other shards (file::dup)");
}

} // namespace seastar
