#include "tools/memcached/text_handler.hh"

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include <charconv>

#include "seastar/core/coroutine.hh"

namespace seastar::memcache {

namespace {

std::string_view store_reply(store_result r) {
    switch (r) {
    case store_result::stored:
        return "STORED\r\n";
    case store_result::not_stored:
        return "NOT_STORED\r\n";
    case store_result::exists:
        return "EXISTS\r\n";
    case store_result::not_found:
        return "NOT_FOUND\r\n";
    case store_result::too_large:
        return reply::too_large;
    case store_result::no_memory:
        return reply::no_memory;
    }
    return reply::error;
}

store_mode mode_of(cmd c) {
    switch (c) {
    case cmd::add:
        return store_mode::add;
    case cmd::replace:
        return store_mode::replace;
    case cmd::append:
        return store_mode::append;
    case cmd::prepend:
        return store_mode::prepend;
    case cmd::cas:
        return store_mode::cas;
    default:
        return store_mode::set;
    }
}

void stat(std::string& out, std::string_view name, const auto& value) {
    fmt::format_to(std::back_inserter(out), "STAT {} {}\r\n", name, value);
}

} // namespace

std::string format_general_stats(const cache_stats& st, const server_settings& settings) {
    std::string out;
    auto now = settings.clock ? settings.clock->now() : 0;
    struct rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    stat(out, "pid", ::getpid());
    stat(out, "uptime", now - settings.started);
    stat(out, "time", now);
    stat(out, "version", server_version);
    stat(out, "pointer_size", sizeof(void*) * 8);
    stat(out, "rusage_user", fmt::format("{}.{:06}", ru.ru_utime.tv_sec, ru.ru_utime.tv_usec));
    stat(out, "rusage_system", fmt::format("{}.{:06}", ru.ru_stime.tv_sec, ru.ru_stime.tv_usec));
    stat(out, "max_connections", settings.conn_limit);
    stat(out, "curr_connections", st.server.curr_connections);
    stat(out, "total_connections", st.server.total_connections);
    stat(out, "rejected_connections", st.server.rejected_connections);
    stat(out, "cmd_get", st.store.cmd_get);
    stat(out, "cmd_set", st.store.cmd_set);
    stat(out, "cmd_flush", st.store.cmd_flush / (st.shards ? st.shards : 1));
    stat(out, "cmd_touch", st.store.cmd_touch);
    stat(out, "get_hits", st.store.get_hits);
    stat(out, "get_misses", st.store.get_misses);
    stat(out, "get_expired", st.store.get_expired);
    stat(out, "get_flushed", st.store.get_flushed);
    stat(out, "delete_misses", st.store.delete_misses);
    stat(out, "delete_hits", st.store.delete_hits);
    stat(out, "incr_misses", st.store.incr_misses);
    stat(out, "incr_hits", st.store.incr_hits);
    stat(out, "decr_misses", st.store.decr_misses);
    stat(out, "decr_hits", st.store.decr_hits);
    stat(out, "cas_misses", st.store.cas_misses);
    stat(out, "cas_hits", st.store.cas_hits);
    stat(out, "cas_badval", st.store.cas_badval);
    stat(out, "touch_hits", st.store.touch_hits);
    stat(out, "touch_misses", st.store.touch_misses);
    stat(out, "bytes_read", st.server.bytes_read);
    stat(out, "bytes_written", st.server.bytes_written);
    stat(out, "limit_maxbytes", settings.store.max_bytes * st.shards);
    stat(out, "threads", st.shards);
    stat(out, "bytes", st.store.bytes);
    stat(out, "curr_items", st.store.curr_items);
    stat(out, "total_items", st.store.total_items);
    stat(out, "evictions", st.store.evictions);
    stat(out, "reclaimed", st.store.reclaimed);
    return out;
}

namespace {

future<> handle_stats(cache& c, const server_settings& settings, const text_request& r, std::string& out) {
    if (r.stats_arg == "reset") {
        co_await c.reset_stats();
        out += "RESET\r\n";
        co_return;
    }
    if (r.stats_arg == "settings") {
        stat(out, "maxbytes", settings.store.max_bytes * smp::count);
        stat(out, "maxconns", settings.conn_limit);
        stat(out, "tcpport", settings.tcp_port);
        stat(out, "udpport", settings.udp_port);
        stat(out, "inter", settings.address);
        stat(out, "evictions", "on");
        stat(out, "num_threads", smp::count);
        stat(out, "cas_enabled", "yes");
        stat(out, "item_size_max", settings.store.max_item_size);
        stat(out, "binding_protocol", "auto-negotiate");
        out += "END\r\n";
        co_return;
    }
    auto st = co_await c.stats();
    if (r.stats_arg == "items") {
        // One LRU per shard and no slab classes: the whole cache as class 1.
        if (st.store.curr_items) {
            stat(out, "items:1:number", st.store.curr_items);
            stat(out, "items:1:evicted", st.store.evictions);
            stat(out, "items:1:reclaimed", st.store.reclaimed);
        }
    } else if (r.stats_arg == "slabs") {
        // Items are allocated one by one from the shard's allocator, not from slabs.
        stat(out, "active_slabs", st.store.curr_items ? 1 : 0);
        stat(out, "total_malloced", st.store.bytes);
    } else {
        out += format_general_stats(st, settings);
    }
    out += "END\r\n";
}

void append_number(std::string& out, uint64_t n) {
    char digits[20];
    out.append(digits, std::to_chars(digits, digits + sizeof(digits), n).ptr);
}

// "VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n"
void append_value(std::string& out, std::string_view key, uint32_t flags, std::string_view value, uint64_t cas,
                  bool with_cas) {
    out.reserve(out.size() + key.size() + value.size() + 64);
    out += "VALUE ";
    out += key;
    out += ' ';
    append_number(out, flags);
    out += ' ';
    append_number(out, value.size());
    if (with_cas) {
        out += ' ';
        append_number(out, cas);
    }
    out += "\r\n";
    out += value;
    out += "\r\n";
}

bool is_get(cmd c) {
    return c == cmd::get || c == cmd::gets || c == cmd::gat || c == cmd::gats;
}

// gets/gats reply with cas uniques; gat/gats set a new expiration.
bool wants_cas(cmd c) {
    return c == cmd::gets || c == cmd::gats;
}

bool touches(cmd c) {
    return c == cmd::gat || c == cmd::gats;
}

bool is_store(cmd c) {
    return c == cmd::set || c == cmd::add || c == cmd::replace || c == cmd::append || c == cmd::prepend ||
           c == cmd::cas;
}

} // namespace

bool try_handle_text_request_locally(cache& c, text_request& r, std::string& out) {
    if (is_get(r.kind)) {
        for (auto& key : r.keys) {
            if (!cache::owns(key)) {
                return false;
            }
        }
        bool with_cas = wants_cas(r.kind);
        bool touch = touches(r.kind);
        for (auto& key : r.keys) {
            if (auto* it = c.get_local(key, touch ? std::optional<int64_t>(r.exptime) : std::nullopt)) {
                append_value(out, key, it->flags(), it->value(), it->cas(), with_cas);
            }
        }
        out += "END\r\n";
        return true;
    }
    if (is_store(r.kind) && !r.noreply && cache::owns(r.keys.front())) {
        out += store_reply(c.store_local(mode_of(r.kind), r.keys.front(), r.data, r.flags, r.exptime, r.cas).result);
        return true;
    }
    return false;
}

future<bool> handle_text_request(cache& c, const server_settings& settings, text_request& r, std::string& out) {
    std::string reply_text;
    std::string& o = r.noreply ? reply_text : out;
    switch (r.kind) {
    case cmd::get:
    case cmd::gets:
    case cmd::gat:
    case cmd::gats: {
        bool with_cas = wants_cas(r.kind);
        bool touch = touches(r.kind);
        for (auto& key : r.keys) {
            auto v = co_await c.get(key, touch ? std::optional<int64_t>(r.exptime) : std::nullopt);
            if (v.found) {
                append_value(o, key, v.flags, v.value, v.cas, with_cas);
            }
        }
        o += "END\r\n";
        break;
    }
    case cmd::set:
    case cmd::add:
    case cmd::replace:
    case cmd::append:
    case cmd::prepend:
    case cmd::cas: {
        auto res =
            co_await c.store(mode_of(r.kind), std::move(r.keys.front()), std::move(r.data), r.flags, r.exptime, r.cas);
        o += store_reply(res.result);
        break;
    }
    case cmd::del:
        o += co_await c.erase(std::move(r.keys.front())) ? "DELETED\r\n" : "NOT_FOUND\r\n";
        break;
    case cmd::incr:
    case cmd::decr: {
        auto res = co_await c.delta(std::move(r.keys.front()), r.kind == cmd::incr, r.delta);
        switch (res.result) {
        case delta_result::ok:
            fmt::format_to(std::back_inserter(o), "{}\r\n", res.value);
            break;
        case delta_result::not_found:
            o += "NOT_FOUND\r\n";
            break;
        case delta_result::non_numeric:
            o += "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
            break;
        case delta_result::no_memory:
            o += reply::no_memory;
            break;
        }
        break;
    }
    case cmd::touch:
        o += co_await c.touch(std::move(r.keys.front()), r.exptime) ? "TOUCHED\r\n" : "NOT_FOUND\r\n";
        break;
    case cmd::flush_all:
        co_await c.flush_all(r.exptime);
        o += "OK\r\n";
        break;
    case cmd::stats:
        co_await handle_stats(c, settings, r, o);
        break;
    case cmd::version:
        o += "VERSION ";
        o += server_version;
        o += "\r\n";
        break;
    case cmd::verbosity:
        o += "OK\r\n";
        break;
    case cmd::quit:
    case cmd::close:
        co_return false;
    case cmd::error:
        if (r.drop_key && !r.keys.empty()) {
            co_await c.drop(std::move(r.keys.front()));
        }
        o += r.reply;
        break;
    }
    co_return true;
}

} // namespace seastar::memcache
