// binary_protocol: memcached's binary protocol: an incremental request
// parser, the response serializer, and the handler that runs requests
// against the cache.
//
// Frames are a 24-byte header (magic 0x80, opcode, key length, extras
// length, data type, vbucket, total body length, opaque, cas; big-endian)
// and a body of extras, key and value. The parser checks each opcode's shape
// as memcached does: a frame with a bad magic or lengths that do not fit the
// opcode is a protocol error (answered "Invalid arguments", then the
// connection closes); a value larger than the item limit is answered "Too
// large." and its bytes are swallowed; an unknown opcode is answered
// "Unknown command" and its body swallowed.
//
// Contract: single-threaded; the parser copies bytes it cannot use yet;
// handle_request() appends responses to `out` and returns false when the
// connection must close.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "seastar/core/future.hh"
#include "tools/memcached/cache.hh"
#include "tools/memcached/text_handler.hh"

namespace seastar::memcache::binary {

constexpr uint8_t request_magic = 0x80;
constexpr uint8_t response_magic = 0x81;
constexpr size_t header_size = 24;

enum opcode : uint8_t {
    op_get = 0x00,
    op_set = 0x01,
    op_add = 0x02,
    op_replace = 0x03,
    op_delete = 0x04,
    op_increment = 0x05,
    op_decrement = 0x06,
    op_quit = 0x07,
    op_flush = 0x08,
    op_getq = 0x09,
    op_noop = 0x0a,
    op_version = 0x0b,
    op_getk = 0x0c,
    op_getkq = 0x0d,
    op_append = 0x0e,
    op_prepend = 0x0f,
    op_stat = 0x10,
    op_setq = 0x11,
    op_addq = 0x12,
    op_replaceq = 0x13,
    op_deleteq = 0x14,
    op_incrementq = 0x15,
    op_decrementq = 0x16,
    op_quitq = 0x17,
    op_flushq = 0x18,
    op_appendq = 0x19,
    op_prependq = 0x1a,
    op_verbosity = 0x1b,
    op_touch = 0x1c,
    op_gat = 0x1d,
    op_gatq = 0x1e,
    op_gatk = 0x23,
    op_gatkq = 0x24,
};

enum status : uint16_t {
    st_ok = 0x0000,
    st_key_enoent = 0x0001,
    st_key_eexists = 0x0002,
    st_e2big = 0x0003,
    st_einval = 0x0004,
    st_not_stored = 0x0005,
    st_delta_badval = 0x0006,
    st_unknown_command = 0x0081,
    st_enomem = 0x0082,
};

struct header {
    uint8_t magic = request_magic;
    uint8_t opcode = 0;
    uint16_t key_length = 0;
    uint8_t extras_length = 0;
    uint8_t data_type = 0;
    uint16_t vbucket_or_status = 0;
    uint32_t body_length = 0;
    uint32_t opaque = 0;
    uint64_t cas = 0;
};

header decode_header(const char* p) noexcept;
void encode_header(const header& h, std::string& out);

enum class frame_kind {
    request,        // a well-formed request
    protocol_error, // answer EINVAL and close
    too_large,      // answer E2BIG (the value was swallowed)
    unknown,        // answer Unknown command (the body was swallowed)
};

struct request {
    frame_kind kind = frame_kind::request;
    header h;
    std::string extras;
    std::string key;
    std::string value;
};

class parser {
    size_t _max_item_size;
    std::string _buf;
    size_t _pos = 0;
    uint64_t _swallow = 0;
    bool _closed = false;

public:
    explicit parser(size_t max_item_size = size_t(1) << 20) : _max_item_size(max_item_size) {}
    void feed(std::string_view bytes);
    // The next complete frame, or nullopt until more bytes arrive (or after a
    // protocol error, which ends the stream).
    std::optional<request> next();

private:
    void compact();
};

// One response frame.
void write_response(std::string& out, uint8_t opcode, uint16_t status, uint32_t opaque, uint64_t cas,
                    std::string_view extras, std::string_view key, std::string_view value);
// memcached's message for an error status.
std::string_view status_message(uint16_t st) noexcept;

future<bool> handle_request(cache& c, const server_settings& settings, request& r, std::string& out);

} // namespace seastar::memcache::binary
