// libFuzzer target for both request parsers. The first input byte picks the
// parser and a chunk size; the rest is fed whole and in chunks, and the two
// runs must produce the same requests (a parser may not depend on how bytes
// are split). Crashes, sanitizer reports and mismatches fail.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tools/memcached/binary_protocol.hh"
#include "tools/memcached/text_protocol.hh"

using namespace seastar::memcache;

namespace {

std::string describe(const text_request& r) {
    std::string s = std::to_string(int(r.kind)) + "|" + r.reply + "|" + r.data + "|" + r.stats_arg + "|" +
                    std::to_string(r.flags) + "|" + std::to_string(r.exptime) + "|" + std::to_string(r.cas) + "|" +
                    std::to_string(r.delta) + "|" + (r.noreply ? "n" : "") + (r.drop_key ? "d" : "");
    for (auto& k : r.keys) {
        s += "|" + k;
    }
    return s;
}

std::string describe(const binary::request& r) {
    return std::to_string(int(r.kind)) + "|" + std::to_string(r.h.opcode) + "|" + std::to_string(r.h.body_length) +
           "|" + r.extras + "|" + r.key + "|" + r.value;
}

template <typename Parser>
std::vector<std::string> run(std::string_view in, size_t step, Parser p) {
    std::vector<std::string> out;
    for (size_t i = 0; i < in.size(); i += step) {
        p.feed(in.substr(i, step));
        while (auto r = p.next()) {
            out.push_back(describe(*r));
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    uint8_t sel = data[0];
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    size_t step = 1 + (sel >> 1) % 17;
    if (sel & 1) {
        auto whole = run(in, in.size() + 1, binary::parser(4096));
        auto split = run(in, step, binary::parser(4096));
        if (whole != split) {
            std::abort();
        }
    } else {
        text_parser_config cfg{.max_item_size = 4096, .max_line = 256, .max_get_line = 1024};
        auto whole = run(in, in.size() + 1, text_parser(cfg));
        auto split = run(in, step, text_parser(cfg));
        if (whole != split) {
            std::abort();
        }
    }
    return 0;
}
