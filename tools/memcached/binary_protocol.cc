#include "tools/memcached/binary_protocol.hh"

#include "seastar/core/coroutine.hh"
#include "tools/memcached/store.hh"

namespace seastar::memcache::binary {

namespace {

uint16_t get16(const char* p) noexcept {
    auto* b = reinterpret_cast<const uint8_t*>(p);
    return uint16_t(b[0] << 8 | b[1]);
}
uint32_t get32(const char* p) noexcept {
    auto* b = reinterpret_cast<const uint8_t*>(p);
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
}
uint64_t get64(const char* p) noexcept {
    return uint64_t(get32(p)) << 32 | get32(p + 4);
}
void put16(std::string& o, uint16_t v) {
    o.push_back(char(v >> 8));
    o.push_back(char(v));
}
void put32(std::string& o, uint32_t v) {
    put16(o, uint16_t(v >> 16));
    put16(o, uint16_t(v));
}
void put64(std::string& o, uint64_t v) {
    put32(o, uint32_t(v >> 32));
    put32(o, uint32_t(v));
}

bool is_storage(uint8_t op) {
    switch (op) {
    case op_set:
    case op_add:
    case op_replace:
    case op_setq:
    case op_addq:
    case op_replaceq:
        return true;
    default:
        return false;
    }
}

bool is_append(uint8_t op) {
    return op == op_append || op == op_prepend || op == op_appendq || op == op_prependq;
}

enum class shape_check { ok, bad, unknown };

// memcached's per-opcode checks of the header's lengths.
shape_check check_shape(const header& h) {
    uint32_t body = h.body_length;
    uint32_t key = h.key_length;
    uint32_t ext = h.extras_length;
    if (key > max_key_length || key + ext > body) {
        return shape_check::bad;
    }
    switch (h.opcode) {
    case op_get:
    case op_getq:
    case op_getk:
    case op_getkq:
    case op_delete:
    case op_deleteq:
        return ext == 0 && key > 0 && body == key ? shape_check::ok : shape_check::bad;
    case op_set:
    case op_add:
    case op_replace:
    case op_setq:
    case op_addq:
    case op_replaceq:
        return ext == 8 && key > 0 ? shape_check::ok : shape_check::bad;
    case op_append:
    case op_prepend:
    case op_appendq:
    case op_prependq:
        return ext == 0 && key > 0 ? shape_check::ok : shape_check::bad;
    case op_increment:
    case op_decrement:
    case op_incrementq:
    case op_decrementq:
        return ext == 20 && key > 0 && body == key + ext ? shape_check::ok : shape_check::bad;
    case op_quit:
    case op_quitq:
    case op_noop:
    case op_version:
        return ext == 0 && key == 0 && body == 0 ? shape_check::ok : shape_check::bad;
    case op_flush:
    case op_flushq:
        return key == 0 && body == ext && (ext == 0 || ext == 4) ? shape_check::ok : shape_check::bad;
    case op_stat:
        return ext == 0 && body == key ? shape_check::ok : shape_check::bad;
    case op_verbosity:
        return ext == 4 && key == 0 && body == 4 ? shape_check::ok : shape_check::bad;
    case op_touch:
    case op_gat:
    case op_gatq:
    case op_gatk:
    case op_gatkq:
        return ext == 4 && key > 0 && body == key + ext ? shape_check::ok : shape_check::bad;
    default:
        return shape_check::unknown;
    }
}

} // namespace

header decode_header(const char* p) noexcept {
    header h;
    h.magic = uint8_t(p[0]);
    h.opcode = uint8_t(p[1]);
    h.key_length = get16(p + 2);
    h.extras_length = uint8_t(p[4]);
    h.data_type = uint8_t(p[5]);
    h.vbucket_or_status = get16(p + 6);
    h.body_length = get32(p + 8);
    h.opaque = get32(p + 12);
    h.cas = get64(p + 16);
    return h;
}

void encode_header(const header& h, std::string& out) {
    out.push_back(char(h.magic));
    out.push_back(char(h.opcode));
    put16(out, h.key_length);
    out.push_back(char(h.extras_length));
    out.push_back(char(h.data_type));
    put16(out, h.vbucket_or_status);
    put32(out, h.body_length);
    put32(out, h.opaque);
    put64(out, h.cas);
}

void parser::feed(std::string_view bytes) {
    if (_closed) {
        return;
    }
    compact();
    _buf.append(bytes);
}

void parser::compact() {
    if (_pos == _buf.size()) {
        _buf.clear();
        _pos = 0;
    } else if (_pos > 4096 && _pos * 2 > _buf.size()) {
        _buf.erase(0, _pos);
        _pos = 0;
    }
}

std::optional<request> parser::next() {
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
    if (avail.size() < header_size) {
        return std::nullopt;
    }
    request r;
    r.h = decode_header(avail.data());
    if (r.h.magic != request_magic) {
        _closed = true;
        r.kind = frame_kind::protocol_error;
        return r;
    }
    auto shape = check_shape(r.h);
    if (shape == shape_check::bad) {
        _closed = true;
        r.kind = frame_kind::protocol_error;
        return r;
    }
    if (shape == shape_check::unknown) {
        _pos += header_size;
        _swallow = r.h.body_length;
        r.kind = frame_kind::unknown;
        compact();
        return r;
    }
    if (is_storage(r.h.opcode) || is_append(r.h.opcode)) {
        size_t vlen = r.h.body_length - r.h.key_length - r.h.extras_length;
        if (r.h.key_length + vlen + item_overhead > _max_item_size) {
            // Read the key (to drop its old value, as memcached does for set); swallow the rest.
            size_t head = header_size + r.h.extras_length + r.h.key_length;
            if (avail.size() < head) {
                return std::nullopt;
            }
            r.key.assign(avail.data() + header_size + r.h.extras_length, r.h.key_length);
            _pos += head;
            _swallow = vlen;
            r.kind = frame_kind::too_large;
            compact();
            return r;
        }
    }
    if (avail.size() < header_size + size_t(r.h.body_length)) {
        return std::nullopt;
    }
    const char* body = avail.data() + header_size;
    r.extras.assign(body, r.h.extras_length);
    r.key.assign(body + r.h.extras_length, r.h.key_length);
    size_t vlen = r.h.body_length - r.h.extras_length - r.h.key_length;
    r.value.assign(body + r.h.extras_length + r.h.key_length, vlen);
    _pos += header_size + r.h.body_length;
    compact();
    return r;
}

void write_response(std::string& out, uint8_t opcode, uint16_t st, uint32_t opaque, uint64_t cas,
                    std::string_view extras, std::string_view key, std::string_view value) {
    header h;
    h.magic = response_magic;
    h.opcode = opcode;
    h.key_length = uint16_t(key.size());
    h.extras_length = uint8_t(extras.size());
    h.vbucket_or_status = st;
    h.body_length = uint32_t(extras.size() + key.size() + value.size());
    h.opaque = opaque;
    h.cas = cas;
    encode_header(h, out);
    out.append(extras);
    out.append(key);
    out.append(value);
}

std::string_view status_message(uint16_t st) noexcept {
    switch (st) {
    case st_ok:
        return "";
    case st_key_enoent:
        return "Not found";
    case st_key_eexists:
        return "Data exists for key.";
    case st_e2big:
        return "Too large.";
    case st_einval:
        return "Invalid arguments";
    case st_not_stored:
        return "Not stored.";
    case st_delta_badval:
        return "Non-numeric server-side value for incr or decr";
    case st_unknown_command:
        return "Unknown command";
    case st_enomem:
        return "Out of memory";
    default:
        return "Unknown error";
    }
}

namespace {

void write_error(std::string& out, const request& r, uint16_t st) {
    write_response(out, r.h.opcode, st, r.h.opaque, 0, {}, {}, status_message(st));
}

// "STAT name value\r\n" lines become one response each.
void write_stat_lines(std::string& out, const request& r, std::string_view lines) {
    while (!lines.empty()) {
        auto eol = lines.find("\r\n");
        auto line = lines.substr(0, eol);
        lines.remove_prefix(eol == std::string_view::npos ? lines.size() : eol + 2);
        if (line.substr(0, 5) != "STAT ") {
            continue;
        }
        line.remove_prefix(5);
        auto sp = line.find(' ');
        write_response(out, r.h.opcode, st_ok, r.h.opaque, 0, {}, line.substr(0, sp),
                       sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1));
    }
}

} // namespace

