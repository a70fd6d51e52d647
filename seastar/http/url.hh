// URL helpers (Seastar's <seastar/http/url.hh>): %-decoding of paths and
// query strings, %-encoding for clients.
//
// Contract: pure functions on any shard; they allocate the result
// (std::bad_alloc). url_decode() returns false on a malformed escape
// ("%4", "%zz") and leaves `out` unspecified.
//
//     seastar::sstring out;
//     seastar::http::internal::url_decode("a%20b+c", out);  // "a b c"
#pragma once

#include <string_view>

#include "seastar/core/sstring.hh"

namespace seastar::http::internal {

// Decodes %XX escapes and '+' (as a space, the form encoding of query strings).
bool url_decode(std::string_view in, sstring& out);
// Decodes %XX escapes only ('+' stays): for paths.
bool path_decode(std::string_view in, sstring& out);
// Escapes every byte outside RFC 3986's unreserved set.
sstring url_encode(std::string_view in);

} // namespace seastar::http::internal
