// tap_wire: a cable between two TAP interfaces, in user space, through the
// fault device. Every frame the kernel sends on one interface comes out of
// the other (dropped, duplicated or reordered as the options say), so two
// Linux network namespaces, each given one of the interfaces, talk through
// the same device model our native stack is measured with. It is the
// reference of the native-stack benchmark (tools/iperf/bench_fault.sh):
// Linux's TCP over the TAP pair and this wire, against two native stacks
// over the pair device, both through the fault device.
//
//   tap_wire --tap-a wa0 --tap-b wb0 [--drop 0.01] [--duplicate 0]
//            [--reorder 0] [--seed 1] [--duration SECONDS]   (0: until SIGINT/SIGTERM)
//
// Checksums: the TAPs offer checksum offload, so a frame a local sender
// left with a partial L4 checksum is completed here before it crosses.
// Prints the frames carried and dropped each way at exit.
#include <csignal>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "seastar/app/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/timer.hh"
#include "seastar/net/byteorder.hh"
#include "seastar/net/fault-device.hh"
#include "seastar/net/ip_checksum.hh"
#include "seastar/net/tap-device.hh"

using namespace seastar;
namespace bpo = boost::program_options;

namespace {

// Completes the L4 checksum of an IPv4 TCP or UDP frame whose checksum the
// sending kernel left partial (it says so only through the receive offload
// flag, which also marks checksums it verified: recomputing is right for both).
void complete_l4_checksum(net::packet& p) {
    if (p.len() < 14 + 20) {
        return;
    }
    p.linearize();
    char* f = p.get_header(0, p.len());
    if (!f || net::read_be<uint16_t>(f + 12) != 0x0800) {
        return;
    }
    char* ip = f + 14;
    std::size_t ihl = std::size_t(ip[0] & 0x0f) * 4;
    uint16_t total = net::read_be<uint16_t>(ip + 2);
    uint8_t proto = uint8_t(ip[9]);
    bool fragment = (net::read_be<uint16_t>(ip + 6) & 0x3fff) != 0;
    if (ihl < 20 || total < ihl || 14u + total > p.len() || fragment || (proto != 6 && proto != 17)) {
        return;
    }
    std::size_t l4_len = total - ihl;
    std::size_t off = proto == 6 ? 16 : 6;
    if (l4_len < off + 2) {
        return;
    }
    char* l4 = ip + ihl;
    l4[off] = l4[off + 1] = 0;
    net::checksummer c;
    c.sum(ip + 12, 8); // source and destination addresses
    c.sum(uint16_t(proto));
    c.sum(uint16_t(l4_len));
    c.sum(l4, l4_len);
    uint16_t sum = c.get();
    if (proto == 17 && sum == 0) {
        sum = 0xffff;
    }
    net::write_be<uint16_t>(l4 + off, sum);
}

struct wire {
    std::shared_ptr<net::fault_device> a, b;
    std::unique_ptr<net::qp> qa, qb;
    uint64_t a_to_b = 0, b_to_a = 0;
};

} // namespace

int main(int ac, char** av) {
    app_template::config cfg;
    cfg.name = "tap_wire";
    cfg.description = "a user-space cable between two TAP interfaces, through the fault device";
    cfg.default_smp = 1;
    app_template app(cfg);
    // clang-format off
    app.add_options()
        ("tap-a", bpo::value<std::string>()->default_value("wa0"), "one end (created if missing)")
        ("tap-b", bpo::value<std::string>()->default_value("wb0"), "the other end (created if missing)")
        ("drop", bpo::value<double>()->default_value(0), "share of frames dropped, each way")
        ("duplicate", bpo::value<double>()->default_value(0), "share of frames duplicated, each way")
        ("reorder", bpo::value<double>()->default_value(0), "share of frames reordered, each way")
        ("seed", bpo::value<uint64_t>()->default_value(1), "the fault device's seed")
        ("duration", bpo::value<double>()->default_value(0), "stop after this many seconds (0: at SIGINT/SIGTERM)");
    // clang-format on
    return app.run(ac, av, [&]() -> future<int> {
        auto& opts = app.configuration();
        net::fault_config fc{.drop = opts["drop"].as<double>(),
                             .duplicate = opts["duplicate"].as<double>(),
                             .reorder = opts["reorder"].as<double>()};
        for (double share : {fc.drop, fc.duplicate, fc.reorder}) {
            if (!(share >= 0 && share < 1)) {
                throw std::invalid_argument(
                    fmt::format("tap_wire: a share of frames must be in [0, 1), not {}", share));
            }
        }
        uint64_t seed = opts["seed"].as<uint64_t>();
        auto w = std::make_shared<wire>();
        // Faults on each end's transmit side: each direction meets them once.
        w->a = net::make_fault_device(net::make_tap_device(opts["tap-a"].as<std::string>()),
                                      net::fault_options{.seed = seed, .tx = fc, .rx = {}});
        w->b = net::make_fault_device(net::make_tap_device(opts["tap-b"].as<std::string>()),
                                      net::fault_options{.seed = seed * 7919 + 13, .tx = fc, .rx = {}});
        w->qa = w->a->make_queue(0);
        w->qb = w->b->make_queue(0);
        w->qa->receive([w = w.get()](net::frame f) {
            if (f.oi.rx_csum_good) {
                complete_l4_checksum(f.p);
            }
            w->a_to_b++;
            w->qb->send(net::frame{std::move(f.p), {}});
        });
        w->qb->receive([w = w.get()](net::frame f) {
            if (f.oi.rx_csum_good) {
                complete_l4_checksum(f.p);
            }
            w->b_to_a++;
            w->qa->send(net::frame{std::move(f.p), {}});
        });
        std::cout << fmt::format("tap_wire: {} <-> {}, drop {} duplicate {} reorder {}\n",
                                 opts["tap-a"].as<std::string>(), opts["tap-b"].as<std::string>(), fc.drop,
                                 fc.duplicate, fc.reorder)
                  << std::flush;
        // Until SIGINT/SIGTERM or --duration.
        auto stop = std::make_shared<promise<>>();
        auto stopping = std::make_shared<bool>(false);
        auto trigger = [stop, stopping] {
            if (!std::exchange(*stopping, true)) {
                stop->set_value();
            }
        };
        for (int sig : {SIGINT, SIGTERM}) {
            engine().handle_signal(sig, trigger);
        }
        timer<> deadline(trigger);
        double duration = opts["duration"].as<double>();
        if (duration > 0) {
            deadline.arm(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>(duration)));
        }
        co_await stop->get_future();
        std::cout << fmt::format("tap_wire: a->b {} frames ({} dropped), b->a {} frames ({} dropped)\n", w->a_to_b,
                                 w->b->tx_stats().dropped, w->b_to_a, w->a->tx_stats().dropped)
                  << std::flush;
        w->qa->receive({});
        w->qb->receive({});
        co_return 0;
    });
}