future<bool> handle_request(cache& c, const server_settings& settings, request& r, std::string& out) {
    switch (r.kind) {
    case frame_kind::protocol_error:
        write_error(out, r, st_einval);
        co_return false;
    case frame_kind::unknown:
        write_error(out, r, st_unknown_command);
        co_return true;
    case frame_kind::too_large:
        if (r.h.opcode == op_set || r.h.opcode == op_setq) {
            co_await c.drop(std::move(r.key));
        }
        write_error(out, r, st_e2big);
        co_return true;
    case frame_kind::request:
        break;
    }
    const uint8_t op = r.h.opcode;
    switch (op) {
    case op_get:
    case op_getq:
    case op_getk:
    case op_getkq:
    case op_gat:
    case op_gatq:
    case op_gatk:
    case op_gatkq: {
        bool quiet = op == op_getq || op == op_getkq || op == op_gatq || op == op_gatkq;
        bool with_key = op == op_getk || op == op_getkq || op == op_gatk || op == op_gatkq;
        std::optional<int64_t> touch;
        if (op == op_gat || op == op_gatq || op == op_gatk || op == op_gatkq) {
            touch = int64_t(get32(r.extras.data()));
        }
        auto v = co_await c.get(r.key, touch);
        if (!v.found) {
            if (!quiet) {
                write_response(out, op, st_key_enoent, r.h.opaque, 0, {}, with_key ? std::string_view(r.key) : "",
                               with_key ? "" : status_message(st_key_enoent));
            }
            co_return true;
        }
        std::string flags;
        put32(flags, v.flags);
        write_response(out, op, st_ok, r.h.opaque, v.cas, flags, with_key ? std::string_view(r.key) : "", v.value);
        co_return true;
    }
    case op_set:
    case op_add:
    case op_replace:
    case op_setq:
    case op_addq:
    case op_replaceq:
    case op_append:
    case op_prepend:
    case op_appendq:
    case op_prependq: {
        bool quiet = op == op_setq || op == op_addq || op == op_replaceq || op == op_appendq || op == op_prependq;
        uint8_t base = quiet ? uint8_t(op == op_setq       ? op_set
                                       : op == op_addq     ? op_add
                                       : op == op_replaceq ? op_replace
                                       : op == op_appendq  ? op_append
                                                           : op_prepend)
                             : op;
        store_mode mode = base == op_add       ? store_mode::add
                          : base == op_replace ? store_mode::replace
                          : base == op_append  ? store_mode::append
                          : base == op_prepend ? store_mode::prepend
                                               : store_mode::set;
        if ((mode == store_mode::set || mode == store_mode::replace) && r.h.cas != 0) {
            mode = store_mode::cas;
        }
        uint32_t flags = 0;
        int64_t exptime = 0;
        if (r.extras.size() == 8) {
            flags = get32(r.extras.data());
            exptime = int64_t(get32(r.extras.data() + 4));
        }
        auto res = co_await c.store(mode, r.key, std::move(r.value), flags, exptime, r.h.cas);
        uint16_t st = st_ok;
        switch (res.result) {
        case store_result::stored:
            break;
        case store_result::exists:
            st = st_key_eexists;
            break;
        case store_result::not_found:
            st = st_key_enoent;
            break;
        case store_result::not_stored:
            st = base == op_add ? st_key_eexists : base == op_replace ? st_key_enoent : st_not_stored;
            break;
        case store_result::too_large:
            st = st_e2big;
            break;
        case store_result::no_memory:
            st = st_enomem;
            break;
        }
        if (st != st_ok) {
            write_error(out, r, st);
        } else if (!quiet) {
            write_response(out, op, st_ok, r.h.opaque, res.cas, {}, {}, {});
        }
        co_return true;
    }
    case op_delete:
    case op_deleteq: {
        auto res = co_await c.erase(r.key, r.h.cas);
        if (res == erase_result::not_found) {
            write_error(out, r, st_key_enoent);
        } else if (res == erase_result::exists) {
            write_error(out, r, st_key_eexists);
        } else if (op == op_delete) {
            write_response(out, op, st_ok, r.h.opaque, 0, {}, {}, {});
        }
        co_return true;
    }
    case op_increment:
    case op_decrement:
    case op_incrementq:
    case op_decrementq: {
        bool incr = op == op_increment || op == op_incrementq;
        bool quiet = op == op_incrementq || op == op_decrementq;
        uint64_t delta = get64(r.extras.data());
        uint64_t initial = get64(r.extras.data() + 8);
        uint32_t exptime = get32(r.extras.data() + 16);
        auto res = co_await c.delta_or_create(r.key, incr, delta, initial, exptime);
        if (res.result == delta_result::not_found) {
            write_error(out, r, st_key_enoent);
        } else if (res.result == delta_result::non_numeric) {
            write_error(out, r, st_delta_badval);
        } else if (res.result == delta_result::no_memory) {
            write_error(out, r, st_enomem);
        } else if (!quiet) {
            std::string v;
            put64(v, res.value);
            write_response(out, op, st_ok, r.h.opaque, res.cas, {}, {}, v);
        }
        co_return true;
    }
    case op_quit:
        write_response(out, op, st_ok, r.h.opaque, 0, {}, {}, {});
        co_return false;
    case op_quitq:
        co_return false;
    case op_flush:
    case op_flushq: {
        int64_t delay = r.extras.size() == 4 ? int64_t(get32(r.extras.data())) : 0;
        co_await c.flush_all(delay);
        if (op == op_flush) {
            write_response(out, op, st_ok, r.h.opaque, 0, {}, {}, {});
        }
        co_return true;
    }
    case op_noop:
    case op_verbosity:
        write_response(out, op, st_ok, r.h.opaque, 0, {}, {}, {});
        co_return true;
    case op_version:
        write_response(out, op, st_ok, r.h.opaque, 0, {}, {}, server_version);
        co_return true;
    case op_touch: {
        bool ok = co_await c.touch(r.key, int64_t(get32(r.extras.data())));
        if (ok) {
            write_response(out, op, st_ok, r.h.opaque, 0, {}, {}, {});
        } else {
            write_error(out, r, st_key_enoent);
        }
        co_return true;
    }
    case op_stat: {
        text_request tr;
        tr.kind = cmd::stats;
        if (!r.key.empty()) {
            if (r.key != "settings" && r.key != "items" && r.key != "slabs" && r.key != "reset") {
                write_error(out, r, st_key_enoent);
                co_return true;
            }
            tr.stats_arg = r.key;
        }
        std::string lines;
        co_await handle_text_request(c, settings, tr, lines);
        write_stat_lines(out, r, lines);
        write_response(out, op, st_ok, r.h.opaque, 0, {}, {}, {}); // the terminator
        co_return true;
    }
    default:
        write_error(out, r, st_unknown_command);
        co_return true;
    }
}

} // namespace seastar::memcache::binary
