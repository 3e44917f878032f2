// CPU twin of kernels/cuts.cu: the fused pass of the cut scan as an OpenMP loop over the same
// math (include/hepcat/math/cuts.hpp).
#pragma once

#include "kernels/cuts_pass.hpp"

namespace hepcat::cpu {

/// Accumulates the sums of math::CutSumLayout for every (cell, target) slot into
/// out[n_cells * n_targets * layout.width()] (overwritten). `hard` evaluates step functions and
/// fills only the two efficiency sums of each slot (the rest is zero). Deterministic for a given
/// thread count.
void cut_scan_sums(const detail::CutPassInput& in, bool hard, double* out);

}  // namespace hepcat::cpu
