// Seastar's seastar.hh: the free functions most programs reach first, the
// file functions of the disk layer (open_file_dma, make_directory,
// file_exists, ...) and the network functions of the current shard's stack
// (listen, connect, make_socket, make_udp_channel, make_bound_datagram_channel,
// make_unbound_datagram_channel).
//
// Contract: each set keeps the contract of the header that declares it,
// seastar/disk/file_functions.hh and seastar/net/api.hh. This header adds
// nothing of its own; it exists so that code written for Seastar includes one
// header for both. The network functions need a stack on the shard: link
// one (e.g. //seastar/net:posix_stack, which registers itself as the default).
//
//     auto ss = seastar::listen(seastar::socket_address(seastar::ipv4_addr("127.0.0.1", 0)));
//     auto c = co_await seastar::connect(ss.local_address());
//     auto f = co_await seastar::open_file_dma("log", seastar::open_flags::wo | seastar::open_flags::create);
#pragma once

#include "seastar/disk/file_functions.hh"
#include "seastar/net/api.hh"
