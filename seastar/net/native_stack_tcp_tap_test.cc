// TCP between the native stack and Linux's own TCP/IP stack, over a TAP
// device in a network namespace this test creates (unshare(CLONE_NEWNET) in
// main(), before any thread exists). Linux's side is tap0 = 192.0.2.1/24;
// our stack is 192.0.2.2. Needs root (CAP_NET_ADMIN), `ip`, `nc`
// (netcat-openbsd) and `curl`: without them every test is skipped, saying why.
#include <sched.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "seastar/core/coroutine.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/net/native-stack.hh"
#include "seastar/net/tap-device.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar::net {
namespace {

using namespace std::chrono_literals;

std::string skip_reason; // empty: the namespace and tap0 are ready

int sh(const std::string& cmd) {
    int r = std::system(cmd.c_str());
    return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

void write_file(const std::string& path, const std::string& data) {
    std::ofstream f(path);
    f << data;
}

std::string tmp_path(const std::string& name) {
    const char* d = std::getenv("TEST_TMPDIR");
    return std::string(d ? d : "/tmp") + "/" + name;
}

std::unique_ptr<native_network_stack> make_stack() {
    native_stack_options o;
    o.set("host-ipv4-addr", "192.0.2.2");
    o.set("gw-ipv4-addr", "192.0.2.1");
    o.set("netmask-ipv4-addr", "255.255.255.0");
    return make_native_stack(make_tap_device("tap0"), o);
}

// Printable, varied bytes (line-structured, so a mismatch is readable).
std::string body(std::size_t n) {
    std::string s;
    for (std::size_t line = 0; s.size() < n; ++line) {
        s += "line " + std::to_string(line) + " " + std::string(line % 61, char('a' + line % 26)) + "\n";
    }
    s.resize(n);
    return s;
}

future<std::string> read_all(input_stream<char>& in) {
    std::string s;
    for (;;) {
        auto b = co_await in.read();
        if (b.empty()) {
            co_return s;
        }
        s.append(b.get(), b.size());
    }
}

class tap : public ::testing::Test {
protected:
    void SetUp() override {
        if (!skip_reason.empty()) {
            GTEST_SKIP() << skip_reason;
        }
    }
};

// An HTTP/1.0-style server for one request: reads the header, answers with
// `content`, closes.
future<std::string> serve_http_once(server_socket& ss, const std::string& content) {
    auto ar = co_await ss.accept();
    auto in = ar.connection.input();
    auto out = ar.connection.output();
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
        auto b = co_await in.read();
        if (b.empty()) {
            break;
        }
        request.append(b.get(), b.size());
    }
    co_await out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                       std::to_string(content.size()) + "\r\n\r\n");
    co_await out.write(content);
    co_await out.close();
    co_await in.close();
    co_return request;
}

SEASTAR_TEST_F(tap, curl_from_linux_gets_a_page) {
    auto stack = make_stack();
    auto ss = stack->listen(socket_address(ipv4_addr(8080)), {});
    auto content = body(300000);
    auto server = serve_http_once(ss, content);
    auto out = tmp_path("curl_body");
    int rc = co_await engine().run_blocking(
        [out] { return sh("curl -s -S --max-time 20 -o " + out + " http://192.0.2.2:8080/hello"); });
    auto request = co_await std::move(server);
    EXPECT_EQ(rc, 0) << "curl failed";
    EXPECT_EQ(request.rfind("GET /hello HTTP/1.1\r\n", 0), 0u) << request;
    EXPECT_TRUE(read_file(out) == content) << "curl got " << read_file(out).size() << " bytes";
    EXPECT_EQ(stack->tcp().stats().passive_opens, 1u);
    ss.abort_accept();
}

future<> echo_once(server_socket& ss) {
    auto ar = co_await ss.accept();
    auto in = ar.connection.input();
    auto out = ar.connection.output();
    for (;;) {
        auto b = co_await in.read();
        if (b.empty()) {
            break;
        }
        co_await out.write(b.get(), b.size());
        co_await out.flush();
    }
    co_await out.close();
}

SEASTAR_TEST_F(tap, nc_from_linux_is_echoed) {
    auto stack = make_stack();
    auto ss = stack->listen(socket_address(ipv4_addr(7)), {});
    auto server = echo_once(ss);
    auto in = tmp_path("nc_in"), out = tmp_path("nc_out");
    auto data = body(100000);
    write_file(in, data);
    // -N: FIN after the input, so our server sees end of stream and closes.
    int rc =
        co_await engine().run_blocking([in, out] { return sh("timeout 20 nc -N 192.0.2.2 7 < " + in + " > " + out); });
    co_await std::move(server);
    EXPECT_EQ(rc, 0);
    EXPECT_TRUE(read_file(out) == data) << "echoed " << read_file(out).size() << " of " << data.size() << " bytes";
    ss.abort_accept();
}

SEASTAR_TEST_F(tap, linux_refuses_a_closed_port) {
    auto stack = make_stack();
    try {
        co_await stack->socket().connect(socket_address(ipv4_addr("192.0.2.1", 6999)));
        ADD_FAILURE() << "connected to a port nobody listens on";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ECONNREFUSED);
    }
}

SEASTAR_TEST_F(tap, our_client_reaches_a_linux_listener) {
    auto stack = make_stack();
    auto in = tmp_path("listener_in"), out = tmp_path("listener_out");
    write_file(in, "from-linux\n");
    bool done = false;
    // nc sends its input, then FIN (-N), and exits once we close too.
    auto listener =
        engine()
            .run_blocking([in, out] { return sh("timeout 20 nc -N -l 192.0.2.1 6001 < " + in + " > " + out); })
            .finally([&] { done = true; });
    connected_socket c;
    // nc may not be listening yet: retry refused connects (bounded).
    for (int i = 0; i < 200 && !done && !c; ++i) {
        try {
            c = co_await stack->socket().connect(socket_address(ipv4_addr("192.0.2.1", 6001)));
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code().value(), ECONNREFUSED);
        }
        if (!c) {
            co_await seastar::sleep(50ms);
        }
    }
    EXPECT_TRUE(bool(c)) << "never connected";
    if (c) {
        EXPECT_EQ(c.local_address().addr(), socket_address(ipv4_addr("192.0.2.2", 0)).addr());
        auto data = body(200000);
        auto o = c.output();
        auto i = c.input();
        co_await o.write(data);
        co_await o.close();
        auto got = co_await read_all(i);
        EXPECT_EQ(got, "from-linux\n");
        int rc = co_await std::move(listener);
        EXPECT_EQ(rc, 0);
        EXPECT_TRUE(read_file(out) == data) << "nc got " << read_file(out).size() << " of " << data.size() << " bytes";
    } else {
        co_await std::move(listener);
    }
}

} // namespace
} // namespace seastar::net

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    using seastar::net::sh;
    using seastar::net::skip_reason;
    if (::unshare(CLONE_NEWNET) != 0) {
        skip_reason = std::string("cannot create a network namespace (needs root): ") + std::strerror(errno);
    } else if (sh("command -v ip nc curl > /dev/null") != 0) {
        skip_reason = "needs ip (iproute2), nc (netcat-openbsd) and curl: run tools/setup";
    } else if (sh("ip link set lo up && ip tuntap add dev tap0 mode tap && ip link set tap0 up && "
                  "ip addr add 192.0.2.1/24 dev tap0") != 0) {
        skip_reason = "cannot create tap0 in the test's namespace";
    }
    return RUN_ALL_TESTS();
}
