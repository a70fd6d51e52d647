// Routes (Seastar's <seastar/http/routes.hh>): which handler serves a method
// and path. Exact paths (put) are looked up first, then match rules (add) in
// the order they were added, then the default handler. A path with no
// handler is answered 404; exceptions from handlers become replies with the
// exception's status (base_exception) or 500, with a JSON body.
//
// Contract: owns the handlers and rules given to it (deleted with it), except
// a handler its rule owns (match_rule's owns_handler); set up before the
// server starts, then read-only, but for routes added and removed while no
// request is using them (drop, del_cookie); one instance per shard.
//
//     r.put(seastar::httpd::GET, "/", new seastar::httpd::function_handler(
//         [](seastar::httpd::const_req) { return "hello"; }, "txt"));
//     r.add(seastar::httpd::GET, seastar::httpd::url("/file").remainder("path"), files);
//     r.add(seastar::httpd::GET, seastar::httpd::url("/user/{id}"), user);   // req->param["id"]
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/http/common.hh"
#include "seastar/http/handlers.hh"
#include "seastar/http/matchrules.hh"
#include "seastar/http/reply.hh"
#include "seastar/http/request.hh"

namespace seastar::httpd {

// A path pattern for routes::add: fixed text, {name} segments, and an
// optional remainder parameter that takes the rest of the path.
class url {
public:
    url() = default;
    url(const sstring& path) : _path(path) {}
    url& remainder(const sstring& param) {
        _param = param;
        return *this;
    }
    sstring _path;
    sstring _param;
};

using exception_handler_fun = std::function<std::unique_ptr<http::reply>(std::exception_ptr eptr)>;
using exception_handler_id = size_t;

class routes {
public:
    // Names a rule added with add_cookie, for del_cookie; unique within one
    // routes object (rules are tried in the order of their cookies).
    using rule_cookie = uint64_t;

    routes();
    ~routes();
    routes(const routes&) = delete;
    routes& operator=(const routes&) = delete;

    // An exact path.
    routes& put(operation_type type, const sstring& url, handler_base* handler);
    // Removes an exact path; returns its handler (now the caller's) or null.
    handler_base* drop(operation_type type, const sstring& url);
    routes& add(match_rule* rule, operation_type type = GET);
    // add(), returning the cookie that removes the rule again.
    rule_cookie add_cookie(match_rule* rule, operation_type type);
    // Removes the rule added with `cookie`; returns it (now the caller's) or
    // null. The rule comes back owning its handler unless another route
    // still uses that handler (then routes keeps it), so deleting the rule
    // frees what nothing else needs.
    match_rule* del_cookie(rule_cookie cookie, operation_type type);
    routes& add(operation_type type, const url& url, handler_base* handler);
    // Every method, every path nothing else matched.
    routes& add_default_handler(handler_base* handler);

    // Finds the handler and runs it; never fails (errors become replies).
    future<std::unique_ptr<http::reply>> handle(const sstring& path, std::unique_ptr<http::request> req,
                                                std::unique_ptr<http::reply> rep);
    handler_base* get_handler(operation_type type, const sstring& url, parameters& params);

    // Handlers for exceptions, tried newest first before the built-in mapping;
    // one that rethrows passes the exception on.
    exception_handler_id register_exeption_handler(exception_handler_fun fun);
    void remove_exception_handler(exception_handler_id id);

    // The reply for an exception (what handle() sends).
    std::unique_ptr<http::reply> exception_reply(std::exception_ptr eptr);

private:
    std::unordered_map<sstring, handler_base*> _map[NUM_OPERATION];
    std::map<rule_cookie, match_rule*> _rules[NUM_OPERATION];
    rule_cookie _rover = 0;
    std::vector<std::unique_ptr<handler_base>> _owned;
    handler_base* _default_handler = nullptr;
    std::vector<std::pair<exception_handler_id, exception_handler_fun>> _exception_handlers;
    exception_handler_id _next_exception_handler = 0;

    void own(handler_base* h);
    // Whether an exact path, a rule or the default handler uses `h`.
    bool in_use(const handler_base* h) const;
};

} // namespace seastar::httpd
