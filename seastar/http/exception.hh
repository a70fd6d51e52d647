// Exceptions a handler throws to answer with an HTTP status (Seastar's
// <seastar/http/exception.hh>). The server turns a base_exception into a
// reply with its status and a JSON body {"message": ..., "code": ...};
// any other exception becomes 500 Internal Server Error.
//
//     throw seastar::httpd::not_found_exception("no such key");
//     throw seastar::httpd::bad_param_exception("id must be a number");
#pragma once

#include <exception>
#include <string>

#include "seastar/core/sstring.hh"
#include "seastar/http/reply.hh"

namespace seastar::httpd {

class base_exception : public std::exception {
public:
    base_exception(const std::string& msg, http::reply::status_type status) : _msg(msg), _status(status) {}
    const char* what() const noexcept override { return _msg.c_str(); }
    http::reply::status_type status() const noexcept { return _status; }
    virtual const std::string& str() const noexcept { return _msg; }

private:
    std::string _msg;
    http::reply::status_type _status;
};

class redirect_exception : public base_exception {
public:
    explicit redirect_exception(const std::string& url,
                                http::reply::status_type status = http::reply::status_type::moved_permanently)
        : base_exception("", status), url(url) {}
    std::string url;
};

class not_found_exception : public base_exception {
public:
    explicit not_found_exception(const std::string& msg = "Not found")
        : base_exception(msg, http::reply::status_type::not_found) {}
};

class bad_request_exception : public base_exception {
public:
    explicit bad_request_exception(const std::string& msg)
        : base_exception(msg, http::reply::status_type::bad_request) {}
};

class bad_param_exception : public bad_request_exception {
public:
    explicit bad_param_exception(const std::string& msg) : bad_request_exception(msg) {}
};

class missing_param_exception : public bad_request_exception {
public:
    explicit missing_param_exception(const std::string& param)
        : bad_request_exception(std::string("Missing mandatory parameter '") + param + "'") {}
};

class bad_chunk_exception : public bad_request_exception {
public:
    explicit bad_chunk_exception(const std::string& msg) : bad_request_exception(msg) {}
};

class server_error_exception : public base_exception {
public:
    explicit server_error_exception(const std::string& msg)
        : base_exception(msg, http::reply::status_type::internal_server_error) {}
};

// The JSON body the server sends for an exception: {"message": ..., "code": ...}.
sstring json_exception_body(const std::string& message, http::reply::status_type status);

} // namespace seastar::httpd
