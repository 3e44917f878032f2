// CPU twin of kernels/ops.cu: an OpenMP loop over the same math.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hepcat::cpu {

/// out[2 * n_processes * n_bins]: sum_w then sum_w2, as cuda::launch_weighted_bin_sums.
void weighted_bin_sums(const float* x, const float* w, const std::int32_t* process, std::size_t n,
                       int n_processes, int n_bins, float lo, float hi, double* out);

}  // namespace hepcat::cpu
