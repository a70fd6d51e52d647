#include "seastar/core/task.hh"

#include <cstdio>
#include <cstdlib>

namespace seastar::internal {

void no_task_scheduler() noexcept {
    std::fputs("seastar: a task was scheduled on a thread without a task scheduler "
               "(install a reactor or a seastar::local_scheduler first)\n",
            stderr);
    std::abort();
}

} // namespace seastar::internal
