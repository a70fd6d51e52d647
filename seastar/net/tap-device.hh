// tap_device: a Linux TAP interface (/dev/net/tun, IFF_TAP | IFF_NO_PI) as a
// native-stack device with one queue. The kernel sees the other end of the
// cable: frames our stack sends arrive on the kernel's interface, and what
// the kernel sends to our MAC comes back to us.
//
// Contract: create on any thread; make_queue() on the shard that will own
// the queue (the reactor reads the descriptor there); the constructor throws std::system_error naming the
// interface when the TAP cannot be opened or attached (needs CAP_NET_ADMIN
// unless the interface already exists and belongs to the user). The
// interface is created if missing but not configured: bring it up and give
// it an address with `ip` (or let the test do so). When the kernel offers
// the vnet header (IFF_VNET_HDR, TUN_F_CSUM), L4 checksum offload is
// advertised both ways: the kernel completes the checksums of what we send,
// and marks frames whose checksum a local sender left partial or that it
// verified; otherwise checksums are done in software. No segmentation
// offload (TSO/LRO) is used. Frames the kernel cannot take are dropped and
// counted.
//
//     auto dev = net::make_tap_device("tap0");
#pragma once

#include <memory>
#include <string>

#include "seastar/net/ethernet.hh"
#include "seastar/net/net.hh"

namespace seastar::net {

// Our end's MAC address by default (locally administered, unicast).
inline constexpr ethernet_address default_tap_mac{{0x12, 0x23, 0x34, 0x56, 0x67, 0x78}};

std::shared_ptr<device> make_tap_device(const std::string& name, ethernet_address mac = default_tap_mac,
                                        uint16_t mtu = 1500);

} // namespace seastar::net
