// Launcher of the cut scan's fused pass (kernels/cuts.cu), callable from host code compiled by
// the C++ compiler. Pointers in `in` are device pointers (cell_offsets included).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "kernels/cuts_pass.hpp"

namespace hepcat::cuda {

/// Scratch the launcher needs: each cell's first chunk and the per-chunk partial sums.
std::size_t cut_scan_scratch_bytes(const detail::CutPassInput& in);

/// Per-chunk partial sums (one warp per target, events staged through shared memory so that each
/// is read from global memory once for all targets that fit one block's registers; chunks of
/// each cell as the CPU's segments), then the chunks of each cell added in order, in double, into
/// d_out[n_cells * n_targets * layout.width()], as cpu::cut_scan_sums.
void launch_cut_scan_sums(const detail::CutPassInput& in, bool hard, void* d_scratch, double* d_out,
                          cudaStream_t stream);

}  // namespace hepcat::cuda
