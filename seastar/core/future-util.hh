// Umbrella header: futures, coroutines and every future utility, as Seastar's
// future-util.hh. Prefer the individual headers in library code.
#pragma once

#include "seastar/core/coroutine.hh"
#include "seastar/core/do_with.hh"
#include "seastar/core/future.hh"
#include "seastar/core/loop.hh"
#include "seastar/core/map_reduce.hh"
#include "seastar/core/shared_future.hh"
#include "seastar/core/when_all.hh"
#include "seastar/core/when_any.hh"
#include "seastar/util/later.hh"
