// Weighted per-process histogram of one feature: the memory-bound floor of every objective.
#include <algorithm>

#include "hepcat/error.hpp"
#include "hepcat/math/ops.hpp"
#include "kernels/block_partials.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/ops.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kBlocksPerSm = 8;

// Each block accumulates its share of events in shared memory (float, a few thousand events per
// cell at most), then writes its partial histogram; the reduction over blocks is in double.
__global__ void weighted_bin_sums_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                         const std::int32_t* __restrict__ process, std::size_t n,
                                         int n_bins, int cells, float lo, float inv_width,
                                         float* __restrict__ partial) {
  extern __shared__ float hist[];  // [sum_w cells | sum_w2 cells]
  for (int c = threadIdx.x; c < 2 * cells; c += blockDim.x) hist[c] = 0.f;
  __syncthreads();
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const int c = process[i] * n_bins + math::uniform_bin(x[i], lo, inv_width, n_bins);
    const float wi = w[i];
    atomicAdd(&hist[c], wi);
    atomicAdd(&hist[cells + c], wi * wi);
  }
  __syncthreads();
  float* out = partial + static_cast<std::size_t>(blockIdx.x) * 2 * cells;
  for (int c = threadIdx.x; c < 2 * cells; c += blockDim.x) out[c] = hist[c];
}

}  // namespace

std::size_t weighted_bin_sums_scratch_bytes(int multiprocessors, int n_processes, int n_bins) {
  return static_cast<std::size_t>(multiprocessors) * kBlocksPerSm * 2 * n_processes * n_bins *
         sizeof(float);
}

void launch_weighted_bin_sums(const float* d_x, const float* d_w, const std::int32_t* d_process,
                              std::size_t n, int n_processes, int n_bins, float lo, float hi,
                              int multiprocessors, void* d_scratch, double* d_out,
                              cudaStream_t stream) {
  const int cells = n_processes * n_bins;
  const std::size_t shared = 2 * static_cast<std::size_t>(cells) * sizeof(float);
  if (shared > 48 * 1024)
    throw Error("weighted_bin_sums: " + std::to_string(n_processes) + " processes x " +
                std::to_string(n_bins) + " bins exceed the 6144 cells one block holds");
  const int blocks = grid_stride_blocks(multiprocessors, n, kThreads, kBlocksPerSm);
  auto* partial = static_cast<float*>(d_scratch);
  weighted_bin_sums_kernel<<<blocks, kThreads, shared, stream>>>(
      d_x, d_w, d_process, n, n_bins, cells, lo, static_cast<float>(n_bins) / (hi - lo), partial);
  HEPCAT_LAUNCH_CHECK(stream, "weighted_bin_sums_kernel");
  const int width = 2 * cells;
  launch_sum_block_partials(partial, blocks, width, d_out, stream);
}

}  // namespace hepcat::cuda
