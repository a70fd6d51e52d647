// chunked_fifo<T, items_per_chunk>: a FIFO queue stored in fixed-size chunks, so that
// pushing never moves existing elements and a large queue never needs one large
// contiguous allocation (unlike circular_buffer).
//
// One empty chunk is kept for reuse, so a queue that repeatedly fills and drains one
// chunk's worth allocates nothing after the first time. Iteration is forward, front to
// back. reserve(n) preallocates chunks; shrink_to_fit() frees the spare ones.
//
// Contract: front()/back()/pop_front() on an empty queue are undefined. Pushing may throw
// std::bad_alloc or what T's constructor throws (the queue is then unchanged). Iterators
// stay valid across push_back; pop_front invalidates those to the popped element.
//
//     seastar::chunked_fifo<request> q;
//     q.push_back(r);
//     while (!q.empty()) { handle(q.front()); q.pop_front(); }
#pragma once

#include <cstddef>
#include <iterator>
#include <new>
#include <type_traits>
#include <utility>

namespace seastar {

template <typename T, size_t items_per_chunk = 128>
class chunked_fifo {
    static_assert((items_per_chunk & (items_per_chunk - 1)) == 0 && items_per_chunk > 0,
                  "items_per_chunk must be a power of two");

    union maybe_item {
        maybe_item() noexcept {}
        ~maybe_item() {}
        T data;
    };
    struct chunk {
        maybe_item items[items_per_chunk];
        chunk* next = nullptr;
        // Unbounded counters masked by items_per_chunk, as in circular_buffer.
        unsigned begin = 0;
        unsigned end = 0;
        size_t size() const noexcept { return end - begin; }
    };

    chunk* _front_chunk = nullptr; // popped from
    chunk* _back_chunk = nullptr;  // pushed to
    size_t _nchunks = 0;           // chunks in the list
    chunk* _free_chunks = nullptr; // spare chunks (one kept by pop, more by reserve)
    size_t _nfree_chunks = 0;

    static size_t mask(size_t i) noexcept { return i & (items_per_chunk - 1); }

    chunk* new_chunk() {
        if (_free_chunks) {
            auto* c = _free_chunks;
            _free_chunks = c->next;
            --_nfree_chunks;
            c->next = nullptr;
            c->begin = c->end = 0;
            return c;
        }
        return new chunk();
    }
    void back_chunk_for_push() {
        if (!_back_chunk || _back_chunk->size() == items_per_chunk) {
            chunk* c = new_chunk();
            if (_back_chunk) {
                _back_chunk->next = c;
            } else {
                _front_chunk = c;
            }
            _back_chunk = c;
            ++_nchunks;
        }
    }
    void undo_back_chunk_if_empty() noexcept {
        if (_back_chunk && _back_chunk->size() == 0) {
            // A push failed into a chunk we just added: give it back.
            chunk* c = _back_chunk;
            if (_front_chunk == c) {
                _front_chunk = _back_chunk = nullptr;
            } else {
                chunk* p = _front_chunk;
                while (p->next != c) {
                    p = p->next;
                }
                p->next = nullptr;
                _back_chunk = p;
            }
            --_nchunks;
            c->next = _free_chunks;
            _free_chunks = c;
            ++_nfree_chunks;
        }
    }

public:
    using value_type = T;
    using size_type = size_t;
    using reference = T&;
    using const_reference = const T&;

    template <bool Const>
    class basic_iterator {
        friend class chunked_fifo;
        using chunk_ptr = std::conditional_t<Const, const chunk*, chunk*>;
        chunk_ptr _chunk = nullptr;
        size_t _item = 0;

        basic_iterator(chunk_ptr c) noexcept : _chunk(c), _item(c ? c->begin : 0) {}

    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = std::conditional_t<Const, const T*, T*>;
        using reference = std::conditional_t<Const, const T&, T&>;

        basic_iterator() noexcept = default;
        template <bool C = Const>
            requires C
        basic_iterator(const basic_iterator<false>& o) noexcept : _chunk(o._chunk), _item(o._item) {}

        reference operator*() const noexcept { return _chunk->items[mask(_item)].data; }
        pointer operator->() const noexcept { return &**this; }
        basic_iterator& operator++() noexcept {
            ++_item;
            if (_item == _chunk->end) {
                _chunk = _chunk->next;
                _item = _chunk ? _chunk->begin : 0;
            }
            return *this;
        }
        basic_iterator operator++(int) noexcept {
            auto r = *this;
            ++*this;
            return r;
        }
        bool operator==(const basic_iterator& o) const noexcept { return _chunk == o._chunk && _item == o._item; }
        template <bool>
        friend class basic_iterator;
    };
    using iterator = basic_iterator<false>;
    using const_iterator = basic_iterator<true>;

