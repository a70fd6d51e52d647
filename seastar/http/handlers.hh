// The handler interface (Seastar's <seastar/http/handlers.hh>): what a route
// runs for a request. A handler takes the request and a reply to fill in and
// resolves to the reply; it may throw (or fail its future with) a
// base_exception to answer with that status.
//
// Contract: called on the shard that accepted the connection; the request is
// the handler's to keep until its future resolves.
//
//     struct hello : seastar::httpd::handler_base {
//         seastar::future<std::unique_ptr<seastar::http::reply>> handle(const seastar::sstring& path,
//                 std::unique_ptr<seastar::http::request> req, std::unique_ptr<seastar::http::reply> rep) override {
//             rep->write_body("txt", seastar::sstring("hello"));
//             return seastar::make_ready_future<std::unique_ptr<seastar::http::reply>>(std::move(rep));
//         }
//     };
#pragma once

#include <memory>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/sstring.hh"
#include "seastar/http/exception.hh"
#include "seastar/http/reply.hh"
#include "seastar/http/request.hh"

namespace seastar::httpd {

using const_req = const http::request&;

class handler_base {
    std::vector<sstring> _mandatory_param;

public:
    virtual ~handler_base() = default;
    virtual future<std::unique_ptr<http::reply>> handle(const sstring& path, std::unique_ptr<http::request> req,
                                                        std::unique_ptr<http::reply> rep) = 0;
    // Throws missing_param_exception for the first mandatory path or query
    // parameter the request lacks.
    void verify_mandatory_params(const http::request& req) const {
        for (auto& p : _mandatory_param) {
            if (!req.param.exists(p) && !req.query_parameters.contains(p)) {
                throw missing_param_exception(std::string(p));
            }
        }
    }
    handler_base& mandatory(const sstring& param) {
        _mandatory_param.push_back(param);
        return *this;
    }
};

} // namespace seastar::httpd
