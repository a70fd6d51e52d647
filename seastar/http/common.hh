// Common HTTP vocabulary (Seastar's <seastar/http/common.hh>): the methods a
// route can be registered for (operation_type), path parameters
// (httpd::parameters) and case-insensitive header maps.
//
// Contract: plain values, usable on any shard; nothing here allocates except
// the containers themselves (std::bad_alloc).
//
//     auto op = seastar::httpd::str2type("GET");            // operation_type::GET
//     seastar::httpd::parameters p; p.set("id", "/42");      // as matchers store it
//     p.get_decoded_param("id");                             // "42"
#pragma once

#include <cstddef>
#include <string_view>
#include <unordered_map>

#include "seastar/core/sstring.hh"

namespace seastar {

// ASCII case-insensitive comparison and hash for header names.
struct case_insensitive_cmp {
    bool operator()(std::string_view a, std::string_view b) const noexcept;
};

struct case_insensitive_hash {
    size_t operator()(std::string_view s) const noexcept;
};

namespace http {
using header_map = std::unordered_map<sstring, sstring, case_insensitive_hash, case_insensitive_cmp>;
} // namespace http

namespace httpd {

// Request methods, as routes know them. NUM_OPERATION is the count (not a method).
enum operation_type { GET, POST, PUT, DELETE, HEAD, OPTIONS, TRACE, CONNECT, PATCH, NUM_OPERATION };

// The method named `type` (upper case, exact); NUM_OPERATION when it is none of them.
operation_type str2type(std::string_view type) noexcept;
// The method's name ("GET"); "UNKNOWN" for NUM_OPERATION.
sstring type2str(operation_type type);

// Path parameters captured by matchers. Values keep the leading '/' the path
// had (Seastar's convention); get_decoded_param() strips it and %-decodes.
class parameters {
    std::unordered_map<sstring, sstring> _set;

public:
    // The raw value ("/42"), empty when absent.
    const sstring& path(const sstring& key) const;
    // The value without its leading '/' and not decoded ("42").
    sstring operator[](const sstring& key) const;
    // The value without its leading '/', %-decoded; empty when absent or not decodable.
    sstring get_decoded_param(const sstring& key) const;
    bool exists(const sstring& key) const { return _set.contains(key); }
    void set(const sstring& key, const sstring& value) { _set[key] = value; }
    void clear() { _set.clear(); }
};

} // namespace httpd
} // namespace seastar
