// Launcher of the weighted histogram kernels, callable from host code compiled by the C++ compiler.
// Pointers are device pointers; the launcher queues its work on `stream` and checks it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace hepcat::cuda {

/// Per-block partial histograms of (w, w^2) per process, then a double-precision reduction over
/// blocks into d_out[2 * n_processes * n_bins] (sum_w block first, then sum_w2).
/// d_scratch must hold weighted_bin_sums_scratch_bytes(...) bytes.
std::size_t weighted_bin_sums_scratch_bytes(int multiprocessors, int n_processes, int n_bins);
void launch_weighted_bin_sums(const float* d_x, const float* d_w, const std::int32_t* d_process,
                              std::size_t n, int n_processes, int n_bins, float lo, float hi,
                              int multiprocessors, void* d_scratch, double* d_out,
                              cudaStream_t stream);

}  // namespace hepcat::cuda
