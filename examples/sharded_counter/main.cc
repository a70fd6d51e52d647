// A small program written only against Seastar's documented API: a counter sharded over
// every shard, bumped by coroutines, with a timer per shard and the totals reduced on
// shard 0. It builds unchanged against Seastar itself.
//
//     bazel run //examples/sharded_counter -- --smp 2 --increments 1000 --ticks 3
#include <seastar/core/app-template.hh>
#include <seastar/core/coroutine.hh>
#include <seastar/core/reactor.hh>
#include <seastar/core/sharded.hh>
#include <seastar/core/sleep.hh>
#include <seastar/core/smp.hh>
#include <seastar/core/timer.hh>
#include <seastar/coroutine/maybe_yield.hh>
#include <seastar/util/log.hh>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>

namespace bpo = boost::program_options;
using namespace std::chrono_literals;

static seastar::logger counter_log("sharded_counter");

// One per shard: a count that only its shard touches, and a timer that ticks on it.
class counter {
    uint64_t _count = 0;
    unsigned _ticks = 0;
    seastar::timer<> _ticker;
    seastar::promise<> _ticked;
    unsigned _want_ticks = 0;

public:
    counter() : _ticker([this] { on_tick(); }) {}

    void on_tick() {
        if (++_ticks == _want_ticks) {
            _ticker.cancel();
            _ticked.set_value();
        }
    }

    seastar::future<> add(unsigned increments) {
        for (unsigned i = 0; i < increments; ++i) {
            ++_count;
            co_await seastar::coroutine::maybe_yield();
        }
    }

    // Resolves after `n` ticks of this shard's timer.
    seastar::future<> tick(unsigned n) {
        if (n == 0) {
            co_return;
        }
        _want_ticks = n;
        _ticker.arm_periodic(1ms);
        co_await _ticked.get_future();
    }

    uint64_t count() const { return _count; }
    unsigned ticks() const { return _ticks; }

    seastar::future<> stop() {
        _ticker.cancel();
        return seastar::make_ready_future<>();
    }
};

int main(int argc, char** argv) {
    seastar::app_template app;
    app.add_options()("increments", bpo::value<unsigned>()->default_value(1000), "increments on every shard")(
        "ticks", bpo::value<unsigned>()->default_value(3), "timer ticks to wait for on every shard");
    return app.run(argc, argv, [&app]() -> seastar::future<int> {
        auto& opts = app.configuration();
        auto increments = opts["increments"].as<unsigned>();
        auto ticks = opts["ticks"].as<unsigned>();

        seastar::sharded<counter> counters;
        co_await counters.start();
        co_await counters.invoke_on_all([increments](counter& c) { return c.add(increments); });
        co_await counters.invoke_on_all([ticks](counter& c) { return c.tick(ticks); });
        auto total = co_await counters.map_reduce0(std::mem_fn(&counter::count), uint64_t(0), std::plus<uint64_t>());
        auto all_ticks = co_await counters.map_reduce0(std::mem_fn(&counter::ticks), 0u, std::plus<unsigned>());
        co_await counters.stop();

        counter_log.info("done on {} shards", seastar::smp::count);
        std::cout << "shards " << seastar::smp::count << " total " << total << " ticks " << all_ticks << std::endl;
        co_return total == uint64_t(increments) * seastar::smp::count ? 0 : 1;
    });
}
