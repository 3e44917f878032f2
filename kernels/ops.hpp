// Launcher of the weighted histogram kernels, callable from host code compiled by the C++ compiler.
// Pointers are device pointers; the launcher queues its work on `stream` and checks it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace hepcat::cuda {

/// Per-chunk histograms of (w, w^2) per process, added in chunk order in double into
/// d_out[2 * n_processes * n_bins] (sum_w block first, then sum_w2). d_scratch must hold
/// weighted_bin_sums_scratch_bytes(n, ...) bytes. The table must fit math::kMaxAccumulators
/// (checked by the caller, detail::require_accumulators).
std::size_t weighted_bin_sums_scratch_bytes(std::size_t n, int n_processes, int n_bins);
void launch_weighted_bin_sums(const float* d_x, const float* d_w, const std::int32_t* d_process,
                              std::size_t n, int n_processes, int n_bins, float lo, float hi,
                              void* d_scratch, double* d_out, cudaStream_t stream);

}  // namespace hepcat::cuda
