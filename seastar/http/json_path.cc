#include "seastar/http/json_path.hh"

#include <atomic>
#include <memory>

#include "seastar/http/matchrules.hh"

namespace seastar::httpd {

path_description::path_description(const sstring& path, operation_type method, const sstring& nickname,
                                   const std::vector<std::pair<sstring, bool>>& path_parameters,
                                   const std::vector<sstring>& mandatory_params)
    : path(path), operations(method, nickname), mandatory_queryparams(mandatory_params) {
    for (auto& [name, all_path] : path_parameters) {
        pushparam(name, all_path);
    }
}

path_description::path_description(const sstring& path, operation_type method, const sstring& nickname,
                                   const std::initializer_list<path_part>& path_parameters,
                                   const std::vector<sstring>& mandatory_params)
    : params(path_parameters), path(path), operations(method, nickname), mandatory_queryparams(mandatory_params) {}

void path_description::set(routes& _routes, handler_base* handler) const {
    for (auto& p : mandatory_queryparams) {
        handler->mandatory(p);
    }
    if (params.empty()) {
        _routes.put(operations.method, path, handler);
        return;
    }
    auto rule = std::make_unique<match_rule>(handler);
    rule->add_str(path);
    for (auto& part : params) {
        if (part.type == url_component_type::FIXED_STRING) {
            rule->add_str(part.name);
        } else {
            rule->add_param(part.name, part.type == url_component_type::PARAM_UNTIL_END_OF_PATH);
        }
    }
    auto cookie = _routes.add_cookie(rule.get(), operations.method);
    (void)rule.release(); // the routes object's now
    // Several shards may set one (static) description at once; each writes
    // the cookie its own routes gave, the same when they add rules alike.
    std::atomic_ref<routes::rule_cookie>(_cookie).store(cookie, std::memory_order_relaxed);
}

void path_description::set(routes& _routes, const json_request_function& f) const {
    set(_routes, new function_handler(f));
}

void path_description::set(routes& _routes, const future_json_function& f) const {
    set(_routes, new function_handler(f));
}

void path_description::unset(routes& _routes) const {
    if (params.empty()) {
        delete _routes.drop(operations.method, path);
        return;
    }
    auto cookie = std::atomic_ref<routes::rule_cookie>(_cookie).load(std::memory_order_relaxed);
    delete _routes.del_cookie(cookie, operations.method);
}

} // namespace seastar::httpd
