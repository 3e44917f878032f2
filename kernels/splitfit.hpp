// Launchers of the Split-N-Fit pass/fail histogram kernels. Pointers are device pointers.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace hepcat::cuda {

/// As cpu::soft_split_histograms: d_out[2 n_bins + 1] in double, from per-chunk sums added in
/// chunk order (kernels/chunk_sums.cuh); d_scratch holds soft_split_scratch_bytes(n, ...) bytes.
std::size_t soft_split_scratch_bytes(std::size_t n, int n_bins);
void launch_soft_split_histograms(const float* d_x, const float* d_w, const float* d_score,
                                  std::size_t n, int n_bins, double lo, double hi, void* d_scratch,
                                  double* d_out, cudaStream_t stream);

/// As cpu::soft_split_backward; d_dpass and d_dfail are n_bins doubles on the device.
void launch_soft_split_backward(const float* d_x, const float* d_w, const float* d_score,
                                std::size_t n, int n_bins, double lo, double hi,
                                const double* d_dpass, const double* d_dfail, double dq_per_event,
                                float* d_grad, cudaStream_t stream);

}  // namespace hepcat::cuda
