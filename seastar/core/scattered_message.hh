// scattered_message<CharType>: a message assembled from pieces (static
// strings, owned strings, buffers) without copying them into one buffer, to
// be written with output_stream::write(scattered_message) as one packet.
//
// Contract:
//   * One thread (shard). Move-only.
//   * append_static()/prepend_static() reference bytes that must outlive the
//     packet (string literals, static tables): no copy, nothing to release.
//     append(std::string) keeps the string alive inside the packet (no copy of
//     its bytes); append(std::string_view) copies; append(temporary_buffer)
//     moves the buffer in. Empty pieces are ignored.
//   * Each call may allocate (fragment array growth, a deleter node) and
//     throws std::bad_alloc on failure.
//
// Example:
//
//     seastar::scattered_message<char> msg;
//     msg.append_static("HTTP/1.1 200 OK\r\n");
//     msg.append(std::string("Content-Length: 2\r\n\r\n"));
//     msg.append(seastar::temporary_buffer<char>::copy_of("hi"));
//     co_await out.write(std::move(msg));
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "seastar/core/deleter.hh"
#include "seastar/core/temporary_buffer.hh"
#include "seastar/net/packet.hh"

namespace seastar {

template <typename CharType>
class scattered_message {
    static_assert(sizeof(CharType) == 1, "scattered_message holds bytes");
    using fragment = net::fragment;
    using packet = net::packet;
    using char_type = CharType;

    packet _p = packet::make_null_packet();

    static char* as_chars(const char_type* p) noexcept { return reinterpret_cast<char*>(const_cast<char_type*>(p)); }

    // Moves `s` into a deleter node and points `f` at its bytes. A short string
    // keeps its bytes inside the std::string object, so `f` is taken only
    // once the string has reached its final place in the node.
    static deleter own(std::basic_string<char_type>&& s, fragment& f) {
        auto node = new internal::object_deleter_impl<std::basic_string<char_type>>(deleter(), std::move(s));
        f = fragment{as_chars(node->obj.data()), node->obj.size()};
        return deleter(node);
    }

public:
    scattered_message() noexcept = default;
    scattered_message(scattered_message&&) noexcept = default;
    scattered_message& operator=(scattered_message&&) noexcept = default;
    scattered_message(const scattered_message&) = delete;
    scattered_message& operator=(const scattered_message&) = delete;

    void append_static(const char_type* buf, std::size_t size) {
        if (size) {
            _p = packet(std::move(_p), fragment{as_chars(buf), size}, deleter());
        }
    }
    template <std::size_t N>
    void append_static(const char_type (&s)[N]) {
        append_static(s, N - 1);
    }
    void append_static(const char_type* s) { append_static(s, std::strlen(reinterpret_cast<const char*>(s))); }
    void append_static(std::basic_string_view<char_type> s) { append_static(s.data(), s.size()); }

    void prepend_static(const char_type* buf, std::size_t size) {
        if (size) {
            _p = packet(fragment{as_chars(buf), size}, deleter(), std::move(_p));
        }
    }
    template <std::size_t N>
    void prepend_static(const char_type (&s)[N]) {
        prepend_static(s, N - 1);
    }
    void prepend_static(const char_type* s) { prepend_static(s, std::strlen(reinterpret_cast<const char*>(s))); }
    void prepend_static(std::basic_string_view<char_type> s) { prepend_static(s.data(), s.size()); }

    // Keeps `s` alive inside the message; its bytes are not copied.
    void append(std::basic_string<char_type> s) {
        if (s.size()) {
            fragment f;
            auto d = own(std::move(s), f);
            _p = packet(std::move(_p), f, std::move(d));
        }
    }
    void prepend(std::basic_string<char_type> s) {
        if (s.size()) {
            fragment f;
            auto d = own(std::move(s), f);
            _p = packet(f, std::move(d), std::move(_p));
        }
    }
    // Copies `v`.
    void append(std::basic_string_view<char_type> v) {
        if (v.size()) {
            _p = packet(std::move(_p), fragment{as_chars(v.data()), v.size()});
        }
    }
    // Moves the buffer in (no copy).
    void append(temporary_buffer<char_type> buf) {
        if (buf.size()) {
            fragment f{as_chars(buf.get()), buf.size()};
            _p = packet(std::move(_p), f, buf.release());
        }
    }
    // Runs `cb` once the message's bytes are released.
    template <typename Callback>
    void on_delete(Callback&& cb) {
        _p = packet(std::move(_p), make_deleter(std::forward<Callback>(cb)));
    }
    void reserve(std::size_t n_frags) { _p.reserve(n_frags); }

    explicit operator bool() const noexcept { return _p.len(); }
    std::size_t size() const noexcept { return _p.len(); }

    packet release() && noexcept { return std::move(_p); }
};

} // namespace seastar
