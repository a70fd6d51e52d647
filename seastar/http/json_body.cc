#include "seastar/http/json_body.hh"

#include <string>

#include "seastar/http/exception.hh"

namespace seastar::http {

json::document request_json(const request& req) {
    try {
        return json::document(std::string_view(req.content.data(), req.content.size()));
    } catch (const json::parse_error& e) {
        throw httpd::bad_request_exception(std::string("request body: ") + e.what());
    }
}

} // namespace seastar::http
