// create/destroy/rename_scheduling_group and scheduling_group_key_create:
// the process-wide registry step (internal/scheduling_group_registry.cc) plus a per-shard step
// run on every shard (internal/scheduler_groups.hh).
#include "seastar/core/internal/scheduler_groups.hh"

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/scheduling.hh"

namespace seastar {

namespace internal {

namespace {

scheduling_group_broadcaster& broadcaster() {
    static scheduling_group_broadcaster b;
    return b;
}

} // namespace

constinit thread_local scheduling_group_queues* local_queues = nullptr;

scheduling_group_queues* set_local_scheduling_group_queues(scheduling_group_queues* q) noexcept {
    return std::exchange(local_queues, q);
}

void set_scheduling_group_broadcaster(scheduling_group_broadcaster b) {
    broadcaster() = std::move(b);
}

future<> broadcast_scheduling_group_step(std::function<void()> step) noexcept {
    try {
        if (auto& b = broadcaster()) {
            return b(std::move(step));
        }
        step();
        return make_ready_future<>();
    } catch (...) {
        return make_exception_future<>(std::current_exception());
    }
}

} // namespace internal

future<scheduling_group> create_scheduling_group(std::string name, float shares) noexcept {
    unsigned index = internal::allocate_scheduling_group(name, shares);
    auto sg = internal::scheduling_group_from_index(index);
    std::exception_ptr ex;
    try {
        co_await internal::broadcast_scheduling_group_step([sg, index] {
            internal::reset_local_scheduling_group_shares(index);
            if (internal::local_queues) {
                internal::local_queues->init_scheduling_group(sg);
            }
            internal::init_scheduling_group_specific(index);
        });
    } catch (...) {
        ex = std::current_exception();
    }
    if (ex) {
        // Undo on every shard, then give the index back.
        co_await internal::broadcast_scheduling_group_step([sg, index] {
            internal::destroy_scheduling_group_specific(index);
            if (internal::local_queues) {
                internal::local_queues->destroy_scheduling_group_queue(sg);
            }
        }).handle_exception([](std::exception_ptr) {});
        internal::release_scheduling_group(index);
        std::rethrow_exception(ex);
    }
    co_return sg;
}

future<> destroy_scheduling_group(scheduling_group sg) noexcept {
    auto index = internal::scheduling_group_index(sg);
    if (sg.is_main()) {
        throw std::invalid_argument("destroy_scheduling_group: the default scheduling group cannot be destroyed");
    }
    if (!internal::scheduling_group_live(index)) {
        throw std::invalid_argument("destroy_scheduling_group: the scheduling group does not exist");
    }
    if (sg.active()) {
        throw std::invalid_argument("destroy_scheduling_group: called from a task of the group being destroyed");
    }
    std::string name = sg.name();
    co_await internal::broadcast_scheduling_group_step([sg, name] {
        if (internal::local_queues && internal::local_queues->scheduling_group_queue_length(sg) != 0) {
            throw std::logic_error("destroy_scheduling_group: scheduling group \"" + name +
                                   "\" still has tasks queued");
        }
    });
    co_await internal::broadcast_scheduling_group_step([sg, index] {
        internal::destroy_scheduling_group_specific(index);
        if (internal::local_queues) {
            internal::local_queues->destroy_scheduling_group_queue(sg);
        }
    });
    internal::release_scheduling_group(index);
}

future<> rename_scheduling_group(scheduling_group sg, std::string new_name) noexcept {
    auto index = internal::scheduling_group_index(sg);
    if (!internal::scheduling_group_live(index)) {
        throw std::invalid_argument("rename_scheduling_group: the scheduling group does not exist");
    }
    internal::rename_scheduling_group_registry(index, new_name);
    co_await internal::broadcast_scheduling_group_step([index] { internal::rename_scheduling_group_specific(index); });
}

future<scheduling_group_key> scheduling_group_key_create(scheduling_group_key_config cfg) noexcept {
    unsigned key = internal::allocate_scheduling_group_key(std::move(cfg));
    co_await internal::broadcast_scheduling_group_step([key] { internal::init_scheduling_group_key(key); });
    co_return internal::scheduling_group_key_from_id(key);
}

} // namespace seastar
