// Content types by file extension (Seastar's <seastar/http/mime_types.hh>).
//
// Contract: a constant table; any shard; no allocation beyond the result.
//
//     seastar::httpd::mime_types::mime_type_from_extension("json");  // "application/json"
#pragma once

#include <string_view>

#include "seastar/core/sstring.hh"

namespace seastar::httpd::mime_types {

// The type for an extension without its dot ("html"), compared
// case-insensitively; "text/plain" when unknown. A value that already holds a
// '/' is taken as a type and returned as is.
sstring mime_type_from_extension(std::string_view extension);

} // namespace seastar::httpd::mime_types
