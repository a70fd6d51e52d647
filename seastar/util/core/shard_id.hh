// shard_id: the number of a shard (0 .. smp::count - 1), and this_shard_id().
//
// this_shard_id() is defined by //seastar/smp (the shard layer): it returns the calling
// thread's shard, and 0 on threads that are not shards. Code that only names the type
// depends on nothing; code that calls this_shard_id() links the shard layer.
#pragma once

namespace seastar {

using shard_id = unsigned;

// The calling thread's shard (0 on a thread that is not a shard). Defined in seastar/smp.
shard_id this_shard_id() noexcept;

} // namespace seastar
