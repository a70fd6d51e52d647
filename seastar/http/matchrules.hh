// A route made of matchers (Seastar's <seastar/http/matchrules.hh>): the
// path must be matched whole by the matchers in order.
//
// Contract: owns its matchers. The handler is owned by routes (the default)
// or, when built with owns_handler (or handed back by routes::del_cookie), by
// the rule itself, which then deletes it with itself.
//
//     auto* rule = new seastar::httpd::match_rule(handler);
//     rule->add_str("/user").add_param("id").add_str("/posts");   // /user/{id}/posts
//     routes.add(rule, seastar::httpd::GET);
#pragma once

#include <memory>
#include <vector>

#include "seastar/http/common.hh"
#include "seastar/http/handlers.hh"
#include "seastar/http/matcher.hh"

namespace seastar::httpd {

class match_rule {
public:
    explicit match_rule(handler_base* handler, bool owns_handler = false)
        : _handler(handler), _owned_handler(owns_handler ? handler : nullptr) {}
    // The handler when the whole url matches (filling `params`), else null.
    handler_base* get(const sstring& url, parameters& params);
    match_rule& add_matcher(std::unique_ptr<matcher> m) {
        _match_list.push_back(std::move(m));
        return *this;
    }
    match_rule& add_str(const sstring& str) { return add_matcher(std::make_unique<str_matcher>(str)); }
    match_rule& add_param(const sstring& str, bool fullpath = false) {
        return add_matcher(std::make_unique<param_matcher>(str, fullpath));
    }
    handler_base* handler() const noexcept { return _handler; }
    bool owns_handler() const noexcept { return bool(_owned_handler); }
    // The rule takes its handler (routes gives it up in del_cookie).
    void own_handler() {
        if (!_owned_handler) {
            _owned_handler.reset(_handler);
        }
    }

private:
    std::vector<std::unique_ptr<matcher>> _match_list;
    handler_base* _handler;
    std::unique_ptr<handler_base> _owned_handler;
};

} // namespace seastar::httpd
