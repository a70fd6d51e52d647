// The client against our server (in-process, 127.0.0.1) and against nginx
// (started by the test on 127.0.0.1 with a temporary configuration):
// content-length and chunked replies, request bodies both ways, keep-alive
// reuse, the pool limit, the status check, the request timeout, and the
// retry of an idempotent request on a reused connection the server closed.
#include "seastar/http/client.hh"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "seastar/core/coroutine.hh"
#include "seastar/core/shared_future.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"
#include "seastar/core/timed_out_error.hh"
#include "seastar/core/when_all.hh"
#include "seastar/http/function_handlers.hh"
#include "seastar/http/httpd.hh"
#include "seastar/testing/seastar_test.hh"

using namespace seastar;
using namespace std::chrono_literals;
using http::experimental::client;

namespace {

void run_on_shards(unsigned shards, std::function<future<>()> body) {
    EXPECT_EQ(seastar::testing::run_on_shards(seastar::testing::smp_test_options(shards, true, size_t(256) << 20),
                                              std::move(body)),
              0);
}

struct slow_state {
    promise<> release;
    shared_future<> released{release.get_future()};
};

future<> start_server(httpd::http_server_control& ctl, std::shared_ptr<slow_state> slow,
                      std::chrono::milliseconds idle = 60s) {
    co_await ctl.start("client-test");
    co_await ctl.set_routes([slow](httpd::routes& r) {
        using namespace httpd;
        r.put(GET, "/", new function_handler([](const_req) { return "hello"; }, "txt"));
        r.put(POST, "/echo", new function_handler([](const_req req) { return req.content; }, "txt"));
        r.put(GET, "/stream", new function_handler([](const_req) {
                  return json::stream_range_as_array(std::vector<int>{1, 2, 3}, [](int i) { return i; });
              }));
        r.put(GET, "/slow",
              new function_handler([slow](std::unique_ptr<http::request>,
                                          std::unique_ptr<http::reply> rep) -> future<std::unique_ptr<http::reply>> {
                  co_await slow->released.get_future();
                  rep->write_body("txt", sstring("late"));
                  co_return rep;
              }));
    });
    co_await ctl.server().invoke_on_all([idle](httpd::http_server& s) { s.set_idle_timeout(idle); });
    co_await ctl.listen(socket_address(ipv4_addr("127.0.0.1", 0)));
}

// Waits (bounded) until the server has closed every connection.
future<> server_closed_all(httpd::http_server_control& ctl) {
    for (int i = 0; i < 3000; ++i) {
        auto open = co_await ctl.server().map_reduce0([](httpd::http_server& s) { return s.current_connections(); },
                                                      uint64_t(0), std::plus<uint64_t>());
        if (!open) {
            co_return;
        }
        co_await sleep(10ms);
    }
    ADD_FAILURE() << "the server kept its connections";
}

} // namespace

