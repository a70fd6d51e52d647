// Parsing JSON text (request bodies) with simdjson, Debian's libsimdjson-dev.
// Seastar writes JSON with json::formatter and json_elements but leaves
// parsing to a library; simdjson was chosen by measurement against RapidJSON
// and nlohmann-json (docs/benchmarks.md, "JSON parsing": 2.5-2.9x RapidJSON,
// 12-15x nlohmann-json on the same bodies).
//
//   * json::document parses its text on construction (a copy goes into
//     simdjson's padded memory, so the text need not outlive it) and owns the
//     tree; root() is simdjson's DOM element (`doc.root()["key"]`,
//     `int64_t(e)`, `std::string_view(e)`, `get_array()`, ...), valid while
//     the document lives. A document moves without invalidating its elements.
//   * Memory: simdjson's tree takes several times the text's size, so the
//     body limit (http_server::set_content_length_limit) bounds it.
//   * Malformed text (truncated, trailing bytes, invalid UTF-8, nesting
//     deeper than max_depth, empty) throws json::parse_error naming simdjson's
//     reason; accessing a missing field or a wrong type through root() throws
//     simdjson::simdjson_error, as simdjson does.
//
//     json::document doc(req.content);
//     int64_t ttl = doc.root()["ttl"];
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace seastar::json {

class parse_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

class document {
    std::unique_ptr<simdjson::dom::parser> _parser;
    simdjson::dom::element _root;

public:
    static constexpr size_t default_max_depth = 1024;

    // Parses `text`; throws parse_error.
    explicit document(std::string_view text, size_t max_depth = default_max_depth);
    document(document&&) noexcept = default;
    document& operator=(document&&) noexcept = default;

    simdjson::dom::element root() const noexcept { return _root; }
};

} // namespace seastar::json
