// Split-N-Fit's differentiable histograms: pass/fail sums over events, and the backward pass
// that gives every event its dL/ds (SCIENCE.md section 4). Both are one read of the events.
#include <algorithm>

#include "hepcat/error.hpp"
#include "hepcat/math/splitfit.hpp"
#include "kernels/block_partials.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/splitfit.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kBlocksPerSm = 8;

__global__ void soft_split_histograms_kernel(const float* __restrict__ x,
                                             const float* __restrict__ w,
                                             const float* __restrict__ score, std::size_t n,
                                             int n_bins, double lo, double inv_width,
                                             float* __restrict__ partial) {
  extern __shared__ float hist[];  // [pass | fail | sum of (1 - p)]
  const int width = 2 * n_bins + 1;
  for (int c = threadIdx.x; c < width; c += blockDim.x) hist[c] = 0.f;
  __syncthreads();
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  float fail_sum = 0.f;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const float p = math::sigmoid(score[i]);
    fail_sum += 1.f - p;
    // Binning in double, as on the CPU, so both backends put edge events in the same bin.
    const int b = math::fit_range_bin<double>(x[i], lo, inv_width, n_bins);
    if (b < 0) continue;
    const float wi = w ? w[i] : 1.f;
    atomicAdd(&hist[b], p * wi);
    atomicAdd(&hist[n_bins + b], (1.f - p) * wi);
  }
  atomicAdd(&hist[2 * n_bins], fail_sum);
  __syncthreads();
  float* out = partial + static_cast<std::size_t>(blockIdx.x) * width;
  for (int c = threadIdx.x; c < width; c += blockDim.x) out[c] = hist[c];
}

__global__ void soft_split_backward_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                           const float* __restrict__ score, std::size_t n,
                                           int n_bins, double lo, double inv_width,
                                           const double* __restrict__ dpass,
                                           const double* __restrict__ dfail, double dq_per_event,
                                           float* __restrict__ grad) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    // Binning in double, as on the CPU, so both backends put edge events in the same bin.
    const int b = math::fit_range_bin<double>(x[i], lo, inv_width, n_bins);
    grad[i] = static_cast<float>(math::splitfit_score_gradient<double>(score[i], w ? w[i] : 1.0, b,
                                                                       dpass, dfail, dq_per_event));
  }
}

}  // namespace

std::size_t soft_split_scratch_bytes(int multiprocessors, int n_bins) {
  return static_cast<std::size_t>(multiprocessors) * kBlocksPerSm * (2 * n_bins + 1) *
         sizeof(float);
}

void launch_soft_split_histograms(const float* d_x, const float* d_w, const float* d_score,
                                  std::size_t n, int n_bins, double lo, double hi,
                                  int multiprocessors, void* d_scratch, double* d_out,
                                  cudaStream_t stream) {
  const int width = 2 * n_bins + 1;
  const int blocks = grid_stride_blocks(multiprocessors, n, kThreads, kBlocksPerSm);
  auto* partial = static_cast<float*>(d_scratch);
  soft_split_histograms_kernel<<<blocks, kThreads, width * sizeof(float), stream>>>(
      d_x, d_w, d_score, n, n_bins, lo, n_bins / (hi - lo), partial);
  HEPCAT_LAUNCH_CHECK(stream, "soft_split_histograms_kernel");
  launch_sum_block_partials(partial, blocks, width, d_out, stream);
}

void launch_soft_split_backward(const float* d_x, const float* d_w, const float* d_score,
                                std::size_t n, int n_bins, double lo, double hi,
                                const double* d_dpass, const double* d_dfail, double dq_per_event,
                                float* d_grad, cudaStream_t stream) {
  const std::size_t blocks = std::min<std::size_t>((n + kThreads - 1) / kThreads, 65535u * 16u);
  soft_split_backward_kernel<<<static_cast<unsigned>(std::max<std::size_t>(blocks, 1)), kThreads, 0,
                               stream>>>(d_x, d_w, d_score, n, n_bins, lo, n_bins / (hi - lo),
                                         d_dpass, d_dfail, dq_per_event, d_grad);
  HEPCAT_LAUNCH_CHECK(stream, "soft_split_backward_kernel");
}

}  // namespace hepcat::cuda
