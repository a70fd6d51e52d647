// connection_balancer: which shard gets an accepted connection, for
// listen_options::lba. A plain object owned by the shard that accepts; it
// does no I/O and knows nothing of shards beyond their count, so it is tested
// on its own.
//
// Contract: used on one shard (the accepting one). pick() counts the
// connection as live on the shard it returns; closed(shard) must be called
// (on the accepting shard) once that connection is gone. fixed_cpu must be
// below the shard count (the constructor throws std::invalid_argument).
//
//     internal::connection_balancer b(lba::port, 4, 0);
//     unsigned shard = b.pick(remote_port);   // remote_port % 4
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "seastar/net/api.hh"

namespace seastar::net::internal {

class connection_balancer {
public:
    using algorithm = server_socket::load_balancing_algorithm;

    connection_balancer(algorithm lba, unsigned shard_count, unsigned fixed_cpu)
        : _lba(lba), _fixed(fixed_cpu), _live(std::max(shard_count, 1u), 0) {
        if (lba == algorithm::fixed && fixed_cpu >= _live.size()) {
            throw std::invalid_argument("listen_options::fixed_cpu " + std::to_string(fixed_cpu) +
                                        " is not a shard (there are " + std::to_string(_live.size()) + ")");
        }
    }

    unsigned pick(uint16_t remote_port) noexcept {
        unsigned s = 0;
        switch (_lba) {
        case algorithm::port:
            s = remote_port % unsigned(_live.size());
            break;
        case algorithm::fixed:
            s = _fixed;
            break;
        case algorithm::connection_distribution:
            // Fewest live connections; ties go to the lowest shard, so
            // connections that stay open are dealt round-robin.
            s = unsigned(std::min_element(_live.begin(), _live.end()) - _live.begin());
            break;
        }
        ++_live[s];
        return s;
    }

    void closed(unsigned shard) noexcept {
        if (shard < _live.size() && _live[shard]) {
            --_live[shard];
        }
    }

    unsigned live(unsigned shard) const noexcept { return shard < _live.size() ? _live[shard] : 0; }
    unsigned shard_count() const noexcept { return unsigned(_live.size()); }

private:
    algorithm _lba;
    unsigned _fixed;
    std::vector<unsigned> _live;
};

} // namespace seastar::net::internal
