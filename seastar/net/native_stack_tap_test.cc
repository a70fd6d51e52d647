// The native stack against Linux's own TCP/IP stack, over a TAP device in a
// network namespace this test creates (unshare(CLONE_NEWNET) in main(),
// before any thread exists). Linux's side is tap0 = 192.0.2.1/24; our stack
// is 192.0.2.2. Needs root (CAP_NET_ADMIN) and `ip`, `ping`, `nc`
// (netcat-openbsd): without them every test is skipped, saying why.
#include <sched.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "seastar/core/coroutine.hh"
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

#define SKIP_UNLESS_READY()                                                                                            \
    if (!skip_reason.empty()) {                                                                                        \
        GTEST_SKIP() << skip_reason;                                                                                   \
    }

// Echoes one datagram back, upper-cased.
future<> echo_upper_once(udp_channel& ch) {
    auto d = co_await ch.receive();
    std::string s;
    for (auto& f : d.get_data().fragments()) {
        s.append(f.base, f.size);
    }
    for (auto& c : s) {
        c = char(std::toupper(uint8_t(c)));
    }
    co_await ch.send(d.get_src(), packet(s.data(), s.size()));
}

class tap : public ::testing::Test {
protected:
    void SetUp() override { SKIP_UNLESS_READY(); }
};

SEASTAR_TEST_F(tap, ping_from_linux_gets_replies) {
    auto stack = make_stack();
    int rc = co_await engine().run_blocking([] { return sh("ping -c 3 -i 0.2 -W 5 192.0.2.2 > /dev/null"); });
    EXPECT_EQ(rc, 0) << "ping from Linux got no replies";
    EXPECT_GE(stack->icmp().stats().echo_replies_sent, 3u);
    EXPECT_GE(stack->arp().stats().replies_sent, 1u); // Linux asked for our MAC
}

SEASTAR_TEST_F(tap, fragmented_ping_from_linux) {
    // 4000 bytes of ICMP: Linux fragments the request, we reassemble it and
    // fragment the reply, Linux reassembles that.
    auto stack = make_stack();
    int rc = co_await engine().run_blocking([] { return sh("ping -c 2 -i 0.2 -s 4000 -W 5 192.0.2.2 > /dev/null"); });
    EXPECT_EQ(rc, 0) << "large ping from Linux got no replies";
    EXPECT_GE(stack->ip().stats().reassembled, 2u);
    EXPECT_GE(stack->ip().stats().tx_fragments, 6u);
}

SEASTAR_TEST_F(tap, udp_from_linux_is_answered) {
    auto stack = make_stack();
    // The kernel offers checksum offload through the vnet header: our
    // replies leave their checksum to it, and its partial checksums reach us.
    EXPECT_TRUE(stack->ip().hw_features().tx_csum_l4_offload);
    EXPECT_TRUE(stack->ip().hw_features().rx_csum_offload);
    auto ch = stack->make_udp_channel(socket_address(ipv4_addr(5000)));
    auto server = echo_upper_once(ch);
    auto out = tmp_path("nc_reply");
    int rc = co_await engine().run_blocking(
        [out] { return sh("echo hello-from-linux | timeout 20 nc -u -w 3 192.0.2.2 5000 > " + out); });
    co_await std::move(server);
    EXPECT_EQ(read_file(out), "HELLO-FROM-LINUX\n") << "nc exit " << rc;
    ch.close();
}

SEASTAR_TEST_F(tap, udp_to_a_linux_listener) {
    auto stack = make_stack();
    auto ch = stack->make_udp_channel(socket_address());
    auto out = tmp_path("nc_listen");
    bool done = false;
    // nc exits after one datagram; we send until it has (it may not be listening yet).
    auto listener =
        engine().run_blocking([out] { return sh("timeout 20 nc -u -l -W 1 192.0.2.1 6000 > " + out); }).finally([&] {
            done = true;
        });
    for (int i = 0; i < 400 && !done; ++i) {
        co_await ch.send(socket_address(ipv4_addr("192.0.2.1", 6000)), "from-native\n");
        co_await seastar::sleep(50ms);
    }
    int rc = co_await std::move(listener);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(read_file(out).substr(0, 12), "from-native\n");
    ch.close();
}

SEASTAR_TEST_F(tap, registered_as_the_default_stack) {
    native_stack_options o;
    o.set("host-ipv4-addr", "192.0.2.2");
    o.set("gw-ipv4-addr", "192.0.2.1");
    register_native_stack(o);
    auto ch = seastar::make_udp_channel(socket_address(ipv4_addr(5001)));
    auto rcv = ch.receive();
    int rc = co_await engine().run_blocking(
        [] { return sh("echo via-default-stack | timeout 20 nc -u -w 1 192.0.2.2 5001 > /dev/null"); });
    auto d = co_await std::move(rcv);
    std::string s;
    for (auto& f : d.get_data().fragments()) {
        s.append(f.base, f.size);
    }
    EXPECT_EQ(s, "via-default-stack\n") << "nc exit " << rc;
    ch.close();
    // The stack belongs to this test's reactor.
    set_local_network_stack(nullptr);
}

} // namespace
} // namespace seastar::net

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    using seastar::net::sh;
    using seastar::net::skip_reason;
    if (::unshare(CLONE_NEWNET) != 0) {
        skip_reason = std::string("cannot create a network namespace (needs root): ") + std::strerror(errno);
    } else if (sh("command -v ip ping nc > /dev/null") != 0) {
        skip_reason = "needs ip (iproute2), ping (iputils-ping) and nc (netcat-openbsd): run tools/setup";
    } else if (sh("ip link set lo up && ip tuntap add dev tap0 mode tap && ip link set tap0 up && "
                  "ip addr add 192.0.2.1/24 dev tap0") != 0) {
        skip_reason = "cannot create tap0 in the test's namespace";
    }
    return RUN_ALL_TESTS();
}