    chunked_fifo() noexcept = default;
    chunked_fifo(chunked_fifo&& x) noexcept
        : _front_chunk(std::exchange(x._front_chunk, nullptr)), _back_chunk(std::exchange(x._back_chunk, nullptr)),
          _nchunks(std::exchange(x._nchunks, 0)), _free_chunks(std::exchange(x._free_chunks, nullptr)),
          _nfree_chunks(std::exchange(x._nfree_chunks, 0)) {}
    chunked_fifo(const chunked_fifo& x) : chunked_fifo() {
        try {
            for (auto& e : x) {
                push_back(e);
            }
        } catch (...) {
            this->~chunked_fifo();
            throw;
        }
    }
    chunked_fifo& operator=(chunked_fifo&& x) noexcept {
        if (this != &x) {
            this->~chunked_fifo();
            new (this) chunked_fifo(std::move(x));
        }
        return *this;
    }
    chunked_fifo& operator=(const chunked_fifo& x) {
        if (this != &x) {
            chunked_fifo tmp(x);
            *this = std::move(tmp);
        }
        return *this;
    }
    ~chunked_fifo() {
        clear();
        shrink_to_fit();
    }

    size_t size() const noexcept {
        if (!_front_chunk) {
            return 0;
        }
        if (_front_chunk == _back_chunk) {
            return _front_chunk->size();
        }
        // Chunks between front and back are full.
        return _front_chunk->size() + _back_chunk->size() + (_nchunks - 2) * items_per_chunk;
    }
    bool empty() const noexcept { return _front_chunk == nullptr; }

    template <typename... A>
    T& emplace_back(A&&... args) {
        back_chunk_for_push();
        T* p;
        try {
            p = new (&_back_chunk->items[mask(_back_chunk->end)].data) T(std::forward<A>(args)...);
        } catch (...) {
            undo_back_chunk_if_empty();
            throw;
        }
        ++_back_chunk->end;
        return *p;
    }
    void push_back(const T& x) { emplace_back(x); }
    void push_back(T&& x) { emplace_back(std::move(x)); }

    T& front() noexcept { return _front_chunk->items[mask(_front_chunk->begin)].data; }
    const T& front() const noexcept { return _front_chunk->items[mask(_front_chunk->begin)].data; }
    T& back() noexcept { return _back_chunk->items[mask(_back_chunk->end - 1)].data; }
    const T& back() const noexcept { return _back_chunk->items[mask(_back_chunk->end - 1)].data; }

    void pop_front() noexcept {
        front().~T();
        if (++_front_chunk->begin == _front_chunk->end) {
            chunk* c = _front_chunk;
            _front_chunk = c->next;
            if (!_front_chunk) {
                _back_chunk = nullptr;
            }
            --_nchunks;
            // Keep one spare chunk so a queue hovering around a chunk boundary does not
            // allocate on every crossing.
            if (_nfree_chunks == 0) {
                c->next = _free_chunks;
                _free_chunks = c;
                ++_nfree_chunks;
            } else {
                delete c;
            }
        }
    }
    // Pops min(n, size()) elements from the front.
    void pop_front_n(size_t n) noexcept {
        while (n-- && !empty()) {
            pop_front();
        }
    }
    void clear() noexcept {
        while (!empty()) {
            pop_front();
        }
    }

    // Keeps enough spare chunks for n more elements than the queue holds.
    void reserve(size_t n) {
        size_t room = _back_chunk ? items_per_chunk - _back_chunk->size() : 0;
        size_t want = 0;
        if (n > room) {
            want = (n - room + items_per_chunk - 1) / items_per_chunk;
        }
        while (_nfree_chunks < want) {
            auto* c = new chunk();
            c->next = _free_chunks;
            _free_chunks = c;
            ++_nfree_chunks;
        }
    }
    // Frees the spare chunks.
    void shrink_to_fit() noexcept {
        while (_free_chunks) {
            auto* c = _free_chunks;
            _free_chunks = c->next;
            delete c;
        }
        _nfree_chunks = 0;
    }
    // Spare chunks held for reuse (for tests and memory accounting).
    size_t reserved_chunks() const noexcept { return _nfree_chunks; }

    iterator begin() noexcept { return iterator(_front_chunk); }
    iterator end() noexcept { return iterator(nullptr); }
    const_iterator begin() const noexcept { return const_iterator(_front_chunk); }
    const_iterator end() const noexcept { return const_iterator(nullptr); }
    const_iterator cbegin() const noexcept { return begin(); }
    const_iterator cend() const noexcept { return end(); }
};

} // namespace seastar
