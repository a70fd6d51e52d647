// A request's JSON body, parsed (json::document, simdjson underneath).
//
// request_json() parses the body the server collected (`req.content`); text
// that is not JSON throws httpd::bad_request_exception, so a handler that
// lets it through answers 400 with the parser's reason as the message
// (routes map it), and the connection stays open for the next request.
//
//     r.put(POST, "/put", new function_handler([](const_req req) {
//         auto doc = http::request_json(req);
//         std::string_view key = doc.root()["key"];
//         ...
//     }));
#pragma once

#include "seastar/http/request.hh"
#include "seastar/json/parse.hh"

namespace seastar::http {

json::document request_json(const request& req);

} // namespace seastar::http
