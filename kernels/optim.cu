// One optimiser step over a contiguous parameter buffer: every rule in one element-wise kernel.
#include "kernels/cuda_check.hpp"
#include "kernels/grid.cuh"
#include "kernels/optim.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 256;

// The rule is uniform over the grid, so the switch inside optimizer_update never diverges.
template <class T>
__global__ void optimizer_step_kernel(math::StepScalars<T> s, T* __restrict__ params,
                                      const T* __restrict__ grads, T* __restrict__ slot0,
                                      T* __restrict__ slot1, T* __restrict__ slot2, std::size_t n) {
  grid_stride(
      n, [&](std::size_t i) { math::optimizer_update(s, i, params, grads, slot0, slot1, slot2); });
}

}  // namespace

void launch_optimizer_step(const math::StepScalars<float>& s, float* d_params, const float* d_grads,
                           float* d_slot0, float* d_slot1, float* d_slot2, std::size_t n,
                           cudaStream_t stream) {
  if (n == 0) return;
  const int blocks = grid_blocks_for_items(optimizer_step_kernel<float>, n, kThreads);
  optimizer_step_kernel<float>
      <<<blocks, kThreads, 0, stream>>>(s, d_params, d_grads, d_slot0, d_slot1, d_slot2, n);
  HEPCAT_LAUNCH_CHECK(stream, "optimizer_step_kernel");
}

}  // namespace hepcat::cuda
