// text_protocol: an incremental parser for memcached's ASCII protocol.
//
// Bytes arrive in any split (feed()); next() returns each complete request
// in order: a command line and, for storage commands, its data block. The
// parser checks the syntax the way memcached 1.6 does and turns what it
// rejects into a request of kind `error` that carries memcached's exact
// reply (`ERROR`, `CLIENT_ERROR ...`, `SERVER_ERROR ...`), so the caller
// only has to send it. The data block of a storage command that is refused
// before it is read (object too large) is swallowed, never parsed as
// commands; a data block not followed by "\r\n" gives `CLIENT_ERROR bad
// data chunk`.
//
// Limits: a command line longer than `max_line` bytes without a newline
// closes the connection (kind `close`), except get/gets/gat/gats lines
// (large multi-gets), which may reach `max_get_line` bytes.
//
// Contract: single-threaded; feed() copies what it cannot use yet; no
// exceptions other than std::bad_alloc.
//
//     text_parser p({.max_item_size = 1 << 20});
//     p.feed("get a b\r\n");
//     auto r = p.next();   // r->kind == cmd::get, r->keys == {"a", "b"}
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seastar::memcache {

enum class cmd {
    get,
    gets,
    gat,
    gats,
    set,
    add,
    replace,
    append,
    prepend,
    cas,
    del,
    incr,
    decr,
    touch,
    flush_all,
    stats,
    version,
    verbosity,
    quit,
    error, // `reply` holds what to send
    close, // close the connection without a reply
};

struct text_request {
    cmd kind = cmd::error;
    std::vector<std::string> keys;
    std::string data;
    std::string reply;     // for cmd::error
    std::string stats_arg; // for cmd::stats: "", "settings", "items", "slabs", "reset", ...
    uint32_t flags = 0;
    int64_t exptime = 0; // also the delay of flush_all
    uint64_t cas = 0;
    uint64_t delta = 0;
    bool noreply = false;
    // cmd::error for a set refused as too large: the key's old value goes too.
    bool drop_key = false;
};

struct text_parser_config {
    size_t max_item_size = size_t(1) << 20;
    size_t max_line = 2048;
    size_t max_get_line = size_t(1) << 20;
};

class text_parser {
    text_parser_config _cfg;
    std::string _buf;
    size_t _pos = 0;
    uint64_t _swallow = 0;                // data bytes still to drop
    std::optional<text_request> _pending; // a storage command waiting for its data
    size_t _data_len = 0;                 // its declared length
    bool _closed = false;

public:
    explicit text_parser(text_parser_config cfg = {}) : _cfg(cfg) {}

    void feed(std::string_view bytes);
    // The next complete request, or nullopt until more bytes arrive.
    std::optional<text_request> next();
    // Bytes held, waiting for the rest of a request.
    size_t buffered() const noexcept { return _buf.size() - _pos; }
    // True while a storage command waits for its data block.
    bool in_data() const noexcept { return _pending.has_value(); }

private:
    std::optional<text_request> parse_line(std::string_view line);
    void compact();
};

// Reply helpers shared by the protocol front ends.
namespace reply {
inline constexpr std::string_view error = "ERROR\r\n";
inline constexpr std::string_view bad_format = "CLIENT_ERROR bad command line format\r\n";
inline constexpr std::string_view bad_chunk = "CLIENT_ERROR bad data chunk\r\n";
inline constexpr std::string_view too_large = "SERVER_ERROR object too large for cache\r\n";
inline constexpr std::string_view no_memory = "SERVER_ERROR out of memory storing object\r\n";
inline constexpr std::string_view line_too_long = "CLIENT_ERROR line too long\r\n";
} // namespace reply

} // namespace seastar::memcache
