#include "seastar/json/parse.hh"

namespace seastar::json {

document::document(std::string_view text, size_t max_depth)
    : _parser(std::make_unique<simdjson::dom::parser>(simdjson::SIMDJSON_MAXSIZE_BYTES)) {
    if (auto err = _parser->allocate(text.size(), max_depth)) {
        throw parse_error(std::string("malformed JSON: ") + simdjson::error_message(err));
    }
    auto r = _parser->parse(text.data(), text.size(), true);
    if (r.error()) {
        throw parse_error(std::string("malformed JSON: ") + simdjson::error_message(r.error()));
    }
    _root = r.value_unsafe();
}

} // namespace seastar::json
