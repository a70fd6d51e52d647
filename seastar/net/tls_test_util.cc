#include "seastar/net/tls_test_util.hh"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "seastar/core/coroutine.hh"
#include "seastar/core/pipe.hh"
#include "seastar/core/pollable_fd.hh"
#include "seastar/core/sleep.hh"

extern char** environ;

namespace seastar::tls::testing {

namespace {

// Runs /bin/sh -c `script` in `dir`, blocking; throws on failure.
void run_shell(const std::string& script, const std::string& dir) {
    std::string full = "cd '" + dir + "' && " + script;
    const char* argv[] = {"/bin/sh", "-c", full.c_str(), nullptr};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ);
    if (rc != 0) {
        throw std::system_error(rc, std::system_category(), "posix_spawn /bin/sh");
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("certificate generation failed (status " + std::to_string(status) + ") in " + dir);
    }
}

const char* gen_script = R"(set -e
O="$1"
key() { "$O" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {
  key $1.key
  "$O" req -x509 -new -key $1.key -subj "/CN=$2" -days 3650 -out $1.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
ca ca "Test CA"
ca other_ca "Other CA"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' > leaf.ext
leaf() {
  key $1.key
  "$O" req -new -key $1.key -subj "/CN=$2" -out $1.csr
  "$O" x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -set_serial $4 -days 3650 -extfile leaf.ext -out $1.pem 2>/dev/null
}
leaf server localhost ca 1
leaf client client ca 2
leaf other localhost other_ca 3
key expired.key
"$O" req -new -key expired.key -subj "/CN=localhost" -out expired.csr
mkdir -p cadb && : > cadb/index.txt && echo 04 > cadb/serial
printf '[ca]\ndefault_ca = d\n[d]\ndir = .\ndatabase = cadb/index.txt\nserial = cadb/serial\nnew_certs_dir = cadb\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' > ca.cnf
"$O" ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200102000000Z -extfile leaf.ext -notext 2>/dev/null
cat server.pem ca.pem > server_chain.pem
"$O" x509 -in ca.pem -outform DER -out ca.der
"$O" x509 -in server.pem -outform DER -out server.der
"$O" pkey -in server.key -outform DER -out server.key.der
)";

std::string make_cert_dir() {
    const char* base = ::getenv("TEST_TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/tls_certs_XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
        throw std::system_error(errno, std::system_category(), "mkdtemp");
    }
    auto openssl = find_tool("openssl");
    if (openssl.empty()) {
        throw std::runtime_error("the openssl CLI is needed to generate test certificates");
    }
    {
        std::ofstream f(tmpl + "/gen.sh");
        f << gen_script;
    }
    run_shell("/bin/sh gen.sh '" + openssl + "' > gen.log 2>&1", tmpl);
    return tmpl;
}

class memory_source final : public data_source_impl {
    std::optional<pipe_reader<temporary_buffer<char>>> _r;

public:
    explicit memory_source(pipe_reader<temporary_buffer<char>> r) : _r(std::move(r)) {}
    future<temporary_buffer<char>> get() override {
        if (!_r) {
            return make_ready_future<temporary_buffer<char>>();
        }
        return _r->read().then(
            [](std::optional<temporary_buffer<char>> b) { return b ? std::move(*b) : temporary_buffer<char>(); });
    }
    future<> close() override {
        _r.reset();
        return make_ready_future<>();
    }
};

class memory_sink final : public data_sink_impl {
    std::optional<pipe_writer<temporary_buffer<char>>> _w;

public:
    explicit memory_sink(pipe_writer<temporary_buffer<char>> w) : _w(std::move(w)) {}
    future<> put(net::packet p) override {
        temporary_buffer<char> b(p.len());
        size_t off = 0;
        for (auto& f : p.fragments()) {
            std::memcpy(b.get_write() + off, f.base, f.size);
            off += f.size;
        }
        return put(std::move(b));
    }
    future<> put(temporary_buffer<char> b) override {
        if (!_w) {
            return make_exception_future<>(std::system_error(EPIPE, std::system_category(), "memory sink closed"));
        }
        if (b.empty()) {
            return make_ready_future<>();
        }
        return _w->write(std::move(b));
    }
    future<> close() override {
        _w.reset(); // the reader sees EOF
        return make_ready_future<>();
    }
};

class fd_source final : public data_source_impl {
    std::shared_ptr<pollable_fd> _fd;

public:
    explicit fd_source(std::shared_ptr<pollable_fd> fd) : _fd(std::move(fd)) {}
    future<temporary_buffer<char>> get() override {
        temporary_buffer<char> b(16384);
        auto n = co_await _fd->read_some(b.get_write(), b.size());
        b.trim(n);
        co_return b;
    }
};

class fd_sink final : public data_sink_impl {
    std::shared_ptr<pollable_fd> _fd;

public:
    explicit fd_sink(std::shared_ptr<pollable_fd> fd) : _fd(std::move(fd)) {}
    future<> put(net::packet p) override {
        for (auto& f : p.fragments()) {
            co_await _fd->write_all(f.base, f.size);
        }
    }
    future<> put(temporary_buffer<char> b) override { co_await _fd->write_all(b.get(), b.size()); }
    future<> close() override {
        _fd->shutdown(SHUT_WR);
        return make_ready_future<>();
    }
};

transport fd_transport(pollable_fd fd) {
    auto p = std::make_shared<pollable_fd>(std::move(fd));
    return transport{data_source(std::make_unique<fd_source>(p)), data_sink(std::make_unique<fd_sink>(p))};
}

} // namespace

std::string find_tool(const std::string& name) {
    std::vector<std::string> dirs = {"/usr/bin", "/bin", "/usr/local/bin"};
    if (const char* path = ::getenv("PATH")) {
        std::stringstream ss(path);
        std::string d;
        while (std::getline(ss, d, ':')) {
            if (!d.empty()) {
                dirs.push_back(d);
            }
        }
    }
    for (auto& d : dirs) {
        auto p = d + "/" + name;
        if (::access(p.c_str(), X_OK) == 0) {
            return p;
        }
    }
    return "";
}

const std::string& cert_dir() {
    static const std::string dir = make_cert_dir();
    return dir;
}

std::string cert_path(const std::string& name) {
    return cert_dir() + "/" + name;
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        throw std::runtime_error("cannot read " + path);
    }
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::pair<transport, transport> memory_transport_pair() {
    pipe<temporary_buffer<char>> a_to_b(16);
    pipe<temporary_buffer<char>> b_to_a(16);
    transport a{data_source(std::make_unique<memory_source>(std::move(b_to_a.reader))),
                data_sink(std::make_unique<memory_sink>(std::move(a_to_b.writer)))};
    transport b{data_source(std::make_unique<memory_source>(std::move(a_to_b.reader))),
                data_sink(std::make_unique<memory_sink>(std::move(b_to_a.writer)))};
    return {std::move(a), std::move(b)};
}

uint16_t pick_free_port() {
    auto l = pollable_fd::listen(seastar::internal::raw_socket_address::ipv4("127.0.0.1", 0));
    return l.local_address().port();
}

future<transport> tcp_connect(uint16_t port) {
    auto fd = pollable_fd::socket(AF_INET, SOCK_STREAM);
    co_await fd.connect(seastar::internal::raw_socket_address::ipv4("127.0.0.1", port));
    co_return fd_transport(std::move(fd));
}

future<transport> tcp_connect_retry(uint16_t port, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        try {
            co_return co_await tcp_connect(port);
        } catch (const std::system_error& e) {
            if (e.code().value() != ECONNREFUSED || std::chrono::steady_clock::now() > deadline) {
                throw;
            }
        }
        co_await sleep(std::chrono::milliseconds(20));
    }
}

