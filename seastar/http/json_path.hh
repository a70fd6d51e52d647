// Routes described as data (Seastar's <seastar/http/json_path.hh>): a
// path_description names one operation (method + nickname, as in a Swagger
// definition) on a base path followed by path parameters and fixed parts,
// with the query parameters the operation requires. set() registers a handler
// for it in a routes object, unset() takes it out again.
//
// A description with no path parameters becomes an exact path (routes::put);
// one with parameters becomes a match_rule (routes::add_cookie) made of the
// base path as fixed text, then each part in order: PARAM captures one
// segment ("/42"), PARAM_UNTIL_END_OF_PATH the rest of the path, FIXED_STRING
// must be matched as written. Handlers read parameters as with any rule
// (req.param["id"], req.param.path("rest")). A request that lacks a mandatory
// query parameter is answered 400 (missing_param_exception, naming it)
// without calling the handler.
//
// Contract: set() and unset() run on the shard that owns the routes, before
// the server starts or while no request is being served by that route (as
// routes::drop). The handler given to set() belongs to that one route: the
// routes object deletes it, and unset() deletes it with the route. set() adds
// the description's mandatory parameters to the handler. The description
// keeps the cookie of its latest set() (written atomically, so one description
// may be set on every shard at once); unset() on several shards therefore
// needs each shard's routes to have had its rules added in the same order (as
// http_server_control::set_routes does), or one description per shard.
// Allocates (std::bad_alloc); never blocks.
//
//     seastar::httpd::path_description get_item("/store", seastar::httpd::GET, "get_item",
//         {{"shelf", seastar::httpd::path_description::url_component_type::PARAM},
//          {"/items", seastar::httpd::path_description::url_component_type::FIXED_STRING},
//          {"item", seastar::httpd::path_description::url_component_type::PARAM}},
//         {"format"});                        // GET /store/{shelf}/items/{item}?format=...
//     get_item.set(routes, [](seastar::httpd::const_req req) {
//         return seastar::json::json_return_type(req.param["item"]);
//     });
//     ...
//     get_item.unset(routes);                 // now 404
#pragma once

#include <concepts>
#include <initializer_list>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "seastar/core/sstring.hh"
#include "seastar/http/common.hh"
#include "seastar/http/function_handlers.hh"
#include "seastar/http/routes.hh"

namespace seastar::httpd {

// One operation of a path: its method and its name in the API definition.
struct json_operation {
    json_operation() : method(GET) {}
    json_operation(operation_type method, const sstring& nickname) : method(method), nickname(nickname) {}

    operation_type method;
    sstring nickname;
};

struct path_description {
    enum class url_component_type {
        PARAM,                   // one segment: from a '/' to the next '/' or the end
        PARAM_UNTIL_END_OF_PATH, // from a '/' to the end of the path
        FIXED_STRING,            // text that must match as written; not a parameter
    };

    // A path parameter (its name) or a fixed part of the path (its text).
    struct path_part {
        sstring name;
        url_component_type type = url_component_type::PARAM;
    };

    path_description() = default;
    // `path_parameters`: names, each with whether it takes the rest of the path.
    path_description(const sstring& path, operation_type method, const sstring& nickname,
                     const std::vector<std::pair<sstring, bool>>& path_parameters,
                     const std::vector<sstring>& mandatory_params);
    path_description(const sstring& path, operation_type method, const sstring& nickname,
                     const std::initializer_list<path_part>& path_parameters,
                     const std::vector<sstring>& mandatory_params);

    // Appends a path parameter; `all_path`: it takes the rest of the path
    // (/file/{path} matching /file/etc/hosts gives path = "/etc/hosts").
    path_description* pushparam(const sstring& param, bool all_path = false) {
        params.push_back({param, all_path ? url_component_type::PARAM_UNTIL_END_OF_PATH : url_component_type::PARAM});
        return this;
    }
    // Appends a fixed part: with pushparam, /base/{a}/more/{b} is
    // path "/base", then pushparam("a"), push_static_path_part("/more"), pushparam("b").
    path_description* push_static_path_part(const sstring& url) {
        params.push_back({url, url_component_type::FIXED_STRING});
        return this;
    }
    // Appends a query parameter the request must carry (else 400).
    path_description* pushmandatory_param(const sstring& param) {
        mandatory_queryparams.push_back(param);
        return this;
    }

    std::vector<path_part> params;
    sstring path;
    json_operation operations;
    // The rule added by the latest set() (see the contract above); the
    // initial value names no rule.
    mutable routes::rule_cookie _cookie = std::numeric_limits<routes::rule_cookie>::max();
    std::vector<sstring> mandatory_queryparams;

    // Registers `handler` (the routes object's from now on).
    void set(routes& _routes, handler_base* handler) const;
    // A function of the request returning JSON (json_return_type).
    void set(routes& _routes, const json_request_function& f) const;
    // A function returning a future of JSON.
    void set(routes& _routes, const future_json_function& f) const;
    // A function returning text, sent as text/plain. Taken only as a
    // request_function object: a lambda returning a string still goes to the
    // JSON overload (as in Seastar, where this overload does not exist), so
    // that such calls are not ambiguous.
    template <typename F>
        requires std::same_as<std::remove_cvref_t<F>, request_function>
    void set(routes& _routes, F&& f) const {
        set(_routes, new function_handler(request_function(std::forward<F>(f)), "txt"));
    }
    // Removes what the latest set() added and deletes its handler; does
    // nothing when that route is already gone.
    void unset(routes& _routes) const;
};

} // namespace seastar::httpd
