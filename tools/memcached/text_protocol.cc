#include "tools/memcached/text_protocol.hh"

#include <charconv>
#include <limits>

#include "tools/memcached/store.hh"

namespace seastar::memcache {

namespace {

// memcached keeps at most this many tokens of a line (the command included).
constexpr size_t max_tokens = 24;

template <typename T>
bool parse_number(std::string_view s, T& out) {
    if (s.empty()) {
        return false;
    }
    if constexpr (std::is_unsigned_v<T>) {
        if (s.front() == '-') {
            return false;
        }
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool parse_exptime(std::string_view s, int64_t& out) {
    int64_t v = 0;
    if (!parse_number(s, v) || v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
        return false;
    }
    out = v;
    return true;
}

text_request error_request(std::string_view reply) {
    text_request r;
    r.kind = cmd::error;
    r.reply = std::string(reply);
    return r;
}

// Decided by the first bytes alone, so the answer does not depend on how much
// of the line has arrived.
bool is_get_line(std::string_view line) {
    for (std::string_view p : {"get ", "gets ", "gat ", "gats "}) {
        if (line.substr(0, p.size()) == p) {
            return true;
        }
    }
    return false;
}

} // namespace

void text_parser::feed(std::string_view bytes) {
    if (_closed) {
        return;
    }
    while (_swallow && !bytes.empty() && _pos == _buf.size()) {
        size_t n = std::min<uint64_t>(_swallow, bytes.size());
        _swallow -= n;
        bytes.remove_prefix(n);
    }
    compact();
    _buf.append(bytes);
}

void text_parser::compact() {
    if (_pos == _buf.size()) {
        _buf.clear();
        _pos = 0;
    } else if (_pos > 4096 && _pos * 2 > _buf.size()) {
        _buf.erase(0, _pos);
        _pos = 0;
    }
}

std::optional<text_request> text_parser::next() {
    for (;;) {
        if (_closed) {
            return std::nullopt;
        }
        if (_swallow) {
            size_t n = std::min<uint64_t>(_swallow, _buf.size() - _pos);
            _swallow -= n;
            _pos += n;
            compact();
            if (_swallow) {
                return std::nullopt;
            }
        }
        std::string_view avail(_buf.data() + _pos, _buf.size() - _pos);
        if (_pending) {
            if (avail.size() < _data_len + 2) {
                return std::nullopt;
            }
            auto r = std::move(*_pending);
            _pending.reset();
            _pos += _data_len + 2;
            if (avail.substr(_data_len, 2) != "\r\n") {
                compact();
                auto e = error_request(reply::bad_chunk);
                e.noreply = r.noreply;
                return e;
            }
            r.data.assign(avail.data(), _data_len);
            compact();
            return r;
        }
        auto nl = avail.find('\n');
        auto line_limit = [this](std::string_view l) { return is_get_line(l) ? _cfg.max_get_line : _cfg.max_line; };
        // A line over the limit closes the connection whether or not its end has arrived.
        if (nl != std::string_view::npos && nl > line_limit(avail)) {
            nl = std::string_view::npos;
        }
        if (nl == std::string_view::npos) {
            if (avail.size() > line_limit(avail)) {
                // No terminator in sight: memcached gives up on the connection.
                _closed = true;
                text_request r;
                r.kind = cmd::close;
                return r;
            }
            return std::nullopt;
        }
        auto line = avail.substr(0, nl);
        _pos += nl + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        auto r = parse_line(line);
        compact();
        if (r) {
            return r;
        }
        // A storage command now waits for its data (or a swallow started): go on.
    }
}

std::optional<text_request> text_parser::parse_line(std::string_view line) {
    std::vector<std::string_view> tok;
    bool truncated = false;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') {
            ++i;
        }
        if (i == line.size()) {
            break;
        }
        if (tok.size() + 1 == max_tokens) {
            // The last token keeps the rest of the line, as memcached's does.
            tok.push_back(line.substr(i));
            truncated = true;
            break;
        }
        size_t j = std::min(line.find(' ', i), line.size());
        tok.push_back(line.substr(i, j - i));
        i = j;
    }
    if (tok.empty()) {
        return error_request(reply::error);
    }
    auto name = tok[0];
    size_t nargs = tok.size() - 1;
    auto arg = [&](size_t k) { return tok[k + 1]; };
    bool noreply = nargs > 0 && tok.back() == "noreply";
    text_request r;
    r.noreply = noreply;
    // memcached reads "noreply" before it checks a command's arguments, so it silences those errors too.
    auto fail = [noreply](std::string_view reply) {
        auto e = error_request(reply);
        e.noreply = noreply;
        return e;
    };

    auto keys_from = [&](size_t first) -> bool {
        for (size_t k = first; k < tok.size(); ++k) {
            auto key = tok[k];
            if (k + 1 == tok.size() && truncated) {
                // More keys than tokens: split the remainder here.
                size_t s = 0;
                while (s < key.size()) {
                    size_t e = key.find(' ', s);
                    if (e == std::string_view::npos) {
                        e = key.size();
                    }
                    if (e > s) {
                        auto kk = key.substr(s, e - s);
                        if (!valid_key(kk)) {
                            return false;
                        }
                        r.keys.emplace_back(kk);
                    }
                    s = e + 1;
                }
                continue;
            }
            if (!valid_key(key)) {
                return false;
            }
            r.keys.emplace_back(key);
        }
        return true;
    };

