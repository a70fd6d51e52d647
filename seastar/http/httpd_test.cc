// The server in-process on 127.0.0.1 (http_server_control over two shards),
// driven by a raw-socket client: routes with path parameters, text, JSON
// and streamed handlers, exceptions to statuses, keep-alive and pipelining,
// chunked bodies both ways, 100-continue, HEAD, Date and Server headers,
// Connection: close, every malformed input, idle and header timeouts, and a
// stop that lets a request in flight finish.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/shared_future.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"
#include "seastar/http/function_handlers.hh"
#include "seastar/http/httpd.hh"
#include "seastar/http/json_body.hh"
#include "seastar/net/api.hh"
#include "seastar/testing/seastar_test.hh"

using namespace seastar;
using namespace std::chrono_literals;

namespace {

void run_on_shards(unsigned shards, std::function<future<>()> body) {
    EXPECT_EQ(seastar::testing::run_on_shards(seastar::testing::smp_test_options(shards, true, size_t(256) << 20),
                                              std::move(body)),
              0);
}

struct response {
    int status = 0;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
    bool closed = false; // the peer closed instead of sending a response
};

std::string lower(std::string s) {
    for (auto& c : s) {
        c = char(std::tolower(uint8_t(c)));
    }
    return s;
}

class client {
    connected_socket _s;
    input_stream<char> _in;
    output_stream<char> _out;
    std::string _buf;
    bool _eof = false;

    future<bool> fill() {
        if (_eof) {
            co_return false;
        }
        auto b = co_await _in.read();
        if (b.empty()) {
            _eof = true;
            co_return false;
        }
        _buf.append(b.get(), b.size());
        co_return true;
    }
    future<std::string> line() {
        for (;;) {
            auto p = _buf.find("\r\n");
            if (p != std::string::npos) {
                auto l = _buf.substr(0, p);
                _buf.erase(0, p + 2);
                co_return l;
            }
            if (!co_await fill()) {
                throw std::runtime_error("closed inside a line");
            }
        }
    }
    future<std::string> exactly(size_t n) {
        while (_buf.size() < n) {
            if (!co_await fill()) {
                throw std::runtime_error("closed inside a body");
            }
        }
        auto r = _buf.substr(0, n);
        _buf.erase(0, n);
        co_return r;
    }

public:
    static future<std::unique_ptr<client>> connect(uint16_t port) {
        auto c = std::make_unique<client>();
        c->_s = co_await seastar::connect(socket_address(ipv4_addr("127.0.0.1", port)));
        c->_in = c->_s.input();
        c->_out = c->_s.output();
        co_return c;
    }
    future<> send(std::string_view bytes) {
        co_await _out.write(bytes);
        co_await _out.flush();
    }
    // Reads one response; `head` when it answers a HEAD request.
    future<response> read(bool head = false) {
        response r;
        if (_buf.empty() && !co_await fill()) {
            r.closed = true;
            co_return r;
        }
        auto status = co_await line();
        EXPECT_TRUE(status.starts_with("HTTP/1.1 ")) << status;
        r.status = std::stoi(status.substr(9, 3));
        for (;;) {
            auto l = co_await line();
            if (l.empty()) {
                break;
            }
            auto colon = l.find(':');
            r.headers[lower(l.substr(0, colon))] = l.substr(colon + 2);
        }
        if (head || r.status == 100 || r.status == 204 || r.status == 304) {
            co_return r;
        }
        if (r.headers.contains("content-length")) {
            r.body = co_await exactly(std::stoul(r.headers["content-length"]));
        } else if (r.headers["transfer-encoding"] == "chunked") {
            for (int i = 0; i < 100000; ++i) {
                auto size = std::stoul(co_await line(), nullptr, 16);
                if (!size) {
                    EXPECT_EQ(co_await line(), "");
                    break;
                }
                r.body += co_await exactly(size);
                EXPECT_EQ(co_await line(), "");
            }
        } else {
            while (co_await fill()) {
            }
            r.body = std::exchange(_buf, {});
        }
        co_return r;
    }
    future<response> call(std::string_view req, bool head = false) {
        co_await send(req);
        co_return co_await read(head);
    }
    // True once the peer has closed (after whatever it still sends).
    future<bool> closed() {
        while (co_await fill()) {
        }
        co_return _eof;
    }
    future<> close() {
        try {
            co_await _out.close();
        } catch (...) {
        }
        co_await _in.close();
    }
};

struct in_flight {
    promise<> release;
    shared_future<> released{release.get_future()};
    promise<> entered;
};

void set_test_routes(httpd::routes& r) {
    using namespace httpd;
    r.put(GET, "/", new function_handler([](const_req) { return "hello"; }, "txt"));
    r.add(GET, url("/user/{id}/posts/{post}"),
          new function_handler(
              [](const_req req) { return sstring("user ") + req.param["id"] + " post " + req.param["post"]; }, "txt"));
    r.add(GET, url("/files").remainder("path"),
          new function_handler([](const_req req) { return req.param.path("path"); }, "txt"));
    r.put(GET, "/json", new function_handler([](const_req req) {
              return json::json_return_type(std::map<std::string, std::string>{{"q", req.get_query_param("q")}});
          }));
    r.put(GET, "/stream", new function_handler([](const_req) {
              std::vector<int> v;
              for (int i = 0; i < 1000; ++i) {
                  v.push_back(i);
              }
              return json::stream_range_as_array(std::move(v), [](int i) { return i; });
          }));
    r.put(POST, "/echo",
          new function_handler(
              [](const_req req, http::reply& rep) {
                  rep.add_header("X-Length", to_sstring(req.content.size()));
                  return req.content;
              },
              "txt"));
    r.put(POST, "/sum",
          new function_handler(
              [](const_req req) {
                  auto doc = http::request_json(req);
                  int64_t sum = 0;
                  for (auto v : doc.root()["values"].get_array()) {
                      sum += int64_t(v);
                  }
                  return to_sstring(sum);
              },
              "txt"));
    r.put(GET, "/missing",
          new function_handler([](const_req) -> sstring { throw httpd::not_found_exception("nope"); }, "txt"));
    r.put(GET, "/bad",
          new function_handler([](const_req) -> sstring { throw httpd::bad_param_exception("bad id"); }, "txt"));
    r.put(GET, "/boom", new function_handler([](const_req) -> sstring { throw std::runtime_error("boom"); }, "txt"));
    r.put(GET, "/redirect",
          new function_handler([](const_req) -> sstring { throw httpd::redirect_exception("/"); }, "txt"));
    r.put(GET, "/mandatory",
          &(new function_handler([](const_req req) { return req.get_query_param("id"); }, "txt"))->mandatory("id"));
    r.put(GET, "/nocontent",
          new function_handler(
              [](const_req, http::reply& rep) {
                  rep.set_status(http::reply::status_type::no_content);
                  return "";
              },
              "txt"));
}

// One server per test on 127.0.0.1 (a free port), on every shard.
struct test_server {
    httpd::http_server_control ctl;
    future<> start(std::function<void(httpd::http_server&)> configure = {}) {
        co_await ctl.start("test");
        co_await ctl.set_routes(set_test_routes);
        if (configure) {
            co_await ctl.server().invoke_on_all([configure](httpd::http_server& s) { configure(s); });
        }
        co_await ctl.listen(socket_address(ipv4_addr("127.0.0.1", 0)));
    }
    uint16_t port() const { return ctl.port(); }
    future<> stop() { return ctl.stop(); }
};

constexpr unsigned shards = 2;

} // namespace

