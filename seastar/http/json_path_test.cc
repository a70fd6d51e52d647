// path_description against a real server on 127.0.0.1 (two shards, each
// setting the same static descriptions, as Seastar's generated API code does),
// queried with our HTTP client: path parameters, fixed parts and the rest of
// the path; every set() overload; mandatory query parameters (400); the method
// choosing the route; unset() (then 404) and setting again. Without a server:
// routes' cookies (order, removal, who owns the handler afterwards).
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/smp.hh"
#include "seastar/http/client.hh"
#include "seastar/http/httpd.hh"
#include "seastar/http/json_path.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/later.hh"

using namespace seastar;
using namespace seastar::httpd;
using component = path_description::url_component_type;

namespace {

// GET /store/{shelf}/items/{item}
const path_description
    get_item("/store", GET, "get_item",
             {{"shelf", component::PARAM}, {"/items", component::FIXED_STRING}, {"item", component::PARAM}}, {});
// PUT on the same path: another operation.
const path_description
    put_item("/store", PUT, "put_item",
             {{"shelf", component::PARAM}, {"/items", component::FIXED_STRING}, {"item", component::PARAM}}, {});
// GET /files/{path...}, with the pair constructor.
const path_description get_file("/files", GET, "get_file", std::vector<std::pair<sstring, bool>>{{"path", true}}, {});
// GET /search?q=... (exact path, a mandatory query parameter) and POST /search.
const path_description search("/search", GET, "search", std::vector<std::pair<sstring, bool>>{}, {"q"});
const path_description post_search("/search", POST, "post_search", std::vector<std::pair<sstring, bool>>{}, {});
const path_description text("/text", GET, "text", std::vector<std::pair<sstring, bool>>{}, {});
const path_description quoted("/quoted", GET, "quoted", std::vector<std::pair<sstring, bool>>{}, {});

// GET /h/{a}/x?m=..., built with the push methods, served by a handler_base.
path_description make_custom() {
    path_description d("/h", GET, "custom", std::vector<std::pair<sstring, bool>>{}, {});
    d.pushparam("a")->push_static_path_part("/x")->pushmandatory_param("m");
    return d;
}
const path_description custom = make_custom();

struct custom_handler : handler_base {
    future<std::unique_ptr<http::reply>> handle(const sstring& path, std::unique_ptr<http::request> req,
                                                std::unique_ptr<http::reply> rep) override {
        rep->write_body("txt", "custom a=" + req->param["a"] + " m=" + req->get_query_param("m"));
        return make_ready_future<std::unique_ptr<http::reply>>(std::move(rep));
    }
};

void set_item(routes& r) {
    get_item.set(r, [](const_req req) {
        return json::json_return_type(std::map<std::string, std::string>{{"shelf", std::string(req.param["shelf"])},
                                                                         {"item", std::string(req.param["item"])}});
    });
}

void set_api(routes& r) {
    set_item(r);
    put_item.set(r, [](const_req req) { return json::json_return_type("put " + req.param["item"]); });
    // A future that resolves after other tasks ran.
    get_file.set(r, [](std::unique_ptr<http::request> req) -> future<json::json_return_type> {
        co_await yield();
        co_return json::json_return_type(req->param.path("path"));
    });
    search.set(r, [](const_req req) { return json::json_return_type(req.get_query_param("q")); });
    post_search.set(r, [](const_req) { return json::json_return_type("posted"); });
    text.set(r, request_function([](const_req req) { return "hello " + req.get_query_param("name"); }));
    // A lambda returning text is a JSON handler (the JSON overload, as in Seastar).
    quoted.set(r, [](const_req) { return sstring("hi"); });
    custom.set(r, new custom_handler());
}

struct result {
    int status;
    std::string content_type;
    std::string body;
};

future<result> call(http::experimental::client& c, const char* method, const char* path) {
    auto [rep, body] = co_await c.get(http::request::make(method, "localhost", path));
    co_return result{int(rep._status), std::string(rep.get_header("Content-Type")), std::string(body)};
}

future<> on_every_shard(http_server_control& ctl, void (*fun)(routes&)) {
    return ctl.server().invoke_on_all([fun](http_server& s) { fun(s._routes); });
}

// How many shards' routes have a handler for `path`.
future<unsigned> shards_serving(http_server_control& ctl, operation_type type, sstring path) {
    return ctl.server().map_reduce0(
        [type, path](http_server& s) {
            parameters p;
            return unsigned(s._routes.get_handler(type, path, p) != nullptr);
        },
        0u, std::plus<unsigned>());
}

void run_on_two_shards(std::function<future<>()> body) {
    EXPECT_EQ(seastar::testing::run_on_shards(seastar::testing::smp_test_options(2, true, size_t(256) << 20),
                                              std::move(body)),
              0);
}

// Counts its deletions, to see who owns a handler.
struct counted_handler : handler_base {
    int* deleted;
    explicit counted_handler(int* d) : deleted(d) {}
    ~counted_handler() override { ++*deleted; }
    future<std::unique_ptr<http::reply>> handle(const sstring&, std::unique_ptr<http::request>,
                                                std::unique_ptr<http::reply> rep) override {
        return make_ready_future<std::unique_ptr<http::reply>>(std::move(rep));
    }
};

} // namespace

