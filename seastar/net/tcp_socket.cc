#include "seastar/net/tcp_socket.hh"

#include <cerrno>
#include <deque>
#include <system_error>

#include <netinet/in.h>

#include "seastar/core/manual_clock.hh"

namespace seastar::net {

namespace {

template <typename Clock>
using conn_ptr = std::shared_ptr<typename basic_tcp<Clock>::connection>;

template <typename Clock>
class tcp_data_source final : public data_source_impl {
    conn_ptr<Clock> _c;
    std::deque<temporary_buffer<char>> _bufs;

    temporary_buffer<char> next() {
        auto b = std::move(_bufs.front());
        _bufs.pop_front();
        return b;
    }

public:
    explicit tcp_data_source(conn_ptr<Clock> c) : _c(std::move(c)) {}
    future<temporary_buffer<char>> get() override {
        if (!_bufs.empty()) {
            return make_ready_future<temporary_buffer<char>>(next());
        }
        return _c->wait_for_data().then([this] {
            auto p = _c->read();
            for (auto& b : p.release()) {
                if (b.size()) {
                    _bufs.push_back(std::move(b));
                }
            }
            if (_bufs.empty()) {
                return temporary_buffer<char>(); // end of stream
            }
            return next();
        });
    }
};

template <typename Clock>
class tcp_data_sink final : public data_sink_impl {
    conn_ptr<Clock> _c;

public:
    explicit tcp_data_sink(conn_ptr<Clock> c) : _c(std::move(c)) {}
    future<> put(packet p) override { return _c->send(std::move(p)); }
    future<> close() override {
        try {
            _c->shutdown_output();
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
        return make_ready_future<>();
    }
    std::size_t buffer_size() const noexcept override { return 65536; }
};

socket_address address_of(uint32_t ip, uint16_t port) {
    return socket_address(ipv4_addr(ip, port));
}

template <typename Clock>
class tcp_connected_socket final : public connected_socket_impl {
    conn_ptr<Clock> _c;

public:
    explicit tcp_connected_socket(typename basic_tcp<Clock>::connection c)
        : _c(std::make_shared<typename basic_tcp<Clock>::connection>(std::move(c))) {}
    data_source source() override { return data_source(std::make_unique<tcp_data_source<Clock>>(_c)); }
    data_sink sink() override { return data_sink(std::make_unique<tcp_data_sink<Clock>>(_c)); }
    void shutdown_input() override { _c->shutdown_input(); }
    void shutdown_output() override {
        if (_c->state() != tcp_state::closed) {
            _c->shutdown_output();
        }
    }
    void set_nodelay(bool v) override { _c->set_nodelay(v); }
    bool get_nodelay() const override { return _c->get_nodelay(); }
    void set_keepalive(bool v) override { _c->set_keepalive(v); }
    bool get_keepalive() const override { return _c->get_keepalive(); }
    void set_keepalive_parameters(const keepalive_params& p) override {
        auto tp = std::get_if<tcp_keepalive_params>(&p);
        if (!tp) {
            throw std::system_error(EINVAL, std::system_category(), "tcp: SCTP keepalive parameters");
        }
        _c->set_keepalive_parameters(*tp);
    }
    keepalive_params get_keepalive_parameters() const override { return _c->get_keepalive_parameters(); }
    void set_sockopt(int, int, const void*, size_t) override {
        throw std::system_error(ENOPROTOOPT, std::system_category(), "native tcp: socket options");
    }
    int get_sockopt(int, int, void*, size_t) const override {
        throw std::system_error(ENOPROTOOPT, std::system_category(), "native tcp: socket options");
    }
    socket_address local_address() const noexcept override { return address_of(_c->local_ip(), _c->local_port()); }
    socket_address remote_address() const noexcept override { return address_of(_c->remote_ip(), _c->remote_port()); }
    future<> wait_input_shutdown() override { return _c->wait_input_shutdown(); }
};

template <typename Clock>
class tcp_server_socket final : public server_socket_impl {
    typename basic_tcp<Clock>::listener _l;

public:
    explicit tcp_server_socket(typename basic_tcp<Clock>::listener l) : _l(std::move(l)) {}
    future<accept_result> accept() override {
        return _l.accept().then([](typename basic_tcp<Clock>::connection c) {
            auto remote = address_of(c.remote_ip(), c.remote_port());
            return accept_result{connected_socket(std::make_unique<tcp_connected_socket<Clock>>(std::move(c))), remote};
        });
    }
    void abort_accept() override { _l.abort_accept(); }
    socket_address local_address() const override { return address_of(_l.ip(), _l.port()); }
};

template <typename Clock>
class tcp_client_socket final : public socket_impl {
    basic_tcp<Clock>& _tcp;
    uint32_t _local_ip;
    abort_source _as;
    bool _reuseaddr = false;

public:
    tcp_client_socket(basic_tcp<Clock>& t, uint32_t ip) : _tcp(t), _local_ip(ip) {}
    future<connected_socket> connect(socket_address sa, socket_address local, transport proto) override {
        if (proto != transport::TCP) {
            return make_exception_future<connected_socket>(
                std::system_error(EPROTONOSUPPORT, std::system_category(), "native tcp: only TCP"));
        }
        if (sa.family() != AF_INET || (!local.is_unspecified() && local.family() != AF_INET)) {
            return make_exception_future<connected_socket>(
                std::system_error(EAFNOSUPPORT, std::system_category(), "native tcp: only IPv4"));
        }
        ipv4_addr remote(sa.as_posix_sockaddr_in());
        ipv4_addr from = local.is_unspecified() ? ipv4_addr() : ipv4_addr(local.as_posix_sockaddr_in());
        uint32_t ip = from.ip ? from.ip : _local_ip;
        return _tcp.connect(ip, remote.ip, remote.port, from.port, _as)
            .then([](typename basic_tcp<Clock>::connection c) {
                return connected_socket(std::make_unique<tcp_connected_socket<Clock>>(std::move(c)));
            });
    }
    void set_reuseaddr(bool v) override { _reuseaddr = v; }
    bool get_reuseaddr() const override { return _reuseaddr; }
    void shutdown() override { _as.request_abort(); }
};

} // namespace

template <typename Clock>
std::unique_ptr<socket_impl> make_tcp_socket_impl(basic_tcp<Clock>& tcp, uint32_t local_ip) {
    return std::make_unique<tcp_client_socket<Clock>>(tcp, local_ip);
}

template <typename Clock>
std::unique_ptr<connected_socket_impl> make_tcp_connected_socket_impl(typename basic_tcp<Clock>::connection c) {
    return std::make_unique<tcp_connected_socket<Clock>>(std::move(c));
}

template <typename Clock>
std::unique_ptr<server_socket_impl> make_tcp_server_socket_impl(typename basic_tcp<Clock>::listener l) {
    return std::make_unique<tcp_server_socket<Clock>>(std::move(l));
}

template std::unique_ptr<connected_socket_impl>
    make_tcp_connected_socket_impl<steady_clock_type>(basic_tcp<steady_clock_type>::connection);
template std::unique_ptr<connected_socket_impl>
    make_tcp_connected_socket_impl<manual_clock>(basic_tcp<manual_clock>::connection);
template std::unique_ptr<server_socket_impl>
    make_tcp_server_socket_impl<steady_clock_type>(basic_tcp<steady_clock_type>::listener);
template std::unique_ptr<server_socket_impl>
    make_tcp_server_socket_impl<manual_clock>(basic_tcp<manual_clock>::listener);

template std::unique_ptr<socket_impl> make_tcp_socket_impl<steady_clock_type>(basic_tcp<steady_clock_type>&, uint32_t);
template std::unique_ptr<socket_impl> make_tcp_socket_impl<manual_clock>(basic_tcp<manual_clock>&, uint32_t);

} // namespace seastar::net
