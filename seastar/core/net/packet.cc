#include "seastar/net/packet.hh"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace seastar::net {

// The descriptor block: header room, counters, the deleter and, right after
// the struct, the fragment array (allocated together, one allocation).
struct packet::impl {
    char _data[internal_data_size];
    unsigned _len = 0;
    unsigned _nr_frags = 0;
    unsigned _allocated_frags = 0;
    deleter _deleter;

    fragment* frags() noexcept { return reinterpret_cast<fragment*>(this + 1); }
    const fragment* frags() const noexcept { return reinterpret_cast<const fragment*>(this + 1); }

    static impl* allocate(std::size_t nr_frags) {
        nr_frags = std::clamp(nr_frags, default_nr_frags, max_nr_frags);
        void* mem = ::operator new(sizeof(impl) + nr_frags * sizeof(fragment));
        auto i = new (mem) impl();
        i->_allocated_frags = nr_frags;
        return i;
    }
    static void free(impl* i) noexcept {
        i->~impl();
        ::operator delete(static_cast<void*>(i));
    }
    bool using_internal_data() const noexcept {
        return _nr_frags && frags()[0].base >= _data && frags()[0].base < _data + internal_data_size;
    }
    // A copy of `old` with room for `nr_frags` fragments; frees `old`.
    static impl* grow(impl* old, std::size_t nr_frags) {
        auto n = allocate(nr_frags);
        std::memcpy(n->_data, old->_data, internal_data_size);
        n->_len = old->_len;
        n->_nr_frags = old->_nr_frags;
        std::copy_n(old->frags(), old->_nr_frags, n->frags());
        if (old->using_internal_data()) {
            n->frags()[0].base = n->_data + (old->frags()[0].base - old->_data);
        }
        n->_deleter = std::move(old->_deleter);
        free(old);
        return n;
    }
};

namespace {

// Makes `d` part of `chain` without a window in which an allocation failure
// could release the bytes `chain` protects: the node is allocated first.
void add_to_chain(deleter& chain, deleter&& d) {
    if (!d) {
        return;
    }
    if (!chain) {
        chain = std::move(d);
        return;
    }
    auto node = new internal::object_deleter_impl<deleter>(deleter(), deleter());
    node->obj = std::move(d);
    node->next = std::move(chain);
    chain = deleter(node);
}

char* allocate_bytes(std::size_t size) {
    auto p = static_cast<char*>(std::malloc(std::max<std::size_t>(size, 1)));
    if (!p) {
        throw std::bad_alloc();
    }
    return p;
}

} // namespace

packet::packet() : _impl(impl::allocate(default_nr_frags)) {}

packet::packet(std::size_t nr_frags) : _impl(impl::allocate(nr_frags)) {}

void packet::destroy() noexcept {
    if (_impl) {
        impl::free(_impl);
        _impl = nullptr;
    }
}

void packet::ensure_impl() {
    if (!_impl) {
        _impl = impl::allocate(default_nr_frags);
    }
}

unsigned packet::len() const noexcept {
    return _impl ? _impl->_len : 0;
}

unsigned packet::nr_frags() const noexcept {
    return _impl ? _impl->_nr_frags : 0;
}

fragment packet::frag(unsigned idx) const noexcept {
    assert(idx < nr_frags());
    return _impl->frags()[idx];
}

fragment& packet::frag(unsigned idx) noexcept {
    assert(idx < nr_frags());
    return _impl->frags()[idx];
}

std::span<fragment> packet::fragments() const noexcept {
    if (!_impl) {
        return {};
    }
    return {_impl->frags(), _impl->_nr_frags};
}

bool packet::using_internal_data() const noexcept {
    return _impl && _impl->using_internal_data();
}

void packet::append_frag(fragment frag) noexcept {
    if (!frag.size) {
        return;
    }
    assert(_impl->_nr_frags < _impl->_allocated_frags);
    _impl->frags()[_impl->_nr_frags++] = frag;
    _impl->_len += frag.size;
}

// Only the first fragment may point into the header room: callers move it
// out (unuse_internal_data) before putting another fragment in front of it.
void packet::prepend_frag(fragment frag) noexcept {
    if (!frag.size) {
        return;
    }
    assert(_impl->_nr_frags < _impl->_allocated_frags);
    assert(!using_internal_data() || (frag.base >= _impl->_data && frag.base < _impl->_data + internal_data_size));
    auto f = _impl->frags();
    std::copy_backward(f, f + _impl->_nr_frags, f + _impl->_nr_frags + 1);
    f[0] = frag;
    ++_impl->_nr_frags;
    _impl->_len += frag.size;
}

void packet::add_deleter(deleter d) {
    add_to_chain(_impl->_deleter, std::move(d));
}

void packet::make_room(std::size_t extra) {
    ensure_impl();
    assert(extra < max_nr_frags);
    if (_impl->_nr_frags + extra > max_nr_frags) {
        linearize();
    }
    std::size_t need = _impl->_nr_frags + extra;
    if (need > _impl->_allocated_frags) {
        _impl = impl::grow(_impl, std::max(need, 2 * std::size_t(_impl->_nr_frags)));
    }
}

