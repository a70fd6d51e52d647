// Measures the CPU an idle reactor uses, for each backend: runs a reactor
// with nothing to do for a while and reports (user + system CPU time of the
// whole process) / wall time.
//
//   bazel run --config=opt //seastar/core:reactor_idle_cpu -- [seconds per backend, default 3]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "seastar/core/coroutine.hh"
#include "seastar/core/internal/reactor_backend_selector.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"

namespace {

double cpu_seconds() {
    rusage ru;
    ::getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

} // namespace

int main(int ac, char** av) {
    double seconds = ac > 1 ? std::atof(av[1]) : 3.0;
    if (!(seconds > 0 && seconds <= 600)) {
        std::fprintf(stderr, "usage: %s [seconds per backend, 0 < s <= 600]\n", av[0]);
        return 1;
    }
    for (auto& name : seastar::internal::default_backend_order()) {
        seastar::reactor_config cfg;
        cfg.backend = name;
        cfg.handle_sigint_sigterm = false;
        try {
            seastar::reactor r(cfg);
            double cpu0 = 0, wall = 0, cpu = 0;
            r.run([&]() -> seastar::future<int> {
                auto start = std::chrono::steady_clock::now();
                cpu0 = cpu_seconds();
                co_await seastar::sleep(std::chrono::duration<double>(seconds));
                cpu = cpu_seconds() - cpu0;
                wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                co_return 0;
            });
            std::printf("%-10s idle for %.1f s: %.3f%% CPU (%.1f ms CPU)\n", name.c_str(), wall, 100.0 * cpu / wall,
                    cpu * 1e3);
        } catch (const std::exception& e) {
            std::printf("%-10s unavailable: %s\n", name.c_str(), e.what());
        }
    }
    return 0;
}
