// The one grid-size policy and the one grid-stride loop of every kernel launch. Internal to the
// library; include it from kernels/*.cu only.
//
// Policy. A grid-stride kernel is correct for any grid, so the grid is sized for throughput: one
// full wave of resident blocks, i.e. the device's multiprocessor count times the blocks of this
// kernel that fit on one multiprocessor at once. The latter is the occupancy calculator's answer
// for the kernel's own registers, block size and shared memory (cudaOccupancy...), so a kernel
// with a large shared table gets fewer blocks and a light element-wise kernel gets up to the
// hardware's 32 (2048 threads) per multiprocessor. More blocks than one wave only add tail waves
// and block start-up; fewer leave multiprocessors idle. The grid is capped by the work (never a
// block without an item) and is at least one block. Sums over events do not depend on the grid:
// they go through fixed event chunks (kernels/chunk_sums.cuh), so this policy may change freely
// (the GPU tests cap the grid with set_grid_limit to check that, tests/gpu/grids.hpp).
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>

#include "kernels/cuda_check.hpp"
#include "kernels/grid_limit.hpp"

namespace hepcat::cuda {

/// Multiprocessors of the current device.
inline int multiprocessor_count() {
  int device = 0, count = 0;
  HEPCAT_CUDA_CHECK(cudaGetDevice(&device));
  HEPCAT_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
  return std::max(count, 1);
}

/// Blocks of `threads` threads for `kernel` over `work_blocks` blocks' worth of work, with
/// `shared` bytes of dynamic shared memory per block: min(work, multiprocessors x resident blocks
/// per multiprocessor), at least 1, and at most grid_limit() when a test set one.
template <class Kernel>
int grid_blocks(Kernel kernel, std::size_t work_blocks, int threads, std::size_t shared = 0) {
  int per_sm = 0;
  HEPCAT_CUDA_CHECK(
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, shared));
  const std::size_t wave = static_cast<std::size_t>(multiprocessor_count()) *
                           static_cast<std::size_t>(std::max(per_sm, 1));
  std::size_t blocks = std::min(work_blocks, wave);
  if (grid_limit() > 0) blocks = std::min<std::size_t>(blocks, grid_limit());
  return static_cast<int>(std::max<std::size_t>(1, blocks));
}

/// grid_blocks for one item per thread over n items.
template <class Kernel>
int grid_blocks_for_items(Kernel kernel, std::size_t n, int threads, std::size_t shared = 0) {
  return grid_blocks(kernel, (n + threads - 1) / threads, threads, shared);
}

#ifdef __CUDACC__
/// Calls body(i) for every i in [0, n) that falls to this thread: i = global thread index + k x
/// (threads in the grid), in increasing k.
template <class Body>
__device__ __forceinline__ void grid_stride(std::size_t n, Body body) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride)
    body(i);
}

/// Calls body(u) for the units u in [0, n) of this block: u = blockIdx.x + k x gridDim.x (one
/// unit, e.g. an event chunk, per block at a time).
template <class Body>
__device__ __forceinline__ void block_stride(std::size_t n, Body body) {
  for (std::size_t u = blockIdx.x; u < n; u += gridDim.x) body(u);
}
#endif

}  // namespace hepcat::cuda