void packet::reserve(std::size_t n_frags) {
    ensure_impl();
    n_frags = std::min(n_frags, max_nr_frags);
    if (n_frags > _impl->_allocated_frags) {
        _impl = impl::grow(_impl, n_frags);
    }
}

packet::packet(const char* data, std::size_t len) : packet(fragment{const_cast<char*>(data), len}) {}

packet packet::copy() const {
    temporary_buffer<char> b(len());
    std::size_t off = 0;
    for (auto& f : fragments()) {
        std::memcpy(b.get_write() + off, f.base, f.size);
        off += f.size;
    }
    return packet(std::move(b));
}

packet::packet(fragment frag) : _impl(impl::allocate(default_nr_frags)) {
    if (frag.size) {
        auto buf = allocate_bytes(frag.size);
        std::memcpy(buf, frag.base, frag.size);
        _impl->_deleter = make_free_deleter(buf);
        append_frag({buf, frag.size});
    }
}

packet::packet(fragment frag, deleter d) : _impl(impl::allocate(default_nr_frags)) {
    _impl->_deleter = std::move(d);
    append_frag(frag);
}

packet::packet(std::vector<fragment> frags, deleter d) {
    if (frags.size() > max_nr_frags) {
        // Too many fragments to describe: keep one copy of the bytes instead.
        std::size_t total = 0;
        for (auto& f : frags) {
            total += f.size;
        }
        auto buf = allocate_bytes(total);
        auto p = buf;
        for (auto& f : frags) {
            if (f.size) {
                p = static_cast<char*>(std::memcpy(p, f.base, f.size)) + f.size;
            }
        }
        _impl = impl::allocate(default_nr_frags);
        _impl->_deleter = make_free_deleter(buf);
        append_frag({buf, total});
        return;
    }
    _impl = impl::allocate(frags.size());
    _impl->_deleter = std::move(d);
    for (auto& f : frags) {
        append_frag(f);
    }
}

packet::packet(temporary_buffer<char> buf) : _impl(impl::allocate(default_nr_frags)) {
    fragment f{buf.get_write(), buf.size()};
    _impl->_deleter = buf.release();
    append_frag(f);
}

packet::packet(packet&& x, fragment frag) : _impl(std::exchange(x._impl, nullptr)) {
    make_room(1);
    if (frag.size) {
        auto buf = allocate_bytes(frag.size);
        std::memcpy(buf, frag.base, frag.size);
        add_deleter(make_free_deleter(buf));
        append_frag({buf, frag.size});
    }
}

packet::packet(fragment frag, packet&& x) : _impl(std::exchange(x._impl, nullptr)) {
    make_room(1);
    unuse_internal_data();
    if (frag.size) {
        auto buf = allocate_bytes(frag.size);
        std::memcpy(buf, frag.base, frag.size);
        add_deleter(make_free_deleter(buf));
        prepend_frag({buf, frag.size});
    }
}

packet::packet(packet&& x, fragment frag, deleter d) : _impl(std::exchange(x._impl, nullptr)) {
    make_room(1);
    add_deleter(std::move(d));
    append_frag(frag);
}

packet::packet(fragment frag, deleter d, packet&& x) : _impl(std::exchange(x._impl, nullptr)) {
    make_room(1);
    unuse_internal_data();
    add_deleter(std::move(d));
    prepend_frag(frag);
}

packet::packet(packet&& x, temporary_buffer<char> buf) : _impl(std::exchange(x._impl, nullptr)) {
    make_room(1);
    fragment f{buf.get_write(), buf.size()};
    add_deleter(buf.release());
    append_frag(f);
}

packet::packet(temporary_buffer<char> buf, packet&& x) : _impl(std::exchange(x._impl, nullptr)) {
    make_room(1);
    unuse_internal_data();
    fragment f{buf.get_write(), buf.size()};
    add_deleter(buf.release());
    prepend_frag(f);
}

packet::packet(packet&& x, deleter d) : _impl(std::exchange(x._impl, nullptr)) {
    ensure_impl();
    add_deleter(std::move(d));
}

void packet::unuse_internal_data() {
    if (!using_internal_data()) {
        return;
    }
    auto& f = _impl->frags()[0];
    auto buf = allocate_bytes(f.size);
    std::memcpy(buf, f.base, f.size);
    add_deleter(make_free_deleter(buf));
    f.base = buf;
}

packet packet::share() {
    return share(0, len());
}

packet packet::share(std::size_t offset, std::size_t len) {
    assert(offset <= this->len() && len <= this->len() - offset);
    if (!_impl) {
        return make_null_packet();
    }
    // The header room lives in our descriptor block, which the new packet
    // must not point into.
    unuse_internal_data();
    auto f = _impl->frags();
    std::size_t idx = 0;
    while (idx < _impl->_nr_frags && offset >= f[idx].size) {
        offset -= f[idx++].size;
    }
    std::size_t last = idx;
    for (std::size_t covered = 0; covered < offset + len; ++last) {
        covered += f[last].size;
    }
    packet n(last - idx);
    for (std::size_t i = idx; n._impl->_len < len; ++i) {
        auto size = std::min(len - n._impl->_len, f[i].size - offset);
        n.append_frag({f[i].base + offset, size});
        offset = 0;
    }
    n._impl->_deleter = _impl->_deleter.share();
    return n;
}

