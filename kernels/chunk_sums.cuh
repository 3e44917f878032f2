// Chunk-deterministic sums over events on the device: the CUDA side of the one deterministic
// reduction (host/engine/reduce.hpp is the CPU side). Internal to the library.
//
// Events are cut into the same fixed chunks of math::kReductionChunk events as on the CPU. A block
// of kChunkThreads threads sums one chunk at a time (grid-stride over chunks): the chunk is cut
// into kChunkSlices slices of consecutive events, warp w sums slice w in lane-major event order
// into its own float table in shared memory (no atomics: each table has one writer at a time, and
// values that several lanes add to one cell go through a fixed shuffle tree or in lane order),
// and the block writes the chunk's partial, the slices' tables added in slice order in double.
// A second kernel adds the chunk partials in chunk order in double, as the CPU does.
//
// Guarantee: every addition happens in an order fixed by the event count and the constants
// above, so the bytes of every sum are independent of the grid size, the scheduling of blocks
// and warps, the number of multiprocessors and the shared memory of the device. Across GPU
// architectures they are the same as far as the compiler emits the same per-event arithmetic for
// each (FMA contraction is its choice per target), which is not guaranteed. They are not the
// CPU's bytes:
// within a chunk the CPU adds events one by one in double, while a warp adds 32 events at a time
// in float; matching that order would make each chunk one sequential chain (about 15 times
// slower for the histograms) and is not done. CPU and GPU agree to float rounding.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "hepcat/math/limits.hpp"
#include "kernels/grid.cuh"

namespace hepcat::cuda {

constexpr int kWarpSize = 32;
constexpr int kChunkWarps = math::kChunkSlices;
constexpr int kChunkThreads = kWarpSize * kChunkWarps;
constexpr std::size_t kSliceEvents = math::kReductionChunk / kChunkWarps;
static_assert(kSliceEvents % kWarpSize == 0, "a slice is a whole number of warp steps");

using math::chunk_count;

/// Scratch for the chunk partials of a pass over n events with `width` sums.
std::size_t chunk_partials_bytes(std::size_t n, int width);

/// d_out[c] = sum over chunks k in order of d_partial[k * width + c], in double.
void launch_sum_chunk_partials(const double* d_partial, std::size_t n_chunks, int width,
                               double* d_out, cudaStream_t stream);

/// Lets `kernel` use `bytes` of dynamic shared memory: past the default 48 KiB it opts in, after
/// checking the device's opt-in maximum (cudaDevAttrMaxSharedMemoryPerBlockOptin); throws
/// hepcat::Error naming `what` when the device allows less.
void allow_shared(const void* kernel, std::size_t bytes, const char* what);

/// Bytes of the per-slice float tables of a pass with `width` sums.
inline std::size_t slice_tables_bytes(int width) {
  return static_cast<std::size_t>(width) * kChunkWarps * sizeof(float);
}

/// Grid of a chunk kernel over n events (the policy of grid.cuh, one block per chunk at most).
template <class Kernel>
int chunk_grid(Kernel kernel, std::size_t n, std::size_t shared) {
  return grid_blocks(kernel, chunk_count(n), kChunkThreads, shared);
}

#ifdef __CUDACC__
__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = kWarpSize / 2; offset > 0; offset >>= 1)
    v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

/// A cell of a warp's own table: `cell += value` sums value over the warp (fixed shuffle tree)
/// and lane 0 adds it, so code that accumulates with += runs unchanged. Every lane of the warp
/// must reach each += together.
struct WarpTableCell {
  float v;
  __host__ __device__ WarpTableCell(float x) : v(x) {}
  __host__ __device__ void operator+=(const WarpTableCell& x) {
#ifdef __CUDA_ARCH__
    const float s = warp_sum(x.v);
    if ((threadIdx.x & (kWarpSize - 1)) == 0) v += s;
#else
    v += x.v;
#endif
  }
};

/// Lane-ordered scatter into a warp's own table: for each lane l in order, table[cell_l] += a_l
/// and table[cell_l + offset] += b_l (nothing for a negative cell). Every lane must call it.
__device__ __forceinline__ void warp_ordered_add(float* table, int cell, float a, int offset,
                                                 float b) {
  const bool writer = (threadIdx.x & (kWarpSize - 1)) == 0;
  for (int l = 0; l < kWarpSize; ++l) {
    const int c = __shfl_sync(0xffffffffu, cell, l);
    const float al = __shfl_sync(0xffffffffu, a, l);
    const float bl = __shfl_sync(0xffffffffu, b, l);
    if (writer && c >= 0) {
      table[c] += al;
      table[c + offset] += bl;
    }
  }
}

/// Calls body(i, live) for the events of slice [begin, end) in steps of one warp: lane l takes
/// begin + l, begin + 32 + l, ...; every lane runs every step (live is false past the end).
template <class Body>
__device__ __forceinline__ void slice_events(std::size_t begin, std::size_t end, Body body) {
  const int lane = threadIdx.x & (kWarpSize - 1);
  for (std::size_t i0 = begin; i0 < end; i0 += kWarpSize) body(i0 + lane, i0 + lane < end);
}

/// The chunk loop of a kernel launched with kChunkThreads threads and slice_tables_bytes(width)
/// of dynamic shared memory at `tables`: for each chunk of this block, zeroes the tables, calls
/// slice(table, begin, end) in every warp with a non-empty slice (its own table of `width`
/// floats), then writes partial[chunk * width + c] = the slices' tables added in slice order.
template <class Slice>
__device__ void chunk_sums(std::size_t n, int width, float* tables, double* __restrict__ partial,
                           Slice slice) {
  const int warp = threadIdx.x / kWarpSize;
  for (std::size_t chunk = blockIdx.x; chunk < chunk_count(n); chunk += gridDim.x) {
    for (int c = threadIdx.x; c < width * kChunkWarps; c += blockDim.x) tables[c] = 0.f;
    __syncthreads();
    const std::size_t begin = chunk * math::kReductionChunk + warp * kSliceEvents;
    if (begin < n)
      slice(tables + warp * width, begin, begin + kSliceEvents < n ? begin + kSliceEvents : n);
    __syncthreads();
    double* out = partial + chunk * width;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
      double s = 0;
      for (int w = 0; w < kChunkWarps; ++w) s += tables[w * width + c];
      out[c] = s;
    }
    __syncthreads();  // the next chunk zeroes the tables
  }
}
#endif

}  // namespace hepcat::cuda
