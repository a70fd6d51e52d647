// A futures-only program: a producer and a consumer coroutine connected by a
// bounded queue, driven by the run-until-idle scheduler (no reactor).
#include <cstdio>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/core/queue.hh"

namespace {

seastar::future<> produce(seastar::queue<int>& q, int n) {
    for (int i = 1; i <= n; ++i) {
        co_await q.push_eventually(int(i));
    }
}

seastar::future<long> consume(seastar::queue<int>& q, int n) {
    long sum = 0;
    for (int i = 0; i < n; ++i) {
        sum += co_await q.pop_eventually();
    }
    co_return sum;
}

} // namespace

int main() {
    seastar::local_scheduler sched;
    seastar::queue<int> q(4);
    auto producer = produce(q, 1000);
    long sum = sched.wait(consume(q, 1000));
    sched.wait(std::move(producer));
    std::printf("sum of 1..1000 through a queue of 4: %ld\n", sum);
    return sum == 500500 ? 0 : 1;
}
