// Handlers made from functions (Seastar's <seastar/http/function_handlers.hh>):
// a function of the request returning text, one that also fills the reply,
// one returning JSON (json_return_type, possibly streamed), and their
// future-returning forms.
//
// Contract: the function runs on the connection's shard; what it throws
// becomes the reply's status (see routes).
//
//     new seastar::httpd::function_handler([](seastar::httpd::const_req req) {
//         return "hello " + req.get_query_param("name");
//     }, "txt");
//     new seastar::httpd::function_handler([](seastar::httpd::const_req) {
//         return seastar::json::json_return_type(std::vector<int>{1, 2, 3});
//     });
#pragma once

#include <functional>
#include <memory>

#include "seastar/core/future.hh"
#include "seastar/http/handlers.hh"
#include "seastar/json/json_elements.hh"

namespace seastar::httpd {

using request_function = std::function<sstring(const_req req)>;
using handle_function = std::function<sstring(const_req req, http::reply&)>;
using json_request_function = std::function<json::json_return_type(const_req req)>;
using future_json_function = std::function<future<json::json_return_type>(std::unique_ptr<http::request> req)>;
using future_handler_function =
    std::function<future<std::unique_ptr<http::reply>>(std::unique_ptr<http::request>, std::unique_ptr<http::reply>)>;

class function_handler : public handler_base {
public:
    function_handler(const handle_function& f_handle, const sstring& type)
        : _f_handle([f_handle](std::unique_ptr<http::request> req, std::unique_ptr<http::reply> rep) {
              rep->_content += f_handle(*req, *rep);
              return make_ready_future<std::unique_ptr<http::reply>>(std::move(rep));
          }),
          _type(type) {}

    function_handler(const request_function& handle, const sstring& type)
        : function_handler(handle_function([handle](const_req req, http::reply&) { return handle(req); }), type) {}

    explicit function_handler(const future_handler_function& f_handle) : _f_handle(f_handle), _type("") {}

    explicit function_handler(const json_request_function& handle)
        : _f_handle([handle](std::unique_ptr<http::request> req, std::unique_ptr<http::reply> rep) {
              set_json(*rep, handle(*req));
              return make_ready_future<std::unique_ptr<http::reply>>(std::move(rep));
          }),
          _type("json") {}

    explicit function_handler(const future_json_function& handle)
        : _f_handle([handle](std::unique_ptr<http::request> req, std::unique_ptr<http::reply> rep) {
              return handle(std::move(req)).then([rep = std::move(rep)](json::json_return_type&& res) mutable {
                  set_json(*rep, std::move(res));
                  return std::move(rep);
              });
          }),
          _type("json") {}

    future<std::unique_ptr<http::reply>> handle(const sstring& path, std::unique_ptr<http::request> req,
                                                std::unique_ptr<http::reply> rep) override {
        return _f_handle(std::move(req), std::move(rep)).then([this](std::unique_ptr<http::reply> rep) {
            if (!_type.empty() && rep->get_header("Content-Type").empty()) {
                rep->set_content_type(_type);
            }
            return rep;
        });
    }

private:
    static void set_json(http::reply& rep, json::json_return_type&& res) {
        if (res._body_writer) {
            rep.write_body("json", std::move(res._body_writer));
        } else {
            rep._content += res._res;
        }
    }

    future_handler_function _f_handle;
    sstring _type;
};

} // namespace seastar::httpd
