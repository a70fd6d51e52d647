#include "seastar/json/formatter.hh"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace seastar::json {

future<> jsonable::write(output_stream<char>& s) const {
    auto text = to_json(); // write() copies it before returning
    return s.write(std::string_view(text));
}

sstring formatter::to_json(std::string_view str) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string r;
    r.reserve(str.size() + 2);
    r += '"';
    for (char c : str) {
        switch (c) {
        case '"':
            r += "\\\"";
            break;
        case '\\':
            r += "\\\\";
            break;
        case '\b':
            r += "\\b";
            break;
        case '\f':
            r += "\\f";
            break;
        case '\n':
            r += "\\n";
            break;
        case '\r':
            r += "\\r";
            break;
        case '\t':
            r += "\\t";
            break;
        default:
            if (uint8_t(c) < 0x20) {
                r += "\\u00";
                r += hex[uint8_t(c) >> 4];
                r += hex[uint8_t(c) & 15];
            } else {
                r += c;
            }
        }
    }
    r += '"';
    return sstring(r);
}

sstring formatter::to_json(double d) {
    if (!std::isfinite(d)) {
        return "null";
    }
    // The shortest of 15-17 significant digits that reads back as `d`.
    char buf[32];
    int n = 0;
    for (int precision = 15; precision <= 17; ++precision) {
        n = std::snprintf(buf, sizeof(buf), "%.*g", precision, d);
        if (std::strtod(buf, nullptr) == d) {
            break;
        }
    }
    return sstring(buf, size_t(n));
}

} // namespace seastar::json
