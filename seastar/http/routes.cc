#include "seastar/http/routes.hh"

#include <algorithm>

#include "seastar/http/exception.hh"

namespace seastar::httpd {

routes::routes() = default;

routes::~routes() {
    for (auto& rules : _rules) {
        for (auto& [cookie, r] : rules) {
            delete r;
        }
    }
}

void routes::own(handler_base* h) {
    if (!h) {
        return;
    }
    for (auto& o : _owned) {
        if (o.get() == h) {
            return; // one handler on several routes is deleted once
        }
    }
    _owned.emplace_back(h);
}

routes& routes::put(operation_type type, const sstring& url, handler_base* handler) {
    own(handler);
    _map[type][url] = handler;
    return *this;
}

handler_base* routes::drop(operation_type type, const sstring& url) {
    auto it = _map[type].find(url);
    if (it == _map[type].end()) {
        return nullptr;
    }
    auto* h = it->second;
    _map[type].erase(it);
    auto o = std::find_if(_owned.begin(), _owned.end(), [h](auto& p) { return p.get() == h; });
    if (o != _owned.end()) {
        o->release();
        _owned.erase(o);
    }
    return h;
}

routes& routes::add(match_rule* rule, operation_type type) {
    add_cookie(rule, type);
    return *this;
}

routes::rule_cookie routes::add_cookie(match_rule* rule, operation_type type) {
    if (!rule->owns_handler()) {
        own(rule->handler());
    }
    auto cookie = _rover++;
    _rules[type].emplace(cookie, rule);
    return cookie;
}

bool routes::in_use(const handler_base* h) const {
    if (h == _default_handler) {
        return true;
    }
    for (auto& m : _map) {
        for (auto& [path, handler] : m) {
            if (handler == h) {
                return true;
            }
        }
    }
    for (auto& rules : _rules) {
        for (auto& [cookie, r] : rules) {
            if (r->handler() == h) {
                return true;
            }
        }
    }
    return false;
}

match_rule* routes::del_cookie(rule_cookie cookie, operation_type type) {
    if (type >= NUM_OPERATION) {
        return nullptr;
    }
    auto it = _rules[type].find(cookie);
    if (it == _rules[type].end()) {
        return nullptr;
    }
    auto* rule = it->second;
    _rules[type].erase(it);
    auto* h = rule->handler();
    if (!rule->owns_handler() && !in_use(h)) {
        auto o = std::find_if(_owned.begin(), _owned.end(), [h](auto& p) { return p.get() == h; });
        if (o != _owned.end()) {
            o->release();
            _owned.erase(o);
            rule->own_handler();
        }
    }
    return rule;
}

routes& routes::add(operation_type type, const url& u, handler_base* handler) {
    auto* rule = new match_rule(handler);
    // Split the path into fixed text and {name} segments.
    std::string_view p(u._path);
    std::string fixed;
    while (!p.empty()) {
        auto open = p.find("/{");
        if (open == std::string_view::npos) {
            fixed += p;
            break;
        }
        auto close = p.find('}', open);
        if (close == std::string_view::npos) {
            fixed += p;
            break;
        }
        fixed += p.substr(0, open);
        if (!fixed.empty()) {
            rule->add_str(sstring(fixed));
            fixed.clear();
        }
        rule->add_param(sstring(p.substr(open + 2, close - open - 2)));
        p.remove_prefix(close + 1);
    }
    if (!fixed.empty()) {
        rule->add_str(sstring(fixed));
    }
    if (!u._param.empty()) {
        rule->add_param(u._param, true);
    }
    return add(rule, type);
}

routes& routes::add_default_handler(handler_base* handler) {
    own(handler);
    _default_handler = handler;
    return *this;
}

handler_base* routes::get_handler(operation_type type, const sstring& url, parameters& params) {
    if (type >= NUM_OPERATION) {
        return nullptr;
    }
    auto it = _map[type].find(url);
    if (it != _map[type].end()) {
        return it->second;
    }
    for (auto& [cookie, rule] : _rules[type]) {
        params.clear();
        if (auto* h = rule->get(url, params)) {
            return h;
        }
    }
    params.clear();
    if (type == HEAD) {
        // HEAD is answered as GET would be (the server leaves out the body).
        return get_handler(GET, url, params);
    }
    return _default_handler;
}

exception_handler_id routes::register_exeption_handler(exception_handler_fun fun) {
    auto id = _next_exception_handler++;
    _exception_handlers.emplace_back(id, std::move(fun));
    return id;
}

void routes::remove_exception_handler(exception_handler_id id) {
    std::erase_if(_exception_handlers, [id](auto& e) { return e.first == id; });
}

std::unique_ptr<http::reply> routes::exception_reply(std::exception_ptr eptr) {
    for (auto it = _exception_handlers.rbegin(); it != _exception_handlers.rend(); ++it) {
        try {
            return it->second(eptr);
        } catch (...) {
            eptr = std::current_exception();
        }
    }
    auto rep = std::make_unique<http::reply>();
    try {
        std::rethrow_exception(eptr);
    } catch (const redirect_exception& e) {
        rep->set_status(e.status());
        rep->add_header("Location", sstring(e.url));
    } catch (const base_exception& e) {
        rep->set_status(e.status());
        rep->write_body("json", json_exception_body(e.str(), e.status()));
    } catch (const std::exception& e) {
        rep->set_status(http::reply::status_type::internal_server_error);
        rep->write_body("json", json_exception_body(e.what(), http::reply::status_type::internal_server_error));
    } catch (...) {
        rep->set_status(http::reply::status_type::internal_server_error);
        rep->write_body("json",
                        json_exception_body("Unknown exception", http::reply::status_type::internal_server_error));
    }
    return rep;
}

future<std::unique_ptr<http::reply>> routes::handle(const sstring& path, std::unique_ptr<http::request> req,
                                                    std::unique_ptr<http::reply> rep) {
    handler_base* handler = nullptr;
    try {
        handler = get_handler(str2type(req->_method), path, req->param);
        if (!handler) {
            throw not_found_exception("Not found");
        }
        handler->verify_mandatory_params(*req);
    } catch (...) {
        return make_ready_future<std::unique_ptr<http::reply>>(exception_reply(std::current_exception()));
    }
    return futurize_invoke([&] { return handler->handle(path, std::move(req), std::move(rep)); })
        .handle_exception([this](std::exception_ptr e) { return exception_reply(e); });
}

} // namespace seastar::httpd
