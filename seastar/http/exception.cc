#include "seastar/http/exception.hh"

#include "seastar/json/formatter.hh"

namespace seastar::httpd {

sstring json_exception_body(const std::string& message, http::reply::status_type status) {
    return "{\"message\": " + json::formatter::to_json(std::string_view(message)) +
           ", \"code\": " + to_sstring(int(status)) + "}";
}

} // namespace seastar::httpd