TEST(json_path, served_by_a_server) {
    run_on_two_shards([]() -> future<> {
        http_server_control ctl;
        co_await ctl.start("json-path-test");
        co_await ctl.set_routes(set_api);
        co_await ctl.listen(socket_address(ipv4_addr("127.0.0.1", 0)));
        http::experimental::client c(socket_address(ipv4_addr("127.0.0.1", ctl.port())));
        std::exception_ptr failure;
        try {
            // Parameters around a fixed part; a JSON element.
            auto r = co_await call(c, "GET", "/store/books/items/42");
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.content_type, "application/json");
            EXPECT_EQ(r.body, R"({"item": "42", "shelf": "books"})");
            EXPECT_EQ((co_await call(c, "GET", "/store/books/things/42")).status, 404);
            EXPECT_EQ((co_await call(c, "GET", "/store/books/items")).status, 404);
            EXPECT_EQ((co_await call(c, "GET", "/store/books/items/42/more")).status, 404);
            // The method chooses the route.
            r = co_await call(c, "PUT", "/store/books/items/42");
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.body, R"("put 42")");
            EXPECT_EQ((co_await call(c, "DELETE", "/store/books/items/42")).status, 404);
            r = co_await call(c, "POST", "/search");
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.body, R"("posted")");
            // The rest of the path; a handler returning a future.
            r = co_await call(c, "GET", "/files/etc/hosts");
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.body, R"("/etc/hosts")");
            // A mandatory query parameter: 400 naming it, without it.
            r = co_await call(c, "GET", "/search");
            EXPECT_EQ(r.status, 400);
            EXPECT_NE(r.body.find("Missing mandatory parameter 'q'"), std::string::npos) << r.body;
            r = co_await call(c, "GET", "/search?q=seastar");
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.body, R"("seastar")");
            // A handler_base; the push methods' path and mandatory parameter.
            r = co_await call(c, "GET", "/h/7/x?m=on");
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.body, "custom a=7 m=on");
            r = co_await call(c, "GET", "/h/7/x");
            EXPECT_EQ(r.status, 400);
            EXPECT_NE(r.body.find("'m'"), std::string::npos) << r.body;
            EXPECT_EQ((co_await call(c, "GET", "/h/7/y?m=on")).status, 404);
            // request_function: text as it is; a lambda returning text: JSON.
            r = co_await call(c, "GET", "/text?name=you");
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.content_type, "text/plain");
            EXPECT_EQ(r.body, "hello you");
            r = co_await call(c, "GET", "/quoted");
            EXPECT_EQ(r.content_type, "application/json");
            EXPECT_EQ(r.body, R"("hi")");

            // unset() on every shard: gone (404), other methods stay.
            co_await on_every_shard(ctl, [](routes& r) {
                get_item.unset(r);
                search.unset(r);
                custom.unset(r);
                search.unset(r); // twice: nothing left to remove
            });
            EXPECT_EQ((co_await call(c, "GET", "/store/books/items/42")).status, 404);
            EXPECT_EQ((co_await call(c, "GET", "/search?q=x")).status, 404);
            EXPECT_EQ((co_await call(c, "GET", "/h/7/x?m=on")).status, 404);
            // The connection is served by one shard: ask every shard's routes.
            EXPECT_EQ(co_await shards_serving(ctl, GET, "/store/books/items/42"), 0u);
            EXPECT_EQ(co_await shards_serving(ctl, GET, "/search"), 0u);
            EXPECT_EQ(co_await shards_serving(ctl, GET, "/h/7/x"), 0u);
            EXPECT_EQ(co_await shards_serving(ctl, PUT, "/store/books/items/42"), smp::count);
            EXPECT_EQ((co_await call(c, "PUT", "/store/books/items/42")).status, 200);
            EXPECT_EQ((co_await call(c, "POST", "/search")).status, 200);
            EXPECT_EQ((co_await call(c, "GET", "/files/a")).status, 200);
            // Set again after unset.
            co_await on_every_shard(ctl, set_item);
            EXPECT_EQ((co_await call(c, "GET", "/store/s/items/i")).body, R"({"item": "i", "shelf": "s"})");
            EXPECT_EQ(co_await shards_serving(ctl, GET, "/store/s/items/i"), smp::count);
        } catch (...) {
            failure = std::current_exception();
        }
        co_await c.close();
        co_await ctl.stop();
        if (failure) {
            std::rethrow_exception(failure);
        }
    });
}

