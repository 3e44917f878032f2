// CPU twin of kernels/cut_scan.cu: the fused pass of the cut scan as an OpenMP loop over the same
// math (include/hepcat/math/cuts.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "hepcat/math/cuts.hpp"

namespace hepcat::cpu {

/// What one pass over the events reads. Events are sorted by grid cell: cell c holds rows
/// [cell_offsets[c], cell_offsets[c + 1]) (a host array). Feature k of row i is x[k * n + i].
/// Slot (c, j) uses biases bias[(c * n_targets + j) * m + k] and weights
/// weight[(c * n_targets + j) * weight_slot_stride + k] (stride 0: one weight per feature shared by
/// every slot, as for fixed directions).
struct CutPassInput {
  const float* x = nullptr;
  const float* w = nullptr;
  const std::uint8_t* signal = nullptr;
  std::size_t n = 0;
  const std::size_t* cell_offsets = nullptr;
  int n_cells = 1;
  int n_targets = 1;
  const float* mean = nullptr;    ///< [m] standardisation
  const float* inv_sd = nullptr;  ///< [m]
  const float* bias = nullptr;
  const float* weight = nullptr;
  std::size_t weight_slot_stride = 0;
  float steepness = 15;
  math::CutSumLayout layout;
};

/// Accumulates the sums of math::CutSumLayout for every slot into out[n_cells * n_targets *
/// layout.width()] (overwritten). `hard` evaluates step functions and fills only the two
/// efficiency sums of each slot (the rest is zero). Deterministic for a given thread count.
void cut_scan_sums(const CutPassInput& in, bool hard, double* out);

}  // namespace hepcat::cpu
