// What one fused pass of the cut scan reads: the same plain struct for the CPU loop
// (host/cuts/cuts_cpu.cpp) and the CUDA kernel (kernels/cuts.cu); pointers live on the backend
// that runs the pass.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hepcat/math/cuts.hpp"

namespace hepcat::detail {

/// Events are sorted by grid cell: cell c holds rows [cell_offsets[c], cell_offsets[c + 1]).
/// Feature k of row i is x[k * n + i]. Slot (c, j) uses biases bias[(c * n_targets + j) * m + k]
/// and weights weight[(c * n_targets + j) * weight_slot_stride + k] (stride 0: one weight per
/// feature shared by every slot, as for fixed directions).
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

}  // namespace hepcat::detail
