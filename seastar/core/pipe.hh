#pragma once

// pipe<T>: a one-way channel of T with a bounded buffer, split into a reader and a writer
// end that can be handed to different fibers.
//
// Contract
// - Shard-local, not thread-safe. Each end is movable, not copyable; the shared buffer is
//   freed when both ends are gone.
// - pipe_writer::write(T) resolves when the item is in the buffer (waiting while it holds
//   `size` items). Once the reader is destroyed, pending and later writes fail with
//   broken_pipe_exception.
// - pipe_reader::read() resolves with the next item, or std::nullopt at end of file: once
//   the writer is destroyed and everything it wrote was read. A read that is waiting when
//   the writer goes away gets the EOF.
// - pipe_reader::unread(T) puts one item back to be read first; a second unread() before
//   it was read throws unread_overflow_exception.
// - At most one read() and one write() should be outstanding at a time; more are served
//   in order.
//
// Example
//   seastar::pipe<int> p(4);
//   auto r = std::move(p.reader);
//   auto w = std::move(p.writer);
//   (void)w.write(1).then([w = std::move(w)] () mutable { /* destroying w sends EOF */ });
//   r.read();   // -> 1, then std::nullopt

#include "seastar/core/future.hh"
#include "seastar/core/queue.hh"

#include <cstddef>
#include <exception>
#include <optional>
#include <utility>

namespace seastar {

class broken_pipe_exception : public std::exception {
public:
    const char* what() const noexcept override { return "Broken pipe"; }
};

class unread_overflow_exception : public std::exception {
public:
    const char* what() const noexcept override { return "pipe_reader::unread() overflow"; }
};

namespace internal {

// The buffer both ends share. Items travel as engaged optionals; the writer's EOF is a
// disengaged one handed to a waiting reader, or the `_write_open` flag when no reader waits.
template <typename T>
class pipe_buffer {
    queue<std::optional<T>> _buf;
    bool _read_open = true;
    bool _write_open = true;

public:
    explicit pipe_buffer(size_t size) : _buf(size) {}

    future<std::optional<T>> read() noexcept {
        if (_buf.empty() && !_write_open) {
            return make_ready_future<std::optional<T>>();
        }
        return _buf.pop_eventually();
    }

    future<> write(T&& data) noexcept { return _buf.push_eventually(std::optional<T>(std::move(data))); }

    // Each returns true when the other end is gone too: the caller then frees the buffer.
    bool close_read() noexcept {
        _read_open = false;
        _buf.abort(std::make_exception_ptr(broken_pipe_exception()));
        return !_write_open;
    }
    bool close_write() noexcept {
        _write_open = false;
        if (_buf.has_blocked_consumer()) {
            // A waiting reader means the buffer is empty: this hand-over cannot fail.
            (void)_buf.push(std::nullopt);
        }
        return !_read_open;
    }
};

} // namespace internal

template <typename T>
class pipe;

template <typename T>
class pipe_reader {
    internal::pipe_buffer<T>* _bufp = nullptr;
    std::optional<T> _unread;

    explicit pipe_reader(internal::pipe_buffer<T>* bufp) noexcept : _bufp(bufp) {}
    friend class pipe<T>;

public:
    pipe_reader(pipe_reader&& o) noexcept : _bufp(std::exchange(o._bufp, nullptr)), _unread(std::move(o._unread)) {
        o._unread.reset();
    }
    pipe_reader& operator=(pipe_reader&& o) noexcept {
        if (this != &o) {
            close();
            _bufp = std::exchange(o._bufp, nullptr);
            _unread = std::move(o._unread);
            o._unread.reset();
        }
        return *this;
    }
    pipe_reader(const pipe_reader&) = delete;
    pipe_reader& operator=(const pipe_reader&) = delete;
    ~pipe_reader() { close(); }

    /// The next item, or std::nullopt at end of file.
    future<std::optional<T>> read() noexcept {
        if (_unread) {
            auto ret = std::move(*_unread);
            _unread.reset();
            return make_ready_future<std::optional<T>>(std::move(ret));
        }
        if (!_bufp) {
            return make_ready_future<std::optional<T>>();
        }
        return _bufp->read();
    }

    /// Puts `item` back so that the next read() returns it.
    void unread(T&& item) {
        if (_unread) {
            throw unread_overflow_exception();
        }
        _unread = std::move(item);
    }

private:
    void close() noexcept {
        if (_bufp && _bufp->close_read()) {
            delete _bufp;
        }
        _bufp = nullptr;
    }
};

template <typename T>
class pipe_writer {
    internal::pipe_buffer<T>* _bufp = nullptr;

    explicit pipe_writer(internal::pipe_buffer<T>* bufp) noexcept : _bufp(bufp) {}
    friend class pipe<T>;

public:
    pipe_writer(pipe_writer&& o) noexcept : _bufp(std::exchange(o._bufp, nullptr)) {}
    pipe_writer& operator=(pipe_writer&& o) noexcept {
        if (this != &o) {
            close();
            _bufp = std::exchange(o._bufp, nullptr);
        }
        return *this;
    }
    pipe_writer(const pipe_writer&) = delete;
    pipe_writer& operator=(const pipe_writer&) = delete;
    ~pipe_writer() { close(); }

    /// Writes `data`, waiting while the buffer is full. Fails with broken_pipe_exception
    /// once the reader is gone.
    future<> write(T&& data) noexcept {
        if (!_bufp) {
            return make_exception_future<>(broken_pipe_exception());
        }
        return _bufp->write(std::move(data));
    }

private:
    void close() noexcept {
        if (_bufp && _bufp->close_write()) {
            delete _bufp;
        }
        _bufp = nullptr;
    }
};

/// A new pipe whose buffer holds up to `size` items; take `.reader` and `.writer`.
template <typename T>
class pipe {
    // Owned by the two ends from here on; created first so both can point at it.
    internal::pipe_buffer<T>* _bufp;

public:
    pipe_reader<T> reader;
    pipe_writer<T> writer;

    explicit pipe(size_t size) : _bufp(new internal::pipe_buffer<T>(size)), reader(_bufp), writer(_bufp) {}
};

} // namespace seastar
