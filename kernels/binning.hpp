// Launchers of the soft-binning kernels (the two passes of the training step, soft memberships,
// hard-assignment yields), callable from host code compiled by the C++ compiler. Pointers are
// device pointers; each launcher queues its work on `stream` and checks it. The model's
// `values` and the events' columns must be device pointers.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "hepcat/math/soft_binning.hpp"

namespace hepcat::cuda {

/// Scratch for one pass over n events with `width` accumulated values: the chunk partials
/// (kernels/chunk_sums.cuh). Every pass's width must fit math::kMaxAccumulators (checked when the
/// trainer is built).
std::size_t soft_binning_scratch_bytes(std::size_t n, int width);

/// Pass 1: d_out[2 * n_groups * K] (math::bin_sum_index layout), chunk sums added in order.
void launch_soft_bin_sums(const math::SoftModel<float>& model,
                          const math::SoftBinningEvents<float>& events, int n_groups,
                          void* d_scratch, double* d_out, cudaStream_t stream);

/// Pass 2: d_out[model.gradient_size()] from d_dsums (dL/d(sums), float, pass-1 layout).
void launch_soft_bin_gradient(const math::SoftModel<float>& model,
                              const math::SoftBinningEvents<float>& events, const float* d_dsums,
                              void* d_scratch, double* d_out, cudaStream_t stream);

/// d_out[i * K + k]: soft membership of event i in category k.
void launch_soft_memberships(const math::SoftModel<float>& model,
                             const math::SoftBinningEvents<float>& events, float* d_out,
                             cudaStream_t stream);

/// d_out[2 * n_processes * K]: sum of w, then of w^2, per (process, hard category).
void launch_hard_bin_sums(const math::SoftModel<float>& model,
                          const math::SoftBinningEvents<float>& events, int n_processes,
                          void* d_scratch, double* d_out, cudaStream_t stream);

}  // namespace hepcat::cuda
