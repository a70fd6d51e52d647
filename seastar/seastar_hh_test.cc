// <seastar/core/seastar.hh> alone gives a program both the network functions
// and the file functions.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "seastar/core/coroutine.hh"
#include "seastar/core/seastar.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/tmp_file.hh"

namespace {

using namespace seastar;
namespace fs = std::filesystem;

fs::path test_root() {
    auto d = std::getenv("TEST_TMPDIR");
    return d ? fs::path(d) : default_tmpdir();
}

socket_address loopback(uint16_t port = 0) {
    return socket_address(ipv4_addr("127.0.0.1", port));
}

} // namespace

SEASTAR_TEST_CASE(seastar_hh, echo_over_loopback_then_record_in_a_file) {
    auto ss = seastar::listen(loopback());
    auto addr = ss.local_address();
    EXPECT_NE(addr.port(), 0);
    auto server = [&ss]() -> future<> {
        auto ar = co_await ss.accept();
        auto in = ar.connection.input();
        auto out = ar.connection.output();
        auto req = co_await in.read_exactly(5);
        co_await out.write(std::move(req));
        co_await out.flush();
        co_await out.close();
        co_await in.close();
    }();
    auto c = co_await seastar::connect(addr, socket_address(ipv4_addr("127.0.0.1", 0)), transport::TCP);
    EXPECT_EQ(c.remote_address(), addr);
    auto in = c.input();
    auto out = c.output();
    co_await out.write("hello");
    co_await out.flush();
    auto echoed = co_await in.read_exactly(5);
    EXPECT_EQ(std::string(echoed.get(), echoed.size()), "hello");
    auto eof = co_await in.read();
    EXPECT_TRUE(eof.empty());
    co_await out.close();
    co_await in.close();
    co_await std::move(server);

    // The file functions through the same header: record the echoed length.
    auto d = co_await make_tmp_dir(test_root());
    auto name = (d.get_path() / "echoed").native();
    EXPECT_FALSE(co_await file_exists(name));
    auto f = co_await open_file_dma(name, open_flags::rw | open_flags::create);
    co_await f.truncate(echoed.size());
    co_await f.close();
    EXPECT_TRUE(co_await file_exists(name));
    EXPECT_EQ(co_await file_size(name), 5u);
    co_await remove_file(name);
    co_await d.remove();
}

SEASTAR_TEST_CASE(seastar_hh, datagram_channels) {
    auto server = seastar::make_bound_datagram_channel(loopback());
    auto client = seastar::make_unbound_datagram_channel(AF_INET);
    co_await client.send(server.local_address(), "ping");
    seastar::net::datagram d = co_await server.receive();
    EXPECT_EQ(d.get_data().len(), 4u);
    client.close();
    server.close();
}

SEASTAR_TEST_CASE(seastar_hh, errors_come_back_in_the_future) {
    // A port nobody listens on any more: the connect fails with ECONNREFUSED.
    uint16_t port;
    {
        auto ss = seastar::listen(loopback());
        port = ss.local_address().port();
    }
    std::error_code ec;
    try {
        co_await seastar::connect(loopback(port));
    } catch (const std::system_error& e) {
        ec = e.code();
    }
    EXPECT_EQ(ec, std::errc::connection_refused);

    // A missing file without open_flags::create.
    auto d = co_await make_tmp_dir(test_root());
    ec = {};
    try {
        co_await open_file_dma((d.get_path() / "missing").native(), open_flags::ro);
    } catch (const std::system_error& e) {
        ec = e.code();
    }
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
    co_await d.remove();
}
