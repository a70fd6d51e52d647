// The members of api.hh's classes (forwarding to the stack's impls), and the
// per-shard current stack.
#include "seastar/net/stack.hh"

#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace seastar {

namespace net {

namespace {

// Set once at start-up (static initialization or before shards start), read
// by every shard: guarded so a late registration is still race-free.
std::mutex default_factory_mutex;
network_stack_factory& default_factory() {
    static network_stack_factory f;
    return f;
}

thread_local std::unique_ptr<network_stack> local_stack;

} // namespace

void register_default_network_stack(network_stack_factory f) {
    std::lock_guard lock(default_factory_mutex);
    default_factory() = std::move(f);
}

network_stack& local_network_stack() {
    if (!local_stack) [[unlikely]] {
        network_stack_factory f;
        {
            std::lock_guard lock(default_factory_mutex);
            f = default_factory();
        }
        if (!f) {
            throw std::runtime_error("no network stack: link a stack implementation such as "
                                     "//seastar/net:posix_stack");
        }
        local_stack = f();
    }
    return *local_stack;
}

std::unique_ptr<network_stack> set_local_network_stack(std::unique_ptr<network_stack> s) {
    return std::exchange(local_stack, std::move(s));
}

future<connected_socket> network_stack::connect(socket_address sa, socket_address local, transport proto) {
    // The socket must live until the connect resolves.
    auto s = std::make_unique<::seastar::socket>(socket());
    auto f = s->connect(sa, local, proto);
    return f.finally([s = std::move(s)] {});
}

// ---- datagram_channel ----

datagram_channel::datagram_channel() noexcept = default;
datagram_channel::datagram_channel(std::unique_ptr<datagram_channel_impl> impl) noexcept : _impl(std::move(impl)) {}
datagram_channel::~datagram_channel() = default;
datagram_channel::datagram_channel(datagram_channel&&) noexcept = default;
datagram_channel& datagram_channel::operator=(datagram_channel&&) noexcept = default;

socket_address datagram_channel::local_address() const {
    return _impl->local_address();
}
future<datagram> datagram_channel::receive() {
    return _impl->receive();
}
future<> datagram_channel::send(const socket_address& dst, const char* msg) {
    return _impl->send(dst, msg);
}
future<> datagram_channel::send(const socket_address& dst, packet p) {
    return _impl->send(dst, std::move(p));
}
bool datagram_channel::is_closed() const {
    return _impl->is_closed();
}
void datagram_channel::shutdown_input() {
    _impl->shutdown_input();
}
void datagram_channel::shutdown_output() {
    _impl->shutdown_output();
}
void datagram_channel::close() {
    _impl->close();
}

datagram_channel network_stack::make_unbound_datagram_channel(sa_family_t family) {
    switch (family) {
    case AF_INET:
        return make_udp_channel(socket_address(ipv4_addr(0)));
    case AF_INET6:
        return make_udp_channel(socket_address(ipv6_addr()));
    default:
        throw std::system_error(EAFNOSUPPORT, std::system_category(),
                                "datagram channel: address family " + std::to_string(family) + " not supported");
    }
}

datagram_channel network_stack::make_bound_datagram_channel(const socket_address& local) {
    if (local.family() != AF_INET && local.family() != AF_INET6) {
        throw std::system_error(EAFNOSUPPORT, std::system_category(),
                                "datagram channel: address family " + std::to_string(local.family()) +
                                    " not supported");
    }
    return make_udp_channel(local);
}

} // namespace net

// ---- connected_socket ----

connected_socket::connected_socket() noexcept = default;
connected_socket::~connected_socket() = default;
connected_socket::connected_socket(std::unique_ptr<net::connected_socket_impl> csi) noexcept : _csi(std::move(csi)) {}
connected_socket::connected_socket(connected_socket&& cs) noexcept = default;
connected_socket& connected_socket::operator=(connected_socket&& cs) noexcept = default;

input_stream<char> connected_socket::input(connected_socket_input_stream_config csisc) {
    return input_stream<char>(_csi->source(csisc));
}

output_stream<char> connected_socket::output(size_t buffer_size) {
    output_stream_options opts;
    opts.batch_flushes = true;
    return output_stream<char>(_csi->sink(), buffer_size, opts);
}