void packet::append(packet&& p) {
    if (!p._impl || &p == this) {
        return;
    }
    if (!len()) {
        *this = std::move(p);
        return;
    }
    ensure_impl();
    p.unuse_internal_data();
    if (p._impl->_nr_frags >= max_nr_frags) {
        p.linearize();
    }
    make_room(p._impl->_nr_frags);
    add_deleter(std::move(p._impl->_deleter));
    for (auto& f : p.fragments()) {
        append_frag(f);
    }
    p.destroy();
}

void packet::trim_front(std::size_t how_much) noexcept {
    assert(how_much <= len());
    if (!how_much) {
        return;
    }
    _impl->_len -= how_much;
    auto f = _impl->frags();
    std::size_t i = 0;
    while (how_much && how_much >= f[i].size) {
        how_much -= f[i++].size;
    }
    std::copy(f + i, f + _impl->_nr_frags, f);
    _impl->_nr_frags -= i;
    if (how_much) {
        f[0].base += how_much;
        f[0].size -= how_much;
    }
}

void packet::trim_back(std::size_t how_much) noexcept {
    assert(how_much <= len());
    if (!how_much) {
        return;
    }
    _impl->_len -= how_much;
    auto f = _impl->frags();
    std::size_t n = _impl->_nr_frags;
    while (how_much && how_much >= f[n - 1].size) {
        how_much -= f[--n].size;
    }
    _impl->_nr_frags = n;
    if (how_much) {
        f[n - 1].size -= how_much;
    }
}

void packet::linearize(std::size_t at_frag, std::size_t desired_size) {
    if (!_impl) {
        return;
    }
    auto f = _impl->frags();
    std::size_t nr = 0;
    std::size_t accum = 0;
    while (accum < desired_size && at_frag + nr < _impl->_nr_frags) {
        accum += f[at_frag + nr].size;
        ++nr;
    }
    if (nr <= 1) {
        return;
    }
    auto buf = allocate_bytes(accum);
    auto p = buf;
    for (std::size_t i = 0; i < nr; ++i) {
        p = static_cast<char*>(std::memcpy(p, f[at_frag + i].base, f[at_frag + i].size)) + f[at_frag + i].size;
    }
    add_deleter(make_free_deleter(buf));
    f[at_frag] = {buf, accum};
    std::copy(f + at_frag + nr, f + _impl->_nr_frags, f + at_frag + 1);
    _impl->_nr_frags -= nr - 1;
}

char* packet::get_header(std::size_t offset, std::size_t size) {
    if (offset >= len() || size > len() - offset) {
        return nullptr;
    }
    auto f = _impl->frags();
    std::size_t i = 0;
    while (offset >= f[i].size) {
        offset -= f[i++].size;
    }
    if (f[i].size - offset < size) {
        linearize(i, offset + size);
    }
    return f[i].base + offset;
}

char* packet::prepend_uninitialized_header(std::size_t size) {
    ensure_impl();
    if (!size) {
        return _impl->_nr_frags ? _impl->frags()[0].base : _impl->_data + internal_data_size;
    }
    if (using_internal_data()) {
        auto& f0 = _impl->frags()[0];
        if (std::size_t(f0.base - _impl->_data) >= size) {
            f0.base -= size;
            f0.size += size;
            _impl->_len += size;
            return f0.base;
        }
        // Not enough room in front of the current header: move it out and
        // start the header room afresh.
        unuse_internal_data();
    }
    make_room(1);
    if (size <= internal_data_size) {
        prepend_frag({_impl->_data + internal_data_size - size, size});
    } else {
        auto buf = allocate_bytes(size);
        add_deleter(make_free_deleter(buf));
        prepend_frag({buf, size});
    }
    return _impl->frags()[0].base;
}

void packet::reset() noexcept {
    if (_impl) {
        _impl->_len = 0;
        _impl->_nr_frags = 0;
        _impl->_deleter = deleter();
    }
}

std::vector<temporary_buffer<char>> packet::release() {
    std::vector<temporary_buffer<char>> ret;
    if (!_impl || !_impl->_nr_frags) {
        reset();
        return ret;
    }
    unuse_internal_data();
    ret.reserve(_impl->_nr_frags);
    auto f = _impl->frags();
    for (std::size_t i = 0; i + 1 < _impl->_nr_frags; ++i) {
        ret.emplace_back(f[i].base, f[i].size, _impl->_deleter.share());
    }
    auto& last = f[_impl->_nr_frags - 1];
    ret.emplace_back(last.base, last.size, std::move(_impl->_deleter));
    reset();
    return ret;
}

} // namespace seastar::net
