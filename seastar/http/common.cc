#include "seastar/http/common.hh"

#include <array>

#include "seastar/http/url.hh"

namespace seastar {

namespace {

constexpr char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

} // namespace

bool case_insensitive_cmp::operator()(std::string_view a, std::string_view b) const noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

size_t case_insensitive_hash::operator()(std::string_view s) const noexcept {
    // FNV-1a over the lower-cased bytes.
    size_t h = 14695981039346656037ull;
    for (char c : s) {
        h ^= uint8_t(lower(c));
        h *= 1099511628211ull;
    }
    return h;
}

namespace httpd {

namespace {

constexpr std::array<std::string_view, NUM_OPERATION> names = {"GET",     "POST",  "PUT",     "DELETE", "HEAD",
                                                               "OPTIONS", "TRACE", "CONNECT", "PATCH"};

} // namespace

operation_type str2type(std::string_view type) noexcept {
    for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == type) {
            return operation_type(i);
        }
    }
    return NUM_OPERATION;
}

sstring type2str(operation_type type) {
    if (type >= 0 && type < NUM_OPERATION) {
        return sstring(names[type]);
    }
    return "UNKNOWN";
}

const sstring& parameters::path(const sstring& key) const {
    static const sstring empty;
    auto it = _set.find(key);
    return it == _set.end() ? empty : it->second;
}

sstring parameters::operator[](const sstring& key) const {
    auto& v = path(key);
    return v.empty() ? v : v.substr(1);
}

sstring parameters::get_decoded_param(const sstring& key) const {
    auto raw = (*this)[key];
    sstring out;
    if (!http::internal::url_decode(raw, out)) {
        return {};
    }
    return out;
}

} // namespace httpd
} // namespace seastar
