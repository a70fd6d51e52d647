// Test helpers: run a body on N shards with an in-process memcached server on
// 127.0.0.1 (a free port), and small clients that speak the text and binary
// protocols over the framework's sockets. Test-only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "seastar/core/future.hh"
#include "seastar/net/api.hh"
#include "tools/memcached/binary_protocol.hh"
#include "tools/memcached/server.hh"

namespace seastar::memcache::testing {

// Runs `body` inside smp::run with `shards` shards; fails the gtest on error.
void run_on_shards(unsigned shards, std::function<future<>()> body);

// A server on 127.0.0.1 with `settings` (ports default to 0: free ports).
struct test_server {
    manual_clock_source clock;
    std::unique_ptr<server> srv;

    future<> start(server_settings settings = {}, bool udp = true);
    future<> stop();
    socket_address tcp_address() const;
    socket_address udp_address() const;
};

class text_client {
    connected_socket _s;
    input_stream<char> _in;
    output_stream<char> _out;
    std::string _pending;

public:
    static future<std::unique_ptr<text_client>> connect(socket_address addr);
    future<> send(std::string_view bytes);
    // Sends `req` and reads until the reply ends with `end` (default: one line).
    future<std::string> call(std::string_view req, std::string_view end = "\r\n");
    // Reads until the accumulated reply ends with `end`.
    future<std::string> read_until(std::string_view end);
    // Reads until the peer closes; returns what came.
    future<std::string> read_to_eof();
    future<> close();
};

// One binary request frame.
std::string binary_frame(uint8_t opcode, std::string_view key = {}, std::string_view extras = {},
                         std::string_view value = {}, uint64_t cas = 0, uint32_t opaque = 0);

struct binary_response {
    binary::header h;
    std::string extras;
    std::string key;
    std::string value;
};

class binary_client {
    connected_socket _s;
    input_stream<char> _in;
    output_stream<char> _out;

public:
    static future<std::unique_ptr<binary_client>> connect(socket_address addr);
    future<> send(std::string_view bytes);
    // Reads one response frame; a closed connection fails.
    future<binary_response> read();
    future<binary_response> call(std::string_view frame);
    // True when the peer closed (read returns nothing).
    future<bool> at_eof();
    future<> close();
};

} // namespace seastar::memcache::testing