TEST(json_path, cookies_remove_rules_and_hand_back_handlers) {
    int deleted = 0;
    {
        routes r;
        auto* h1 = new counted_handler(&deleted);
        auto* h2 = new counted_handler(&deleted);
        auto c1 = r.add_cookie(&(new match_rule(h1))->add_str("/a"), GET);
        auto c2 = r.add_cookie(&(new match_rule(h2))->add_str("/a"), GET); // after c1: never reached
        EXPECT_NE(c1, c2);
        parameters p;
        EXPECT_EQ(r.get_handler(GET, "/a", p), h1);
        EXPECT_EQ(r.del_cookie(c1, POST), nullptr); // another method's rules
        auto* rule = r.del_cookie(c1, GET);
        ASSERT_NE(rule, nullptr);
        EXPECT_TRUE(rule->owns_handler()); // nothing else used h1
        EXPECT_EQ(r.get_handler(GET, "/a", p), h2);
        EXPECT_EQ(r.del_cookie(c1, GET), nullptr); // already gone
        delete rule;
        EXPECT_EQ(deleted, 1);

        // A handler another route still uses stays the routes object's.
        auto c3 = r.add_cookie(&(new match_rule(h2))->add_str("/b"), GET);
        rule = r.del_cookie(c3, GET);
        ASSERT_NE(rule, nullptr);
        EXPECT_FALSE(rule->owns_handler());
        delete rule;
        EXPECT_EQ(deleted, 1);
        EXPECT_EQ(r.get_handler(GET, "/a", p), h2);

        // A rule that owns its handler keeps it; routes does not take it too.
        auto* h3 = new counted_handler(&deleted);
        r.add(&(new match_rule(h3, true))->add_str("/c"), GET);
    }
    EXPECT_EQ(deleted, 3); // h2 by routes, h3 by its rule, each once
}

TEST(json_path, unset_deletes_the_handler) {
    int deleted = 0;
    routes r;
    path_description exact("/e", GET, "exact", std::vector<std::pair<sstring, bool>>{}, {});
    path_description with_param("/p", GET, "param", {{"id", component::PARAM}}, {"q"});
    auto* he = new counted_handler(&deleted);
    auto* hp = new counted_handler(&deleted);
    exact.set(r, he);
    with_param.set(r, hp);
    parameters p;
    EXPECT_EQ(r.get_handler(GET, "/e", p), he);
    EXPECT_EQ(r.get_handler(GET, "/p/1", p), hp);
    EXPECT_EQ(p.path("id"), "/1");
    EXPECT_EQ(r.get_handler(GET, "/p", p), nullptr);
    exact.unset(r);
    with_param.unset(r);
    EXPECT_EQ(deleted, 2);
    EXPECT_EQ(r.get_handler(GET, "/e", p), nullptr);
    EXPECT_EQ(r.get_handler(GET, "/p/1", p), nullptr);
    with_param.unset(r); // again: nothing to remove
    EXPECT_EQ(deleted, 2);
    // A description never set removes nothing.
    path_description unused("/p", GET, "unused", {{"id", component::PARAM}}, {});
    with_param.set(r, new counted_handler(&deleted));
    unused.unset(r);
    EXPECT_NE(r.get_handler(GET, "/p/1", p), nullptr);
}
