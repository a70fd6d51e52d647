#include "seastar/http/mime_types.hh"

#include <array>
#include <utility>

#include "seastar/http/common.hh"

namespace seastar::httpd::mime_types {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 22> table = {{
    {"html", "text/html"},        {"htm", "text/html"},       {"css", "text/css"},
    {"txt", "text/plain"},        {"text", "text/plain"},     {"js", "text/javascript"},
    {"json", "application/json"}, {"xml", "application/xml"}, {"csv", "text/csv"},
    {"png", "image/png"},         {"jpg", "image/jpeg"},      {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},         {"svg", "image/svg+xml"},   {"ico", "image/x-icon"},
    {"pdf", "application/pdf"},   {"gz", "application/gzip"}, {"zip", "application/zip"},
    {"wasm", "application/wasm"}, {"woff2", "font/woff2"},    {"bin", "application/octet-stream"},
    {"md", "text/markdown"},
}};

} // namespace

sstring mime_type_from_extension(std::string_view extension) {
    if (extension.find('/') != std::string_view::npos) {
        return sstring(extension);
    }
    for (auto& [ext, type] : table) {
        if (case_insensitive_cmp()(ext, extension)) {
            return sstring(type);
        }
    }
    return "text/plain";
}

} // namespace seastar::httpd::mime_types