TEST(httpd, routes_handlers_and_statuses) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        auto c = co_await client::connect(ts.port());
        auto r = co_await c->call("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "hello");
        EXPECT_EQ(r.headers["content-type"], "text/plain");
        EXPECT_EQ(r.headers["server"], "Seastar httpd");
        EXPECT_TRUE(r.headers["date"].ends_with(" GMT")) << r.headers["date"];
        EXPECT_FALSE(r.headers.contains("connection"));

        r = co_await c->call("GET /user/7/posts/x%20y HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.body, "user 7 post x y");
        r = co_await c->call("GET /files/a/b.txt HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.body, "/a/b.txt");
        r = co_await c->call("GET /json?q=a%22b HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.headers["content-type"], "application/json");
        EXPECT_EQ(r.body, "{\"q\": \"a\\\"b\"}");
        r = co_await c->call("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
        EXPECT_TRUE(r.body.starts_with("[0, 1, 2, ") && r.body.ends_with(", 999]")) << r.body.substr(0, 40);

        r = co_await c->call("GET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.status, 404);
        EXPECT_EQ(r.body, "{\"message\": \"Not found\", \"code\": 404}");
        r = co_await c->call("GET /missing HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.status, 404);
        EXPECT_EQ(r.body, "{\"message\": \"nope\", \"code\": 404}");
        r = co_await c->call("GET /bad HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.status, 400);
        r = co_await c->call("GET /boom HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.status, 500);
        EXPECT_EQ(r.body, "{\"message\": \"boom\", \"code\": 500}");
        r = co_await c->call("GET /redirect HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.status, 301);
        EXPECT_EQ(r.headers["location"], "/");
        r = co_await c->call("GET /mandatory HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.status, 400);
        r = co_await c->call("GET /mandatory?id=5 HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.body, "5");
        r = co_await c->call("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
        EXPECT_EQ(r.status, 404);
        r = co_await c->call("GET /nocontent HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.status, 204);
        EXPECT_FALSE(r.headers.contains("content-length"));
        // HEAD: GET's headers, no body.
        r = co_await c->call("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", true);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.headers["content-length"], "5");
        r = co_await c->call("HEAD /stream HTTP/1.1\r\nHost: h\r\n\r\n", true);
        EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
        // Still the same connection after all of them.
        r = co_await c->call("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.body, "hello");
        co_await c->close();
        co_await ts.stop();
    });
}

std::string post(std::string_view path, std::string_view body) {
    return std::string("POST ") + std::string(path) + " HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n" +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(httpd, json_request_bodies_and_malformed_ones) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        auto c = co_await client::connect(ts.port());
        auto r = co_await c->call(post("/sum", R"({"values":[1,2,3,40]})"));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "46");
        // Not JSON: 400 naming the parser's reason, and the connection stays usable.
        r = co_await c->call(post("/sum", R"({"values":[1,2,)"));
        EXPECT_EQ(r.status, 400);
        EXPECT_NE(r.body.find("request body: malformed JSON"), std::string::npos) << r.body;
        EXPECT_EQ(r.headers["content-type"], "application/json");
        r = co_await c->call(post("/sum", "\xff\xfe"));
        EXPECT_EQ(r.status, 400);
        r = co_await c->call(post("/sum", ""));
        EXPECT_EQ(r.status, 400);
        // JSON of the wrong shape is the handler's error (here: simdjson's, a 500).
        r = co_await c->call(post("/sum", R"({"values":"no"})"));
        EXPECT_EQ(r.status, 500);
        r = co_await c->call(post("/sum", R"({"values":[5]})"));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "5");
        co_await c->close();
        co_await ts.stop();
    });
}

TEST(httpd, keep_alive_pipelining_and_close) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        auto c = co_await client::connect(ts.port());
        // Ten requests in one write, bodies among them; answered in order.
        std::string batch;
        for (int i = 0; i < 10; ++i) {
            if (i % 3 == 1) {
                auto body = std::string(size_t(i), 'b');
                batch += "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(i) + "\r\n\r\n" + body;
            } else {
                batch += "GET /user/" + std::to_string(i) + "/posts/p HTTP/1.1\r\nHost: h\r\n\r\n";
            }
        }
        co_await c->send(batch);
        for (int i = 0; i < 10; ++i) {
            auto r = co_await c->read();
            EXPECT_EQ(r.status, 200);
            if (i % 3 == 1) {
                EXPECT_EQ(r.body, std::string(size_t(i), 'b'));
            } else {
                EXPECT_EQ(r.body, "user " + std::to_string(i) + " post p");
            }
        }
        // A pipelined request split across writes still gets its answer.
        co_await c->send("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /user/1/po");
        auto r = co_await c->read();
        EXPECT_EQ(r.body, "hello");
        co_await c->send("sts/2 HTTP/1.1\r\nHost: h\r\n\r\n");
        r = co_await c->read();
        EXPECT_EQ(r.body, "user 1 post 2");
        // Connection: close is honoured and said.
        r = co_await c->call("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        EXPECT_EQ(r.headers["connection"], "close");
        EXPECT_TRUE(co_await c->closed());
        co_await c->close();

        // HTTP/1.0: closed after one request unless keep-alive is asked for.
        c = co_await client::connect(ts.port());
        co_await c->send("GET / HTTP/1.0\r\n\r\n");
        EXPECT_TRUE(co_await c->closed());
        co_await c->close();
        c = co_await client::connect(ts.port());
        r = co_await c->call("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        EXPECT_EQ(r.headers["connection"], "keep-alive");
        r = co_await c->call("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        EXPECT_EQ(r.body, "hello");
        co_await c->close();
        co_await ts.stop();
    });
}

TEST(httpd, chunked_bodies_and_100_continue) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start([](httpd::http_server& s) { s.set_content_length_limit(1000); });
        auto c = co_await client::connect(ts.port());
        auto r = co_await c->call("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "hello 0123456789");
        EXPECT_EQ(r.headers["x-length"], "16");
        // 100-continue: the interim answer comes before the body is sent.
        co_await c->send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        r = co_await c->read();
        EXPECT_EQ(r.status, 100);
        r = co_await c->call("abc");
        EXPECT_EQ(r.body, "abc");
        // Over the limit: 413 before reading the body, then close.
        r = co_await c->call("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\nExpect: 100-continue\r\n\r\n");
        EXPECT_EQ(r.status, 413);
        EXPECT_TRUE(co_await c->closed());
        co_await c->close();
        // A chunked body past the limit.
        c = co_await client::connect(ts.port());
        r = co_await c->call("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3E9\r\n");
        EXPECT_EQ(r.status, 413);
        co_await c->close();
        // Bad chunk framing.
        for (std::string bad : {"zz\r\nabc\r\n0\r\n\r\n", "3\r\nabcX\r\n0\r\n\r\n", "3\rabc\r\n0\r\n\r\n",
                                "fffffffffffffffff\r\n", "-1\r\n", "3\r\nabc\r\n0\r\nX: \x01\r\n\r\n"}) {
            c = co_await client::connect(ts.port());
            r = co_await c->call("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + bad);
            EXPECT_EQ(r.status, 400) << bad;
            EXPECT_TRUE(co_await c->closed());
            co_await c->close();
        }
        co_await ts.stop();
    });
}

TEST(httpd, malformed_requests_get_an_error_and_a_close) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start([](httpd::http_server& s) {
            http_parser_limits l;
            l.max_request_line = 256;
            l.max_header_bytes = 1024;
            s.set_parser_limits(l);
        });
        std::vector<std::pair<std::string, int>> cases = {
            {"GARBAGE\r\n\r\n", 400},
            {"GET / HTTP/1.1\r\n\r\n", 400},
            {"GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505},
            {"BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501},
            {"GET /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", 414},
            {"GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(2000, 'v') + "\r\n\r\n", 431},
            {"GET / HTTP/1.1\r\nHost: h\r\nX: a\rY: b\r\n\r\n", 400},
            {"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400},
            {"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab", 400},
            {"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
            {"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
            {"GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400},
        };
        for (auto& [req, status] : cases) {
            auto c = co_await client::connect(ts.port());
            auto r = co_await c->call(req);
            EXPECT_EQ(r.status, status) << req.substr(0, 60);
            EXPECT_EQ(r.headers["connection"], "close") << req.substr(0, 60);
            EXPECT_TRUE(co_await c->closed());
            co_await c->close();
        }
        // A client that closes mid-head or mid-body only loses its connection.
        for (std::string partial : {"GET / HT", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"}) {
            auto c = co_await client::connect(ts.port());
            co_await c->send(partial);
            co_await c->close();
        }
        auto c = co_await client::connect(ts.port());
        auto r = co_await c->call("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.body, "hello");
        co_await c->close();
        co_await ts.stop();
    });
}

TEST(httpd, idle_and_slow_header_connections_are_closed) {
    run_on_shards(1, []() -> future<> {
        test_server ts;
        co_await ts.start([](httpd::http_server& s) {
            s.set_idle_timeout(50ms);
            s.set_header_timeout(100ms);
        });
        // Idle after a request: closed without a word.
        auto c = co_await client::connect(ts.port());
        auto r = co_await c->call("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.body, "hello");
        EXPECT_TRUE(co_await c->closed());
        co_await c->close();
        // A slow (slowloris) head, not complete when the header timeout
        // ends: 408, then closed.
        c = co_await client::connect(ts.port());
        co_await c->send("GET / HTTP/1.1\r\nX-Slow: 1\r\n");
        r = co_await c->read();
        EXPECT_EQ(r.status, 408);
        EXPECT_EQ(r.headers["connection"], "close");
        EXPECT_TRUE(co_await c->closed());
        co_await c->close();
        co_await ts.stop();
    });
}

TEST(httpd, stop_finishes_requests_in_flight) {
    run_on_shards(1, []() -> future<> {
        test_server ts;
        auto gate_state = std::make_shared<in_flight>();
        co_await ts.start([gate_state](httpd::http_server& s) {
            s._routes.put(httpd::GET, "/slow",
                          new httpd::function_handler(
                              [gate_state](std::unique_ptr<http::request>,
                                           std::unique_ptr<http::reply> rep) -> future<std::unique_ptr<http::reply>> {
                                  gate_state->entered.set_value();
                                  co_await gate_state->released.get_future();
                                  rep->write_body("txt", sstring("done"));
                                  co_return rep;
                              }));
        });
        auto idle = co_await client::connect(ts.port());
        auto r = co_await idle->call("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(r.body, "hello");
        auto busy = co_await client::connect(ts.port());
        co_await busy->send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
        co_await gate_state->entered.get_future();
        auto stopped = ts.stop();
        // The idle connection is closed at once; the busy one gets its reply.
        EXPECT_TRUE(co_await idle->closed());
        gate_state->release.set_value();
        r = co_await busy->read();
        EXPECT_EQ(r.body, "done");
        EXPECT_EQ(r.headers["connection"], "close");
        EXPECT_TRUE(co_await busy->closed());
        co_await std::move(stopped);
        co_await idle->close();
        co_await busy->close();
    });
}
