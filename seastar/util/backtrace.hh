// Backtraces: current_backtrace() captures the calling thread's stack as a value
// (saved_backtrace) that can be compared, hashed and printed (one frame per line, with
// the shared object, address and, where the symbol table has it, the function name).
// backtraced<Exc> / make_backtraced_exception_ptr / throw_with_backtrace attach the
// backtrace of the throw site to an exception's what().
//
// Contract: capturing allocates nothing and never throws (at most 64 frames, from frame
// pointers); printing allocates and symbolizes (slow: for error paths). A saved_backtrace
// refers to code addresses of this process only.
//
//     auto bt = seastar::current_backtrace();
//     fmt::print("stalled here:\n{}\n", bt);
//     seastar::throw_with_backtrace<std::runtime_error>("bad state");
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "seastar/core/sstring.hh"

namespace seastar {

// A loaded object (the executable or a shared library) and where it is mapped.
struct shared_object {
    sstring name;
    uintptr_t begin = 0;
    uintptr_t end = 0;
};

// One return address; `so` is the object that holds it (nullptr when unknown).
struct frame {
    const shared_object* so = nullptr;
    uintptr_t addr = 0;

    bool operator==(const frame& o) const noexcept { return addr == o.addr; }
};

class saved_backtrace {
public:
    static constexpr size_t max_frames = 64;

private:
    std::array<frame, max_frames> _frames{};
    size_t _size = 0;

public:
    saved_backtrace() noexcept = default;

    size_t size() const noexcept { return _size; }
    bool empty() const noexcept { return _size == 0; }
    const frame* begin() const noexcept { return _frames.data(); }
    const frame* end() const noexcept { return _frames.data() + _size; }
    void push_back(frame f) noexcept {
        if (_size < max_frames) {
            _frames[_size++] = f;
        }
    }

    size_t hash() const noexcept;
    bool operator==(const saved_backtrace& o) const noexcept;

    // One frame per line: "<object>+0x<offset> <function>" (function when known).
    std::string to_string() const;
    friend std::ostream& operator<<(std::ostream& out, const saved_backtrace& b) { return out << b.to_string(); }
};

// The calling thread's stack, innermost frame (the caller of current_backtrace) first.
saved_backtrace current_backtrace() noexcept;

// Calls func(frame) for each frame of the current stack, innermost first.
template <typename Func>
void backtrace(Func&& func) noexcept(noexcept(func(frame()))) {
    auto bt = current_backtrace();
    for (auto& f : bt) {
        func(f);
    }
}

// An Exc whose what() is Exc's message followed by the backtrace of where it was made.
template <typename Exc>
class backtraced : public Exc {
    std::shared_ptr<std::string> _what;

public:
    template <typename... Args>
    explicit backtraced(Args&&... args)
        : Exc(std::forward<Args>(args)...),
          _what(std::make_shared<std::string>(std::string(Exc::what()) + " Backtrace:\n" +
                                              current_backtrace().to_string())) {}
    const char* what() const noexcept override { return _what->c_str(); }
};

template <typename Exc, typename... Args>
std::exception_ptr make_backtraced_exception_ptr(Args&&... args) {
    return std::make_exception_ptr(backtraced<Exc>(std::forward<Args>(args)...));
}

template <typename Exc, typename... Args>
[[noreturn]] void throw_with_backtrace(Args&&... args) {
    throw backtraced<Exc>(std::forward<Args>(args)...);
}

} // namespace seastar

template <>
struct std::hash<seastar::saved_backtrace> {
    size_t operator()(const seastar::saved_backtrace& b) const noexcept { return b.hash(); }
};

template <>
struct fmt::formatter<seastar::saved_backtrace> : fmt::formatter<fmt::string_view> {
    template <typename FormatContext>
    auto format(const seastar::saved_backtrace& b, FormatContext& ctx) const {
        auto s = b.to_string();
        return fmt::formatter<fmt::string_view>::format(fmt::string_view(s), ctx);
    }
};