struct tcp_listener::impl {
    pollable_fd fd;
};

tcp_listener::tcp_listener()
    : _impl(std::make_unique<impl>(
          impl{pollable_fd::listen(seastar::internal::raw_socket_address::ipv4("127.0.0.1", 0))})) {}
tcp_listener::~tcp_listener() = default;
tcp_listener::tcp_listener(tcp_listener&&) noexcept = default;

uint16_t tcp_listener::port() const {
    return _impl->fd.local_address().port();
}

future<transport> tcp_listener::accept() {
    auto [fd, addr] = co_await _impl->fd.accept();
    co_return fd_transport(std::move(fd));
}

process::process(std::vector<std::string> argv, const std::string& log_name) {
    _log = cert_dir() + "/" + log_name;
    int in_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::system_category(), "pipe2");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, _log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addchdir_np(&fa, cert_dir().c_str());
    std::vector<char*> args;
    for (auto& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    int rc = posix_spawn(&_pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in_pipe[0]);
    if (rc != 0) {
        ::close(in_pipe[1]);
        throw std::system_error(rc, std::system_category(), "posix_spawn " + argv[0]);
    }
    _stdin = in_pipe[1];
}

process::process(process&& o) noexcept
    : _pid(std::exchange(o._pid, -1)), _stdin(std::exchange(o._stdin, -1)), _log(std::move(o._log)),
      _reaped(std::exchange(o._reaped, true)) {}

process::~process() {
    kill();
    close_stdin();
}

void process::write_stdin(const std::string& s) {
    if (_stdin >= 0) {
        auto n = ::write(_stdin, s.data(), s.size());
        (void)n;
    }
}

void process::close_stdin() {
    if (_stdin >= 0) {
        ::close(_stdin);
        _stdin = -1;
    }
}

std::string process::output() const {
    try {
        return read_file(_log);
    } catch (...) {
        return "";
    }
}

future<bool> process::wait_for_output(std::string needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (output().find(needle) == std::string::npos) {
        if (std::chrono::steady_clock::now() > deadline) {
            co_return false;
        }
        co_await sleep(std::chrono::milliseconds(20));
    }
    co_return true;
}

future<std::optional<int>> process::wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!_reaped && _pid > 0) {
        int status = 0;
        pid_t r = ::waitpid(_pid, &status, WNOHANG);
        if (r == _pid) {
            _reaped = true;
            co_return status;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            co_return std::nullopt;
        }
        co_await sleep(std::chrono::milliseconds(20));
    }
    co_return std::nullopt;
}

void process::kill() {
    if (_pid > 0 && !_reaped) {
        ::kill(_pid, SIGKILL);
        int status;
        while (::waitpid(_pid, &status, 0) < 0 && errno == EINTR) {
        }
        _reaped = true;
    }
}

future<std::string> read_all(data_source& src, size_t limit) {
    std::string out;
    while (out.size() < limit) {
        auto b = co_await src.get();
        if (b.empty()) {
            break;
        }
        out.append(b.get(), b.size());
    }
    co_return out;
}

} // namespace seastar::tls::testing