TEST(http_client, against_our_server) {
    run_on_shards(1, []() -> future<> {
        auto slow = std::make_shared<slow_state>();
        httpd::http_server_control ctl;
        co_await start_server(ctl, slow);
        client c(socket_address(ipv4_addr("127.0.0.1", ctl.port())));
        for (int i = 0; i < 5; ++i) {
            auto [rep, body] = co_await c.get(http::request::make("GET", "localhost", "/"));
            EXPECT_EQ(int(rep._status), 200);
            EXPECT_EQ(body, "hello");
            EXPECT_EQ(rep.content_length, 5u);
        }
        EXPECT_EQ(c.total_new_connections_nr(), 1u); // kept alive and reused
        auto [srep, sbody] = co_await c.get(http::request::make("GET", "localhost", "/stream"));
        EXPECT_EQ(srep.get_header("Transfer-Encoding"), "chunked");
        EXPECT_EQ(sbody, "[1, 2, 3]");
        // A body of known length, and a streamed (chunked) one with 100-continue.
        auto req = http::request::make("POST", "localhost", "/echo");
        req.write_body("txt", sstring("payload"));
        auto [erep, ebody] = co_await c.get(std::move(req));
        EXPECT_EQ(ebody, "payload");
        req = http::request::make("POST", "localhost", "/echo");
        req.write_body("txt", [](output_stream<char>&& o) -> future<> {
            auto out = std::move(o);
            for (int i = 0; i < 100; ++i) {
                co_await out.write("0123456789");
            }
            co_await out.close();
        });
        req.set_expects_continue();
        auto [crep, cbody] = co_await c.get(std::move(req));
        EXPECT_EQ(cbody.size(), 1000u);
        // The status check.
        bool threw = false;
        try {
            co_await c.make_request(
                http::request::make("GET", "localhost", "/nowhere"),
                [](const http::reply&, input_stream<char>&&) { return make_ready_future<>(); },
                http::reply::status_type::ok);
        } catch (const http::unexpected_status_error& e) {
            threw = e.status() == http::reply::status_type::not_found;
        }
        EXPECT_TRUE(threw);
        // HEAD: no body though Content-Length says 5.
        auto [hrep, hbody] = co_await c.get(http::request::make("HEAD", "localhost", "/"));
        EXPECT_EQ(hrep.get_header("Content-Length"), "5");
        EXPECT_EQ(hbody, "");

        // The pool limit: 8 concurrent requests over at most 2 connections.
        co_await c.set_maximum_connections(2);
        std::vector<future<std::pair<http::reply, sstring>>> many;
        for (int i = 0; i < 8; ++i) {
            many.push_back(c.get(http::request::make("GET", "localhost", "/")));
        }
        for (auto& f : many) {
            auto [r, b] = co_await std::move(f);
            EXPECT_EQ(b, "hello");
        }
        EXPECT_LE(c.connections_nr(), 2u);

        // The timeout: a reply that does not come fails the request.
        c.set_request_timeout(100ms);
        bool timed_out = false;
        try {
            co_await c.get(http::request::make("GET", "localhost", "/slow"));
        } catch (const timed_out_error&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
        slow->release.set_value();
        c.set_request_timeout(0ms);
        co_await c.close();
        co_await ctl.stop();
    });
}

TEST(http_client, retries_idempotent_requests_on_a_closed_reused_connection) {
    run_on_shards(1, []() -> future<> {
        auto slow = std::make_shared<slow_state>();
        httpd::http_server_control ctl;
        // The server closes idle connections after 20 ms.
        co_await start_server(ctl, slow, 20ms);
        client c(socket_address(ipv4_addr("127.0.0.1", ctl.port())));
        auto [r1, b1] = co_await c.get(http::request::make("GET", "localhost", "/"));
        EXPECT_EQ(c.idle_connections_nr(), 1u);
        co_await server_closed_all(ctl); // the pooled connection is closed by the server
        bool failed = false;
        try {
            co_await c.get(http::request::make("GET", "localhost", "/"));
        } catch (...) {
            failed = true;
        }
        EXPECT_TRUE(failed); // no retry unless asked for
        c.set_retry(client::retry_requests::yes);
        co_await c.get(http::request::make("GET", "localhost", "/"));
        co_await server_closed_all(ctl);
        auto [r2, b2] = co_await c.get(http::request::make("GET", "localhost", "/"));
        EXPECT_EQ(b2, "hello");
        // A POST is not retried.
        co_await server_closed_all(ctl);
        failed = false;
        try {
            auto req = http::request::make("POST", "localhost", "/echo");
            req.write_body("txt", sstring("x"));
            co_await c.get(std::move(req));
        } catch (...) {
            failed = true;
        }
        EXPECT_TRUE(failed);
        slow->release.set_value();
        co_await c.close();
        co_await ctl.stop();
    });
}

// nginx (Debian's nginx-light) on 127.0.0.1 with a temporary configuration.
class nginx_fixture : public ::testing::Test {
protected:
    std::string dir;
    uint16_t port = 0;
    bool started = false;

    void SetUp() override {
        if (std::system("command -v nginx >/dev/null 2>&1") != 0) {
            GTEST_SKIP() << "nginx is not installed (tools/setup installs nginx-light)";
        }
        char tmpl[] = "/tmp/http_client_nginx_XXXXXX";
        dir = mkdtemp(tmpl);
        ::chmod(dir.c_str(), 0755);
        std::system(("mkdir -p " + dir + "/www && head -c 200000 /dev/urandom > " + dir + "/www/blob.bin").c_str());
        std::ofstream(dir + "/www/index.html") << "hello from nginx\n";
        std::string text;
        for (int i = 0; i < 2000; ++i) {
            text += "line " + std::to_string(i) + "\n";
        }
        std::ofstream(dir + "/www/text.txt") << text;
        for (int attempt = 0; attempt < 20 && !started; ++attempt) {
            port = uint16_t(20000 + (::getpid() * 7 + attempt * 131) % 30000);
            std::ofstream(dir + "/nginx.conf")
                << "user root;\nworker_processes 1;\ndaemon on;\npid " << dir << "/nginx.pid;\n"
                << "error_log " << dir << "/error.log;\nevents { worker_connections 64; }\n"
                << "http {\n access_log off;\n client_body_temp_path " << dir << "/body;\n"
                << " types { text/plain txt; text/html html; }\n"
                << " gzip on; gzip_types text/plain; gzip_min_length 0;\n"
                << " server {\n  listen 127.0.0.1:" << port << ";\n  root " << dir << "/www;\n"
                << "  location /upload { client_max_body_size 1m; return 201 \"stored\\n\"; }\n }\n}\n";
            started =
                std::system(("nginx -c " + dir + "/nginx.conf -p " + dir + " 2>>" + dir + "/start.log").c_str()) == 0;
        }
        ASSERT_TRUE(started) << "nginx did not start";
    }
    void TearDown() override {
        if (started) {
            std::system(("nginx -c " + dir + "/nginx.conf -p " + dir + " -s quit 2>/dev/null").c_str());
            // nginx removes its pid file when it has exited.
            for (int i = 0; i < 500 && ::access((dir + "/nginx.pid").c_str(), F_OK) == 0; ++i) {
                ::usleep(10000);
            }
        }
        if (!dir.empty()) {
            std::system(("rm -rf " + dir).c_str());
        }
    }
};

TEST_F(nginx_fixture, client_against_nginx) {
    auto blob_path = dir + "/www/blob.bin";
    std::ifstream f(blob_path, std::ios::binary);
    std::string blob((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    run_on_shards(1, [this, &blob]() -> future<> {
        client c(socket_address(ipv4_addr("127.0.0.1", port)));
        // nginx may still be starting its worker: the first request is retried a bounded number of times.
        std::optional<std::pair<http::reply, sstring>> first;
        for (int i = 0; i < 200 && !first; ++i) {
            try {
                first = co_await c.get(http::request::make("GET", "localhost", "/index.html"));
            } catch (...) {
            }
            if (!first) {
                co_await sleep(20ms);
            }
        }
        EXPECT_TRUE(first.has_value());
        if (!first) {
            co_return;
        }
        EXPECT_EQ(int(first->first._status), 200);
        EXPECT_EQ(first->second, "hello from nginx\n");
        auto news = c.total_new_connections_nr();
        for (int i = 0; i < 5; ++i) {
            auto [rep, body] = co_await c.get(http::request::make("GET", "localhost", "/blob.bin"));
            EXPECT_EQ(rep.content_length, blob.size());
            EXPECT_TRUE(std::string_view(body) == blob);
        }
        EXPECT_EQ(c.total_new_connections_nr(), news); // nginx kept the connection alive
        // gzip makes nginx send the text chunked.
        auto req = http::request::make("GET", "localhost", "/text.txt");
        req._headers["Accept-Encoding"] = "gzip";
        auto [zrep, zbody] = co_await c.get(std::move(req));
        EXPECT_EQ(zrep.get_header("Transfer-Encoding"), "chunked");
        EXPECT_EQ(zrep.get_header("Content-Encoding"), "gzip");
        EXPECT_GT(zbody.size(), 10u);
        auto [nrep, nbody] = co_await c.get(http::request::make("GET", "localhost", "/missing"));
        EXPECT_EQ(int(nrep._status), 404);
        // Bodies to nginx: known length and chunked.
        auto up = http::request::make("POST", "localhost", "/upload");
        up.write_body("txt", sstring(std::string(5000, 'u')));
        auto [urep, ubody] = co_await c.get(std::move(up));
        EXPECT_EQ(int(urep._status), 201);
        EXPECT_EQ(ubody, "stored\n");
        up = http::request::make("POST", "localhost", "/upload");
        up.write_body("txt", [](output_stream<char>&& o) -> future<> {
            auto out = std::move(o);
            for (int i = 0; i < 10; ++i) {
                co_await out.write(std::string(1000, 'c'));
                co_await out.flush();
            }
            co_await out.close();
        });
        auto [crep, cbody] = co_await c.get(std::move(up));
        EXPECT_EQ(int(crep._status), 201);
        co_await c.close();
    });
}
