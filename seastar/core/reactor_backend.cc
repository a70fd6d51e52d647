#include "seastar/core/internal/reactor_backend.hh"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "seastar/core/internal/syscall_pool.hh"

namespace seastar::internal {

long perform_io_blocking(const io_request& req) noexcept {
    ssize_t r = -1;
    switch (req.op) {
    case io_request::operation::read:
        r = ::pread(req.fd, req.addr, req.size, off_t(req.pos));
        break;
    case io_request::operation::write:
        r = ::pwrite(req.fd, req.addr, req.size, off_t(req.pos));
        break;
    case io_request::operation::readv:
        r = ::preadv(req.fd, req.iov, int(req.iov_count), off_t(req.pos));
        break;
    case io_request::operation::writev:
        r = ::pwritev(req.fd, req.iov, int(req.iov_count), off_t(req.pos));
        break;
    case io_request::operation::fdatasync:
        r = ::fdatasync(req.fd);
        break;
    }
    return r < 0 ? -errno : long(r);
}

namespace {

class blocking_io_item final : public syscall_work_item {
    io_request _req;
    const char* _what;
    long _result = 0;

public:
    promise<size_t> pr;
    blocking_io_item(const io_request& req, const char* what) noexcept : _req(req), _what(what) {}
    void process() noexcept override { _result = perform_io_blocking(_req); }
    void complete() noexcept override {
        if (_result < 0) {
            pr.set_exception(std::make_exception_ptr(std::system_error(int(-_result), std::system_category(), _what)));
        } else {
            pr.set_value(size_t(_result));
        }
    }
};

struct registered_backend {
    std::string name;
    int preference;
    reactor_backend_factory factory;
};

// A function-local static: registrations run during static initialization,
// in no particular order across translation units.
std::vector<registered_backend>& registry() {
    static std::vector<registered_backend> r;
    return r;
}

} // namespace

future<size_t> submit_blocking_io(syscall_pool& pool, const io_request& req, const char* what) {
    auto item = std::make_unique<blocking_io_item>(req, what);
    auto f = item->pr.get_future();
    pool.submit(std::move(item));
    return f;
}

void register_reactor_backend(std::string_view name, int preference, reactor_backend_factory factory) {
    auto& r = registry();
    if (find_reactor_backend(name)) {
        return;
    }
    registered_backend b{std::string(name), preference, factory};
    auto pos = std::upper_bound(r.begin(), r.end(), b, [](const registered_backend& a, const registered_backend& c) {
        return a.preference < c.preference;
    });
    r.insert(pos, std::move(b));
}

std::vector<std::string> registered_reactor_backends() {
    std::vector<std::string> names;
    for (auto& b : registry()) {
        names.push_back(b.name);
    }
    return names;
}

reactor_backend_factory find_reactor_backend(std::string_view name) {
    for (auto& b : registry()) {
        if (b.name == name) {
            return b.factory;
        }
    }
    return nullptr;
}

} // namespace seastar::internal