    if (name == "get" || name == "gets" || name == "gat" || name == "gats") {
        r.kind = name == "get" ? cmd::get : name == "gets" ? cmd::gets : name == "gat" ? cmd::gat : cmd::gats;
        r.noreply = false;
        size_t first = 1;
        if (r.kind == cmd::gat || r.kind == cmd::gats) {
            if (nargs < 2) {
                return error_request(reply::error);
            }
            if (!parse_exptime(arg(0), r.exptime)) {
                return error_request("CLIENT_ERROR invalid exptime argument\r\n");
            }
            first = 2;
        } else if (nargs < 1) {
            return error_request(reply::error);
        }
        if (!keys_from(first)) {
            return error_request(reply::bad_format);
        }
        return r;
    }
    bool is_cas = name == "cas";
    if (name == "set" || name == "add" || name == "replace" || name == "append" || name == "prepend" || is_cas) {
        r.kind = name == "set"       ? cmd::set
                 : name == "add"     ? cmd::add
                 : name == "replace" ? cmd::replace
                 : name == "append"  ? cmd::append
                 : name == "prepend" ? cmd::prepend
                                     : cmd::cas;
        size_t base = is_cas ? 5 : 4;
        if (truncated || !(nargs == base || nargs == base + 1)) {
            return error_request(reply::error);
        }
        int64_t len = 0;
        if (!valid_key(arg(0)) || !parse_number(arg(1), r.flags) || !parse_exptime(arg(2), r.exptime) ||
            !parse_number(arg(3), len)) {
            return fail(reply::bad_format);
        }
        if (is_cas && !parse_number(arg(4), r.cas)) {
            return fail(reply::bad_format);
        }
        if (len < 0 || len > std::numeric_limits<int32_t>::max() - 2) {
            return fail(reply::bad_format);
        }
        r.keys.emplace_back(arg(0));
        if (arg(0).size() + size_t(len) + item_overhead > _cfg.max_item_size) {
            // Refused before reading: drop the data block (and its "\r\n").
            _swallow = uint64_t(len) + 2;
            auto e = error_request(reply::too_large);
            e.noreply = r.noreply;
            // A refused set also drops the key's old value (see store::store_item).
            if (r.kind == cmd::set) {
                e.keys = std::move(r.keys);
                e.drop_key = true;
            }
            return e;
        }
        _data_len = size_t(len);
        _pending = std::move(r);
        return std::nullopt;
    }
    if (name == "delete") {
        r.kind = cmd::del;
        if (nargs < 1 || nargs > 3) {
            return error_request(reply::error);
        }
        size_t extra = nargs - 1 - (noreply ? 1 : 0);
        if (extra > 1 || (extra == 1 && arg(1) != "0")) {
            return fail("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
        }
        if (!valid_key(arg(0))) {
            return fail(reply::bad_format);
        }
        r.keys.emplace_back(arg(0));
        return r;
    }
    if (name == "incr" || name == "decr") {
        r.kind = name == "incr" ? cmd::incr : cmd::decr;
        if (!(nargs == 2 || nargs == 3)) {
            return error_request(reply::error);
        }
        if (!valid_key(arg(0))) {
            return fail(reply::bad_format);
        }
        if (!parse_number(arg(1), r.delta)) {
            return fail("CLIENT_ERROR invalid numeric delta argument\r\n");
        }
        r.keys.emplace_back(arg(0));
        return r;
    }
    if (name == "touch") {
        r.kind = cmd::touch;
        if (!(nargs == 2 || nargs == 3)) {
            return error_request(reply::error);
        }
        if (!valid_key(arg(0))) {
            return fail(reply::bad_format);
        }
        if (!parse_exptime(arg(1), r.exptime)) {
            return fail("CLIENT_ERROR invalid exptime argument\r\n");
        }
        r.keys.emplace_back(arg(0));
        return r;
    }
    if (name == "flush_all") {
        r.kind = cmd::flush_all;
        size_t n = nargs - (noreply ? 1 : 0);
        if (n > 1) {
            return error_request(reply::error);
        }
        if (n == 1 && !parse_exptime(arg(0), r.exptime)) {
            return fail("CLIENT_ERROR invalid exptime argument\r\n");
        }
        return r;
    }
    if (name == "stats") {
        r.kind = cmd::stats;
        r.noreply = false;
        if (nargs > 1) {
            return error_request(reply::error);
        }
        if (nargs == 1) {
            auto a = arg(0);
            if (a != "settings" && a != "items" && a != "slabs" && a != "reset") {
                return error_request(reply::error);
            }
            r.stats_arg = std::string(a);
        }
        return r;
    }
    if (name == "version") {
        r.kind = cmd::version;
        r.noreply = false;
        return nargs == 0 ? std::optional(std::move(r)) : error_request(reply::error);
    }
    if (name == "verbosity") {
        r.kind = cmd::verbosity;
        if (nargs < 1 || nargs > 2) {
            return error_request(reply::error);
        }
        return r;
    }
    if (name == "quit") {
        r.kind = cmd::quit;
        return r;
    }
    return error_request(reply::error);
}

} // namespace seastar::memcache
