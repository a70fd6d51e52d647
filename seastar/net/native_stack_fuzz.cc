// libFuzzer target: arbitrary bytes into the native stack's receive path
// (Ethernet -> ARP / IPv4 -> ICMP / UDP), raw and spliced into valid frames
// of each protocol so that mutations reach every layer. Whatever comes in,
// the stack must not crash, leak or read out of bounds; what it sends is
// discarded. Run briefly as a test (-runs, fixed -seed); run longer by hand:
//   bazel run --config=asan //seastar/net:native_stack_fuzz -- -max_total_time=600
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seastar/core/local_scheduler.hh"
#include "seastar/net/arp.hh"
#include "seastar/net/icmp.hh"
#include "seastar/net/interface.hh"
#include "seastar/net/ip.hh"
#include "seastar/net/net_test_util.hh"
#include "seastar/net/udp.hh"

namespace {

using namespace seastar;
using namespace seastar::net;

const ethernet_address us{{0x02, 0, 0, 0, 0, 0x01}};
const ethernet_address peer{{0x02, 0, 0, 0, 0, 0x99}};
const ipv4_address our_ip(0xc0000202);
const ipv4_address peer_ip(0xc0000201);

struct target {
    local_scheduler sched;
    std::shared_ptr<testing::capture_device> dev = std::make_shared<testing::capture_device>(us);
    interface iface{dev->make_queue(0), dev->hw_address(), dev->hw_features()};
    std::chrono::nanoseconds now{0};
    arp a{iface, arp_config{.now = [this] { return now; }}};
    ipv4 ip{iface, a,
            ipv4_config{.host = our_ip,
                        .gateway = ipv4_address(0xc0000201),
                        .reassembly_memory_limit = 256 << 10,
                        .now = [this] { return now; }}};
    icmp ic{ip};
    net::udp u{ip};
    udp_channel ch{u.make_channel(socket_address(ipv4_addr(7)))};
    std::vector<std::string> templates;

    target() {
        templates.push_back(
            testing::eth_frame(us, peer, 0x0806, testing::arp_packet(1, peer, peer_ip, ethernet_address{}, our_ip)));
        templates.push_back(testing::eth_frame(
            us, peer, 0x0800, testing::ipv4_packet(peer_ip, our_ip, 1, testing::icmp_echo(8, 1, 1, "ping-data"))));
        templates.push_back(testing::eth_frame(
            us, peer, 0x0800,
            testing::ipv4_packet(peer_ip, our_ip, 17, testing::udp_segment(peer_ip, our_ip, 9, 7, "udp-data"))));
        templates.push_back(testing::eth_frame(
            us, peer, 0x0800, testing::ipv4_packet(peer_ip, our_ip, 17, std::string(64, 'f'), 5, ipv4_hdr::flag_mf)));
        templates.push_back(testing::eth_frame(us, peer, 0x0800,
                                               testing::ipv4_packet(peer_ip, our_ip, 17, std::string(64, 'g'), 5, 8)));
    }

    void feed(const std::string& frame) {
        dev->inject(frame);
        sched.run_until_idle();
        dev->sent().clear();
    }

    void one_input(const uint8_t* data, size_t size) {
        std::string raw(reinterpret_cast<const char*>(data), size);
        feed(raw);
        if (size >= 2) {
            // data[0] picks a template, data[1] where the rest overwrites it.
            std::string f = templates[data[0] % templates.size()];
            size_t at = data[1] % f.size();
            std::string rest = raw.substr(2);
            if (data[0] & 0x80) {
                f.resize(at); // truncate, then append
                f += rest;
            } else {
                f.replace(at, std::min(rest.size(), f.size() - at), rest);
            }
            feed(f);
        }
        // Drain the channel now and then, let time pass now and then.
        if (size > 0 && data[size - 1] == 0x5a) {
            while (true) {
                auto fut = ch.receive();
                if (!fut.available()) {
                    ch.close();
                    (void)fut.then_wrapped([](auto f) { f.ignore_ready_future(); });
                    sched.run_until_idle();
                    ch = udp_channel(u.make_channel(socket_address(ipv4_addr(7))));
                    break;
                }
                fut.get();
            }
        }
        if (size > 0 && data[size - 1] == 0xa5) {
            now += std::chrono::seconds(31);
            a.expire();
            ip.expire();
            sched.run_until_idle();
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static auto* t = new target();
    t->one_input(data, size);
    return 0;
}
