// stream<T...> / subscription<T...>: a producer hands values to one
// consumer function, one at a time, waiting for each call's future (flow
// control); the subscription's done() resolves when the producer closes the
// stream, or fails with the producer's or the consumer's error.
//
// Contract: shard-local. listen() may be called once. produce() must not be
// called again before the previous produce() resolved. After an error the
// consumer is not called again and produce() fails with that error.
// file::list_directory() returns a subscription<directory_entry>.
//
//     seastar::stream<int> s;
//     auto sub = s.listen([](int v) { return use(v); });
//     co_await s.produce(1);
//     s.close();
//     co_await sub.done();
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include "seastar/core/future.hh"

namespace seastar {

template <typename... T>
class subscription;

namespace internal {

template <typename... T>
struct stream_state {
    std::function<future<>(T...)> next;
    promise<> done;
    promise<> started;
    std::exception_ptr error;
    bool finished = false;

    void finish(std::exception_ptr ex) noexcept {
        if (finished) {
            return;
        }
        finished = true;
        if (ex) {
            error = ex;
            done.set_exception(std::move(ex));
        } else {
            done.set_value();
        }
    }
};

} // namespace internal

template <typename... T>
class stream {
    std::shared_ptr<internal::stream_state<T...>> _s = std::make_shared<internal::stream_state<T...>>();
    bool _listening = false;

public:
    using next_fn = std::function<future<>(T...)>;

    stream() = default;
    stream(stream&&) noexcept = default;
    stream& operator=(stream&&) noexcept = default;

    // Connects the consumer; throws std::logic_error on a second call.
    subscription<T...> listen(next_fn next);
    // Resolves once a consumer listens.
    future<> started() noexcept { return _s->started.get_future(); }
    // Calls the consumer with `data`; fails (and ends the stream) with the
    // consumer's error.
    future<> produce(T... data) noexcept {
        auto s = _s;
        if (s->finished) {
            return s->error ? make_exception_future<>(s->error)
                            : make_exception_future<>(std::logic_error("stream: produce() after close()"));
        }
        return futurize_invoke(s->next, std::move(data)...).then_wrapped([s](future<> f) {
            if (f.failed()) {
                auto ex = f.get_exception();
                s->finish(ex);
                return make_exception_future<>(std::move(ex));
            }
            return make_ready_future<>();
        });
    }
    // Ends the stream: done() resolves.
    void close() noexcept { _s->finish(nullptr); }
    // Ends the stream with an error: done() fails with it.
    template <typename E>
    void set_exception(E ex) noexcept {
        _s->finish(std::make_exception_ptr(std::move(ex)));
    }
    void set_exception(std::exception_ptr ex) noexcept { _s->finish(std::move(ex)); }
};

template <typename... T>
class subscription {
    future<> _done;

public:
    explicit subscription(future<> done) noexcept : _done(std::move(done)) {}
    subscription(subscription&&) noexcept = default;
    subscription& operator=(subscription&&) noexcept = default;
    // Resolves when the stream ends; fails with its error. Call once.
    future<> done() noexcept { return std::move(_done); }
};

template <typename... T>
subscription<T...> stream<T...>::listen(next_fn next) {
    if (_listening) {
        throw std::logic_error("stream: listen() called twice");
    }
    _listening = true;
    _s->next = std::move(next);
    _s->started.set_value();
    return subscription<T...>(_s->done.get_future());
}

} // namespace seastar
