// Test helpers for the native stack's layers: a device that records what the
// stack sends and lets a test inject received frames, and builders of raw
// frames (as byte strings, so tests can break any field).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "seastar/net/ethernet.hh"
#include "seastar/net/ipv4_address.hh"
#include "seastar/net/net.hh"
#include "seastar/net/packet.hh"

namespace seastar::net::testing {

// One queue; frames sent are appended to sent (after the qp's flush task).
class capture_device final : public device {
public:
    struct shared {
        std::vector<std::string> sent;
        std::vector<offload_info> sent_oi; // beside each of sent
        class capture_qp* q = nullptr;
    };
    explicit capture_device(ethernet_address mac = ethernet_address{{0x02, 0, 0, 0, 0, 0x01}});
    ethernet_address hw_address() const noexcept override { return _mac; }
    const net::hw_features& hw_features() const noexcept override { return _hw; }
    std::unique_ptr<qp> make_queue(unsigned qid) override;
    // Hands `bytes` to the queue's receiver as a received frame.
    void inject(std::string_view bytes);
    std::vector<std::string>& sent() noexcept { return _s->sent; }
    std::vector<offload_info>& sent_offload() noexcept { return _s->sent_oi; }
    net::hw_features& features() noexcept { return _hw; }

private:
    ethernet_address _mac;
    net::hw_features _hw;
    std::shared_ptr<shared> _s;
};

std::string flatten(const packet& p);

std::string eth_frame(ethernet_address dst, ethernet_address src, uint16_t type, std::string_view payload);
// An IPv4 datagram with a correct header checksum.
std::string ipv4_packet(ipv4_address src, ipv4_address dst, uint8_t proto, std::string_view payload, uint16_t id = 1,
                        uint16_t frag = 0, uint8_t ttl = 64);
// Recomputes the header checksum of the datagram in `ip`.
void fix_ipv4_csum(std::string& ip);
// A UDP segment with a correct checksum.
std::string udp_segment(ipv4_address src, ipv4_address dst, uint16_t sport, uint16_t dport, std::string_view payload);
// An ICMP message (type, code 0, id, seq, data) with a correct checksum.
std::string icmp_echo(uint8_t type, uint16_t id, uint16_t seq, std::string_view data);
// An ARP packet (28 bytes).
std::string arp_packet(uint16_t op, ethernet_address sha, ipv4_address spa, ethernet_address tha, ipv4_address tpa);

} // namespace seastar::net::testing
