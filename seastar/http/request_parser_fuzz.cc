// libFuzzer target for the request-head parser. The first input byte picks a
// chunk size; the rest is parsed whole and in chunks, request after request
// (pipelined, skipping each Content-Length body), and both runs must give the
// same requests and the same error (the parser may not depend on how bytes
// are split). Crashes, sanitizer reports and mismatches fail.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "seastar/http/request_parser.hh"

using namespace seastar;

namespace {

std::string describe(http::request& r, bool chunked) {
    std::string s = std::string(r._method) + "|" + std::string(r._url) + "|" + std::string(r._version) + "|" +
                    std::to_string(r.content_length) + (chunked ? "|c" : "|");
    std::vector<std::string> headers;
    for (auto& [k, v] : r._headers) {
        headers.push_back(std::string(k) + ":" + std::string(v));
    }
    std::sort(headers.begin(), headers.end());
    for (auto& h : headers) {
        s += "|" + h;
    }
    return s;
}

std::vector<std::string> run(std::string_view in, size_t step) {
    http_parser_limits limits{.max_request_line = 256, .max_header_bytes = 512, .max_headers = 8};
    http_request_parser p(limits);
    std::vector<std::string> out;
    p.init();
    size_t pos = 0;
    while (pos < in.size()) {
        auto piece = in.substr(pos, step);
        size_t used = p.parse(piece.data(), piece.size());
        if (used > piece.size()) {
            std::abort();
        }
        pos += used;
        if (p.failed()) {
            out.push_back("error " + std::to_string(int(p.error_status())));
            return out;
        }
        if (p.done()) {
            auto req = p.get_parsed_request();
            if (!req || req->_method.empty() || req->_url.empty()) {
                std::abort();
            }
            out.push_back(describe(*req, p.chunked()));
            if (p.chunked()) {
                return out;
            }
            pos += std::min<size_t>(req->content_length, in.size() - pos);
            p.init();
        } else if (used != piece.size()) {
            std::abort();
        }
    }
    p.parse_eof();
    out.push_back(p.eof() ? "eof" : p.failed() ? "truncated" : "?");
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    size_t step = 1 + data[0] % 23;
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    if (run(in, in.size() + 1) != run(in, step)) {
        std::abort();
    }
    return 0;
}
