#include "seastar/util/backtrace.hh"

#include <dlfcn.h>
#include <link.h>

#include <deque>
#include <functional>
#include <mutex>

#include "absl/debugging/stacktrace.h"
#include "absl/debugging/symbolize.h"

namespace seastar {

namespace {

// Loaded objects seen so far; entries are never removed, so frames may point at them.
struct object_table {
    std::mutex lock;
    std::deque<shared_object> objects;

    const shared_object* find(uintptr_t addr) noexcept {
        std::lock_guard<std::mutex> g(lock);
        for (auto& o : objects) {
            if (addr >= o.begin && addr < o.end) {
                return &o;
            }
        }
        return nullptr;
    }

    void refresh() noexcept {
        try {
            std::lock_guard<std::mutex> g(lock);
            objects.clear();
            dl_iterate_phdr(
                [](dl_phdr_info* info, size_t, void* data) {
                    auto* objs = static_cast<std::deque<shared_object>*>(data);
                    uintptr_t lo = UINTPTR_MAX, hi = 0;
                    for (int i = 0; i < info->dlpi_phnum; ++i) {
                        auto& ph = info->dlpi_phdr[i];
                        if (ph.p_type == PT_LOAD) {
                            uintptr_t b = info->dlpi_addr + ph.p_vaddr;
                            lo = std::min(lo, b);
                            hi = std::max(hi, uintptr_t(b + ph.p_memsz));
                        }
                    }
                    if (lo < hi) {
                        const char* name = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : "";
                        objs->push_back(shared_object{sstring(name), lo, hi});
                    }
                    return 0;
                },
                &objects);
        } catch (...) {
            // Out of memory: frames stay without their object.
        }
    }
};

object_table& objects() {
    static object_table t;
    return t;
}

} // namespace

saved_backtrace current_backtrace() noexcept {
    void* addrs[saved_backtrace::max_frames];
    // The first frame is our caller's (the unwinder starts above current_backtrace).
    int n = absl::GetStackTrace(addrs, int(saved_backtrace::max_frames), 0);
    saved_backtrace bt;
    auto& table = objects();
    for (int i = 0; i < n; ++i) {
        auto a = reinterpret_cast<uintptr_t>(addrs[i]);
        const shared_object* so = table.find(a);
        if (!so) {
            table.refresh(); // a library loaded since the last look
            so = table.find(a);
        }
        bt.push_back(frame{so, a});
    }
    return bt;
}

size_t saved_backtrace::hash() const noexcept {
    size_t h = 0;
    for (auto& f : *this) {
        h = h * 31 + std::hash<uintptr_t>()(f.addr);
    }
    return h;
}

bool saved_backtrace::operator==(const saved_backtrace& o) const noexcept {
    if (_size != o._size) {
        return false;
    }
    for (size_t i = 0; i < _size; ++i) {
        if (!(_frames[i] == o._frames[i])) {
            return false;
        }
    }
    return true;
}

std::string saved_backtrace::to_string() const {
    std::string out;
    for (auto& f : *this) {
        if (!out.empty()) {
            out += '\n';
        }
        if (f.so) {
            auto slash = f.so->name.find_last_of('/');
            std::string_view name = f.so->name;
            if (slash != sstring::npos) {
                name = name.substr(slash + 1);
            }
            out += fmt::format("{}+0x{:x}", name.empty() ? std::string_view("main") : name, f.addr - f.so->begin);
        } else {
            out += fmt::format("0x{:x}", f.addr);
        }
        char sym[512];
        // The return address points after the call; look up the call itself.
        if (absl::Symbolize(reinterpret_cast<const void*>(f.addr - 1), sym, sizeof(sym))) {
            out += ' ';
            out += sym;
        }
    }
    return out;
}

} // namespace seastar
