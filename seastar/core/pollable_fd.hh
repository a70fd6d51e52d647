// pollable_fd: see internal/pollable_fd.hh (the network stack's building block).
#pragma once

#include "seastar/core/internal/pollable_fd.hh"
