// Work from threads that are not shards (another library's threads, a blocking API's
// callback thread) into a shard.
//
// Contract:
// - Any thread that is not a shard may call these, while smp::run() is running (from the
//   moment shard 0's main starts until shutdown begins waiting for quiescence). Outside that
//   window run_on() throws std::runtime_error and submit_to() returns a std::future holding
//   it; a shard number out of range gives std::invalid_argument the same way.
// - The function is moved to the shard and runs there as a task; the shard is woken if it
//   sleeps. Work accepted before shutdown is run (and its future completed) before
//   smp::run() returns.
// - Each call allocates a small work item and takes one process-wide mutex: this is a
//   bridge, not a fast path. Calling from a shard thread would block it on a std::future:
//   use smp::submit_to() there.
//
// Example:
//
//     // on a thread of some other library:
//     std::future<int> f = seastar::alien::submit_to(0, [] { return compute_on_shard0(); });
//     int v = f.get();
#pragma once

#include <exception>
#include <future>
#include <memory>
#include <type_traits>
#include <utility>

#include "seastar/core/future.hh"
#include "seastar/core/smp.hh"

namespace seastar::alien {

namespace internal {

class alien_work {
public:
    virtual ~alien_work() = default;
    // On the shard. The returned future resolves when the work (and its reporting) is done.
    virtual future<> run() noexcept = 0;
};

// Hands `w` to `shard`'s queue and wakes it. Throws (see above) when it cannot.
void submit(shard_id shard, std::unique_ptr<alien_work> w);

template <typename Func>
class alien_func final : public alien_work {
    Func _func;

public:
    explicit alien_func(Func&& f) : _func(std::move(f)) {}
    future<> run() noexcept override {
        return futurize_invoke(_func).then_wrapped([](auto f) noexcept { f.ignore_ready_future(); });
    }
};

template <typename Func, typename T>
class alien_submit final : public alien_work {
    Func _func;
    std::promise<T> _pr;

public:
    explicit alien_submit(Func&& f) : _func(std::move(f)) {}
    std::future<T> get_future() { return _pr.get_future(); }
    future<> run() noexcept override {
        return futurize_invoke(_func).then_wrapped([this](auto f) noexcept {
            if (f.failed()) {
                _pr.set_exception(f.get_exception());
            } else if constexpr (std::is_void_v<T>) {
                f.get();
                _pr.set_value();
            } else {
                _pr.set_value(f.get());
            }
        });
    }
};

} // namespace internal

// Runs func() on `shard`, ignoring its result (a failure is dropped).
template <typename Func>
void run_on(shard_id shard, Func func) {
    internal::submit(shard, std::make_unique<internal::alien_func<Func>>(std::move(func)));
}

// Runs func() on `shard`; the std::future gets its result (a value, or a seastar future's
// value) or its exception.
template <typename Func, typename T = typename futurize<std::invoke_result_t<Func&>>::value_type>
std::future<T> submit_to(shard_id shard, Func func) {
    auto w = std::make_unique<internal::alien_submit<Func, T>>(std::move(func));
    auto f = w->get_future();
    try {
        internal::submit(shard, std::move(w));
    } catch (...) {
        std::promise<T> failed;
        failed.set_exception(std::current_exception());
        return failed.get_future();
    }
    return f;
}

} // namespace seastar::alien
