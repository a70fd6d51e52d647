#include "seastar/http/url.hh"

#include <string>

namespace seastar::http::internal {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool decode(std::string_view in, sstring& out, bool plus_is_space) {
    std::string r;
    r.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (in.size() - i < 3) {
                return false;
            }
            int hi = hex_value(in[i + 1]);
            int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) {
                return false;
            }
            r += char(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            r += ' ';
        } else {
            r += c;
        }
    }
    out = sstring(r);
    return true;
}

} // namespace

bool url_decode(std::string_view in, sstring& out) {
    return decode(in, out, true);
}

bool path_decode(std::string_view in, sstring& out) {
    return decode(in, out, false);
}

sstring url_encode(std::string_view in) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string r;
    r.reserve(in.size() * 3);
    for (char c : in) {
        bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '_' || c == '~';
        if (unreserved) {
            r += c;
        } else {
            r += '%';
            r += hex[uint8_t(c) >> 4];
            r += hex[uint8_t(c) & 15];
        }
    }
    return sstring(r);
}

} // namespace seastar::http::internal