void connected_socket::set_nodelay(bool nodelay) {
    _csi->set_nodelay(nodelay);
}
bool connected_socket::get_nodelay() const {
    return _csi->get_nodelay();
}
void connected_socket::set_keepalive(bool keepalive) {
    _csi->set_keepalive(keepalive);
}
bool connected_socket::get_keepalive() const {
    return _csi->get_keepalive();
}
void connected_socket::set_keepalive_parameters(const net::keepalive_params& p) {
    _csi->set_keepalive_parameters(p);
}
net::keepalive_params connected_socket::get_keepalive_parameters() const {
    return _csi->get_keepalive_parameters();
}
void connected_socket::set_sockopt(int level, int optname, const void* data, size_t len) {
    _csi->set_sockopt(level, optname, data, len);
}
int connected_socket::get_sockopt(int level, int optname, void* data, size_t len) const {
    return _csi->get_sockopt(level, optname, data, len);
}
socket_address connected_socket::local_address() const noexcept {
    return _csi->local_address();
}
socket_address connected_socket::remote_address() const noexcept {
    return _csi->remote_address();
}
void connected_socket::shutdown_output() {
    _csi->shutdown_output();
}
void connected_socket::shutdown_input() {
    _csi->shutdown_input();
}
future<> connected_socket::wait_input_shutdown() {
    return _csi->wait_input_shutdown();
}

// ---- socket ----

socket::~socket() = default;
socket::socket(std::unique_ptr<net::socket_impl> si) noexcept : _si(std::move(si)) {}
socket::socket(socket&&) noexcept = default;
socket& socket::operator=(socket&&) noexcept = default;

future<connected_socket> socket::connect(socket_address sa, socket_address local, transport proto) {
    return _si->connect(sa, local, proto);
}
void socket::set_reuseaddr(bool reuseaddr) {
    _si->set_reuseaddr(reuseaddr);
}
bool socket::get_reuseaddr() const {
    return _si->get_reuseaddr();
}
void socket::shutdown() {
    _si->shutdown();
}

// ---- server_socket ----

server_socket::server_socket() noexcept = default;
server_socket::server_socket(std::unique_ptr<net::server_socket_impl> ssi) noexcept : _ssi(std::move(ssi)) {}
server_socket::server_socket(server_socket&& ss) noexcept = default;
server_socket::~server_socket() = default;
server_socket& server_socket::operator=(server_socket&& cs) noexcept = default;

future<accept_result> server_socket::accept() {
    if (_aborted || !_ssi) {
        return make_exception_future<accept_result>(
            std::system_error(ECONNABORTED, std::system_category(), "accept: listener aborted"));
    }
    return _ssi->accept();
}

void server_socket::abort_accept() {
    if (_ssi && !_aborted) {
        _aborted = true;
        _ssi->abort_accept();
    }
}

socket_address server_socket::local_address() const noexcept {
    try {
        return _ssi ? _ssi->local_address() : socket_address();
    } catch (...) {
        return socket_address();
    }
}

// ---- free functions ----

server_socket listen(socket_address sa) {
    return net::local_network_stack().listen(sa, listen_options{});
}

server_socket listen(socket_address sa, listen_options opts) {
    return net::local_network_stack().listen(sa, opts);
}

future<connected_socket> connect(socket_address sa) {
    return connect(sa, socket_address(), transport::TCP);
}

future<connected_socket> connect(socket_address sa, socket_address local, transport proto) {
    try {
        return net::local_network_stack().connect(sa, local, proto);
    } catch (...) {
        return make_exception_future<connected_socket>(std::current_exception());
    }
}

socket make_socket() {
    return net::local_network_stack().socket();
}

net::udp_channel make_udp_channel() {
    return net::local_network_stack().make_udp_channel(socket_address());
}

net::udp_channel make_udp_channel(const socket_address& local) {
    return net::local_network_stack().make_udp_channel(local);
}

net::datagram_channel make_unbound_datagram_channel(sa_family_t family) {
    return net::local_network_stack().make_unbound_datagram_channel(family);
}

net::datagram_channel make_bound_datagram_channel(const socket_address& local) {
    return net::local_network_stack().make_bound_datagram_channel(local);
}

} // namespace seastar
