// net::packet: a byte sequence made of fragments (pointer + size) and one
// deleter that keeps all of them alive. Building, appending, prepending a
// header, sharing and splitting never copy payload bytes: they move fragment
// descriptors and combine deleters. Data is copied only where asked for
// (constructors taking plain bytes, linearize(), a header read across
// fragments by get_header()).
//
// Contract:
//   * One thread (shard), like deleter and temporary_buffer.
//   * Move-only. A moved-from packet is a null packet: len() == 0,
//     nr_frags() == 0, operator bool false; it may be assigned to, appended to
//     or destroyed.
//   * Allocation: every non-null packet owns one descriptor block (header
//     room + fragment array), grown by doubling when fragments are added.
//     Allocation failure throws std::bad_alloc (no packet state is lost).
//   * Header room: each packet has internal_data_size bytes inside its
//     descriptor block for headers prepended with prepend_header() /
//     prepend_uninitialized_header(), so a protocol layer can add its header
//     without allocating. Larger headers get their own buffer.
//   * Fragment limit: at most max_nr_frags fragments (65535, as Seastar's
//     16-bit count). Where Seastar would assert, an operation that would go
//     beyond it first linearizes the packet's existing fragments into one
//     buffer (one copy), so a packet never fails for having many fragments.
//   * share() and share(offset, len) return packets that view the same bytes
//     (no copy-on-write) and share the deleter: bytes are released when the
//     last packet (or released temporary_buffer) referring to them is gone.
//   * Offsets and sizes beyond len() are caller errors (asserted), except in
//     get_header(), which returns nullptr when the packet is too short.
//
// Example:
//
//     auto payload = seastar::temporary_buffer<char>::copy_of("payload");
//     seastar::net::packet p(std::move(payload));        // 1 fragment, no copy
//     p.append(seastar::net::packet::from_static_data("!", 1));
//     struct hdr { uint16_t len; };
//     p.prepend_header<hdr>()->len = 8;                    // in the header room
//     auto tail = p.share(2, 7);                           // "payload", no copy
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "seastar/core/deleter.hh"
#include "seastar/core/temporary_buffer.hh"

namespace seastar::net {

struct fragment {
    char* base;
    std::size_t size;
};

class packet final {
public:
    // Bytes of header room inside the descriptor block.
    static constexpr std::size_t internal_data_size = 128 - 16;
    static constexpr std::size_t default_nr_frags = 4;
    static constexpr std::size_t max_nr_frags = 65535;

private:
    struct impl;
    impl* _impl = nullptr;

    explicit packet(impl* i) noexcept : _impl(i) {}

public:
    // An empty packet (allocates its descriptor block, as in Seastar).
    packet();
    // An empty packet with room for `nr_frags` fragments.
    explicit packet(std::size_t nr_frags);
    // An empty packet that allocates nothing; a moved-from packet is the same.
    static packet make_null_packet() noexcept { return packet(static_cast<impl*>(nullptr)); }

    packet(packet&& x) noexcept : _impl(std::exchange(x._impl, nullptr)) {}
    packet& operator=(packet&& x) noexcept {
        if (this != &x) {
            destroy();
            _impl = std::exchange(x._impl, nullptr);
        }
        return *this;
    }
    packet(const packet&) = delete;
    packet& operator=(const packet&) = delete;
    ~packet() { destroy(); }

    // One fragment holding a copy of [data, data+len).
    packet(const char* data, std::size_t len);
    // A copy of `frag`'s bytes.
    explicit packet(fragment frag);
    // `frag` itself (no copy), kept alive by `d`.
    packet(fragment frag, deleter d);
    // `frags` themselves (no copy), all kept alive by `d`.
    packet(std::vector<fragment> frags, deleter d);
    template <typename Iterator>
    packet(Iterator begin, Iterator end, deleter d);
    // The buffer's bytes (no copy); the buffer's deleter moves into the packet.
    explicit packet(temporary_buffer<char> buf);
    // x followed by a copy of frag.
    packet(packet&& x, fragment frag);
    // A copy of frag followed by x.
    packet(fragment frag, packet&& x);
    // x followed by frag (no copy), kept alive by d.
    packet(packet&& x, fragment frag, deleter d);
    // frag (no copy), kept alive by d, followed by x.
    packet(fragment frag, deleter d, packet&& x);
    // x followed by buf (no copy).
    packet(packet&& x, temporary_buffer<char> buf);
    // buf (no copy) followed by x.
    packet(temporary_buffer<char> buf, packet&& x);
    // x, with d also kept alive until x's bytes are released.
    packet(packet&& x, deleter d);

    // A packet viewing static bytes (no copy, nothing to release).
    static packet from_static_data(const char* data, std::size_t len) {
        return packet(fragment{const_cast<char*>(data), len}, deleter());
    }

    unsigned len() const noexcept;
    unsigned nr_frags() const noexcept;
    fragment frag(unsigned idx) const noexcept;
    fragment& frag(unsigned idx) noexcept;
    // The fragments, in order. Writing through them changes the packet.
    std::span<fragment> fragments() const noexcept;
    explicit operator bool() const noexcept { return _impl != nullptr; }

    // Another packet viewing the same bytes (no copy).
    packet share();
    // Another packet viewing [offset, offset+len) of this one (no copy).
    packet share(std::size_t offset, std::size_t len);
    // Moves p's fragments to the end of this packet (no copy of bytes).
    void append(packet&& p);
    // Drops `how_much` bytes from the front / the back.
    void trim_front(std::size_t how_much) noexcept;
    void trim_back(std::size_t how_much) noexcept;

    // A pointer to `size` contiguous bytes at `offset`, or nullptr when the
    // packet is shorter than offset+size. When those bytes span fragments,
    // the fragments involved are first merged into one (a copy).
    char* get_header(std::size_t offset, std::size_t size);
    template <typename Header>
    Header* get_header(std::size_t offset = 0) {
        return reinterpret_cast<Header*>(get_header(offset, sizeof(Header)));
    }
    // Adds `size` uninitialized bytes at the front; returns where they are.
    char* prepend_uninitialized_header(std::size_t size);
    // Adds a value-initialized Header (plus extra_size uninitialized bytes)
    // at the front; returns it.
    template <typename Header>
    Header* prepend_header(std::size_t extra_size = 0) {
        auto h = prepend_uninitialized_header(sizeof(Header) + extra_size);
        return new (h) Header{};
    }

    // Merges all fragments into one (a copy, unless there is at most one).
    void linearize() { linearize(0, len()); }
    // A packet of one fragment holding a copy of all the bytes, sharing
    // nothing with this one (so it may be released on another shard: the
    // reference counts of shared buffers are not atomic).
    packet copy() const;
    // Drops all bytes and fragments (releases the deleter); stays usable.
    void reset() noexcept;
    // Makes room for `n_frags` fragments in total.
    void reserve(std::size_t n_frags);
    // One temporary_buffer per fragment, each keeping the bytes alive (no
    // copy). The packet is left empty.
    std::vector<temporary_buffer<char>> release();

private:
    void destroy() noexcept;
    void ensure_impl();
    // Guarantees room for `extra` more fragments (linearizing at the limit).
    void make_room(std::size_t extra);
    void linearize(std::size_t at_frag, std::size_t desired_size);
    void unuse_internal_data();
    bool using_internal_data() const noexcept;
    void append_frag(fragment frag) noexcept;
    void prepend_frag(fragment frag) noexcept;
    void add_deleter(deleter d);
};

template <typename Iterator>
packet::packet(Iterator begin, Iterator end, deleter d) : packet(std::vector<fragment>(begin, end), std::move(d)) {}

} // namespace seastar::net
