// reactor::net(), declared in seastar/core/reactor.hh as Seastar has it and defined here,
// where the network stacks are: the reactor (below the network) knows no stack, and
// every stack implementation links this file.
#include "seastar/core/reactor.hh"
#include "seastar/net/stack.hh"

namespace seastar {

net::network_stack& reactor::net() const {
    return net::local_network_stack();
}

} // namespace seastar
