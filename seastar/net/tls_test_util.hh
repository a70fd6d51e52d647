// Helpers for the TLS tests: certificates generated with the openssl CLI,
// transports (in memory, over loopback TCP sockets), and peer processes.
//
// Test-only. Certificates are made once per process in $TEST_TMPDIR (or a
// fresh /tmp directory); generating them blocks (a fraction of a second).
// Processes are started with posix_spawn (safe under tsan), their stdout and
// stderr go to a log file, and they are killed when the handle goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"

namespace seastar::tls::testing {

// Files in the certificate directory: ca.pem, other_ca.pem (a second CA),
// server.{pem,key} (CN and SAN localhost / 127.0.0.1, signed by ca),
// client.{pem,key} (CN client, signed by ca), expired.{pem,key} (localhost,
// signed by ca, valid only in 2020), other.{pem,key} (localhost, signed by
// other_ca). Throws std::runtime_error if openssl is missing or fails.
const std::string& cert_dir();
std::string cert_path(const std::string& name);
std::string read_file(const std::string& path);

// An absolute path of an executable found in the usual places, or "".
std::string find_tool(const std::string& name);

struct transport {
    data_source source;
    data_sink sink;
};

// Two connected in-memory transports (what one writes the other reads).
std::pair<transport, transport> memory_transport_pair();

// Loopback TCP.
uint16_t pick_free_port();
future<transport> tcp_connect(uint16_t port);
// Connects, retrying while nothing listens yet (bounded by `timeout`).
future<transport> tcp_connect_retry(uint16_t port, std::chrono::milliseconds timeout);

class tcp_listener {
public:
    tcp_listener();
    ~tcp_listener();
    tcp_listener(tcp_listener&&) noexcept;
    uint16_t port() const;
    future<transport> accept();

private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

// A child process with its output captured.
class process {
public:
    // Starts argv[0] (an absolute path); throws std::system_error.
    explicit process(std::vector<std::string> argv, const std::string& log_name);
    process(process&&) noexcept;
    ~process(); // kills and reaps

    // Writes to the child's stdin (blocking pipe write; small amounts only).
    void write_stdin(const std::string& s);
    void close_stdin();
    std::string output() const;
    // Polls the log until it contains `needle`; false after `timeout`.
    future<bool> wait_for_output(std::string needle, std::chrono::milliseconds timeout);
    // Polls for exit; the exit status (as from waitpid), nullopt on timeout.
    future<std::optional<int>> wait_exit(std::chrono::milliseconds timeout);
    void kill();
    pid_t pid() const noexcept { return _pid; }

private:
    pid_t _pid = -1;
    int _stdin = -1;
    std::string _log;
    bool _reaped = false;
};

// Reads everything from `src` until EOF (bounded by `limit` bytes).
future<std::string> read_all(data_source& src, size_t limit = 1 << 24);

} // namespace seastar::tls::testing
