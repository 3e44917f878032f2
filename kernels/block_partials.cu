#include <algorithm>

#include "kernels/block_partials.hpp"
#include "kernels/cuda_check.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void sum_block_partials_kernel(const float* __restrict__ partial, int n_blocks,
                                          int width, double* __restrict__ out) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= width) return;
  double s = 0;
  for (int b = 0; b < n_blocks; ++b) s += partial[static_cast<std::size_t>(b) * width + c];
  out[c] = s;
}

}  // namespace

int grid_stride_blocks(int multiprocessors, std::size_t n, int threads, int blocks_per_sm) {
  const std::size_t needed = (n + threads - 1) / threads;
  const std::size_t fill = static_cast<std::size_t>(std::max(multiprocessors, 1)) * blocks_per_sm;
  return static_cast<int>(std::max<std::size_t>(1, std::min(needed, fill)));
}

void launch_sum_block_partials(const float* d_partial, int n_blocks, int width, double* d_out,
                               cudaStream_t stream) {
  sum_block_partials_kernel<<<(width + kThreads - 1) / kThreads, kThreads, 0, stream>>>(
      d_partial, n_blocks, width, d_out);
  HEPCAT_LAUNCH_CHECK(stream, "sum_block_partials_kernel");
}

}  // namespace hepcat::cuda
