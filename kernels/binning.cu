// Soft-binning kernels: the two passes of the fused training step (ENGINE.md), soft memberships
// and hard-assignment yields. All formulas come from hepcat/math/soft_binning.hpp; the kernels
// only read events, reduce and write.
//
// Reduction scheme: each block accumulates in shared memory and writes its float partials; a
// second kernel adds the partials of all blocks in double. Pass 1 (the per-bin sums) gives every
// thread its own column of the block's table and reduces the table once, at the end; the other
// passes sum each value over the warp with shuffles and let one lane add it to the block's
// accumulator. Per-event arrays (memberships, their gradients) live in registers or local
// memory, never in global memory.
#include <algorithm>
#include <string>

#include "hepcat/error.hpp"
#include "hepcat/math/significance.hpp"
#include "kernels/binning.hpp"
#include "kernels/block_partials.hpp"
#include "kernels/cuda_check.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kBlocksPerSm = 4;
constexpr unsigned kFullMask = 0xffffffffu;
constexpr std::size_t kMaxSharedBytes = 48 * 1024;

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(kFullMask, v, offset);
  return v;
}

// An accumulator cell in shared memory: `cell += value` sums value over the warp and lets lane
// 0 add it, so the math's backward passes (which accumulate with +=) run unchanged. Every lane
// of the warp must reach each += together, which holds because the per-event loops depend only
// on the model's shape.
struct WarpSharedCell {
  float v;
  __host__ __device__ WarpSharedCell(float x) : v(x) {}
  __host__ __device__ void operator+=(const WarpSharedCell& x) {
#ifdef __CUDA_ARCH__
    const float s = warp_sum(x.v);
    if ((threadIdx.x & 31) == 0) atomicAdd(&v, s);
#else
    v += x.v;
#endif
  }
};

__device__ __forceinline__ void gather(const math::SoftBinningEvents<float>& ev, int dim,
                                       std::size_t i, float* x) {
  for (int j = 0; j < dim; ++j) x[j] = ev.cols[j][i];
}

// Start and stride of a grid-stride loop padded to whole warps.
__device__ __forceinline__ std::size_t padded_end(std::size_t n) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  return (n + stride - 1) / stride * stride;
}

__device__ void zero_shared(float* acc, int width) {
  for (int c = threadIdx.x; c < width; c += blockDim.x) acc[c] = 0.f;
  __syncthreads();
}

__device__ void write_partials(const float* acc, int width, float* __restrict__ partial) {
  __syncthreads();
  float* out = partial + static_cast<std::size_t>(blockIdx.x) * width;
  for (int c = threadIdx.x; c < width; c += blockDim.x) out[c] = acc[c];
}

// Pass 1 adds w * gamma_k and w^2 * gamma_k of each event into the 2K cells of the event's group
// (2 x groups x K cells in all). Summing every cell over the warp for every 32 events, as the
// other passes do, costs 2 x groups x K shuffle reductions (5 shuffles and adds each) and as
// many shared atomics per warp iteration: for K = 16 and 3 groups about 30 instructions per
// event and cell group, several times the arithmetic of the memberships themselves. Instead each
// thread owns one column of a shared-memory table, cell c of column j at c * columns + j, and
// adds its events into it across the whole grid-stride loop: 2K plain loads and stores per
// event, none for the other groups, and no atomics. Registers cannot hold the table: the group
// varies from event to event and a register array indexed at run time goes to local memory, and
// 96 cells per thread would spill anyway. Columns are consecutive words, so a warp's accesses
// to one cell fall in 32 different banks whatever groups its events belong to. The block then
// reduces each cell once, one warp per cell (lanes over columns, then shuffles). The table takes
// width x columns x 4 bytes, which sets the block size (sums_layout); when even 32 columns do
// not fit, threads share columns and add with shared atomics. The order of every addition is
// fixed, so the sums no longer depend on how warps were scheduled. The price is occupancy: for
// the GATO step (K = 16, 3 groups, 96 cells) a block is 128 threads with a 48 KB table, 4 blocks
// and 16 warps per multiprocessor, and the table leaves about 60 KB of L1 for the per-event
// arrays in local memory. scripts/device-check's ncu stage reports both for this kernel.
template <int kDim>
__global__ void soft_bin_sums_kernel(math::SoftModel<float> m, math::SoftBinningEvents<float> ev,
                                     int n_groups, int columns, float* __restrict__ partial) {
  extern __shared__ float table[];
  const int nb = m.n_bins, width = 2 * n_groups * nb;
  for (int c = threadIdx.x; c < width * columns; c += blockDim.x) table[c] = 0.f;
  __syncthreads();
  const int column = threadIdx.x % columns;
  const bool shared_columns = columns < static_cast<int>(blockDim.x);
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < ev.n;
       i += stride) {
    float x[math::kMaxGmmDim] = {}, gamma[math::kMaxSoftBins], work[math::kSoftBinningWork];
    gather(ev, math::model_dim<kDim>(m), i, x);
    math::soft_memberships<kDim>(m, x, gamma, work);
    const float w = ev.weights[i];
    const int grp = ev.group[ev.process[i]];
    float* sw = table + math::bin_sum_index(grp, 0, 0, nb) * columns + column;
    float* sv = table + math::bin_sum_index(grp, 1, 0, nb) * columns + column;
    for (int k = 0; k < nb; ++k) {
      const float a = gamma[k] * w;
      if (shared_columns) {
        atomicAdd(sw + k * columns, a);
        atomicAdd(sv + k * columns, a * w);
      } else {
        sw[k * columns] += a;
        sv[k * columns] += a * w;
      }
    }
  }
  __syncthreads();
  const int lane = threadIdx.x & 31, warps = blockDim.x >> 5;
  float* out = partial + static_cast<std::size_t>(blockIdx.x) * width;
  for (int c = threadIdx.x >> 5; c < width; c += warps) {
    float v = 0.f;
    for (int j = lane; j < columns; j += 32) v += table[c * columns + j];
    v = warp_sum(v);
    if (lane == 0) out[c] = v;
  }
}

template <int kDim>
__global__ void soft_bin_gradient_kernel(math::SoftModel<float> m,
                                         math::SoftBinningEvents<float> ev,
                                         const float* __restrict__ d_sums,
                                         float* __restrict__ partial) {
  extern __shared__ float acc[];
  const int nb = m.n_bins, width = m.gradient_size();
  zero_shared(acc, width);
  auto* cells = reinterpret_cast<WarpSharedCell*>(acc);
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  const std::size_t end = padded_end(ev.n);
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < end;
       i += stride) {
    const bool live = i < ev.n;
    float x[math::kMaxGmmDim] = {}, gamma[math::kMaxSoftBins], g[math::kMaxSoftBins],
          work[math::kSoftBinningWork];
    if (live) gather(ev, math::model_dim<kDim>(m), i, x);
    math::soft_memberships<kDim>(m, x, gamma, work);
    const float w = live ? ev.weights[i] : 0.f;
    const int grp = live ? ev.group[ev.process[i]] : 0;
    const float* dsw = d_sums + math::bin_sum_index(grp, 0, 0, nb);
    const float* dsv = d_sums + math::bin_sum_index(grp, 1, 0, nb);
    for (int k = 0; k < nb; ++k) g[k] = w * dsw[k] + w * w * dsv[k];
    math::soft_memberships_backward<kDim>(m, x, gamma, g, work, cells);
  }
  write_partials(acc, width, partial);
}

__global__ void soft_memberships_kernel(math::SoftModel<float> m, math::SoftBinningEvents<float> ev,
                                        float* __restrict__ out) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < ev.n;
       i += stride) {
    float x[math::kMaxGmmDim], work[math::kSoftBinningWork];
    gather(ev, m.dim, i, x);
    math::soft_memberships(m, x, out + i * m.n_bins, work);
  }
}

__global__ void hard_bin_sums_kernel(math::SoftModel<float> m, math::SoftBinningEvents<float> ev,
                                     int n_processes, float* __restrict__ partial) {
  extern __shared__ float acc[];
  const int cells = n_processes * m.n_bins;
  zero_shared(acc, 2 * cells);
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < ev.n;
       i += stride) {
    float x[math::kMaxGmmDim];
    gather(ev, m.dim, i, x);
    const int c = ev.process[i] * m.n_bins + math::hard_category(m, x);
    const float w = ev.weights[i];
    atomicAdd(&acc[c], w);
    atomicAdd(&acc[cells + c], w * w);
  }
  write_partials(acc, 2 * cells, partial);
}

// Threads per block and table columns of pass 1 for `width` cells: as many columns as fit in a
// block's default shared memory, one per thread (at most kThreads, a whole number of warps);
// when fewer than 32 fit, kThreads threads over a power-of-two number of columns.
struct SumsLayout {
  int threads, columns;
};
SumsLayout sums_layout(int width) {
  const std::size_t fit = kMaxSharedBytes / (static_cast<std::size_t>(width) * sizeof(float));
  if (fit == 0)
    throw Error("soft bin sums: " + std::to_string(width) +
                " accumulators exceed the shared memory of one block");
  if (fit >= 32) {
    const int threads = static_cast<int>(std::min<std::size_t>(kThreads, fit / 32 * 32));
    return {threads, threads};
  }
  int columns = 1;
  while (static_cast<std::size_t>(columns) * 2 <= fit) columns *= 2;
  return {kThreads, columns};
}

std::size_t shared_bytes(int width, const char* what) {
  const std::size_t bytes = static_cast<std::size_t>(width) * sizeof(float);
  if (bytes > kMaxSharedBytes)
    throw Error(std::string(what) + ": " + std::to_string(width) +
                " accumulators exceed the shared memory of one block");
  return bytes;
}

void reduce_partials(const float* partial, int blocks, int width, double* d_out,
                     cudaStream_t stream) {
  launch_sum_block_partials(partial, blocks, width, d_out, stream);
}

}  // namespace

std::size_t soft_binning_scratch_bytes(int multiprocessors, int width) {
  return static_cast<std::size_t>(multiprocessors) * kBlocksPerSm * width * sizeof(float);
}

void launch_soft_bin_sums(const math::SoftModel<float>& model,
                          const math::SoftBinningEvents<float>& events, int n_groups,
                          int multiprocessors, void* d_scratch, double* d_out,
                          cudaStream_t stream) {
  const int width = 2 * n_groups * model.n_bins;
  const SumsLayout layout = sums_layout(width);
  const std::size_t shared = static_cast<std::size_t>(width) * layout.columns * sizeof(float);
  // At most kBlocksPerSm blocks per multiprocessor (the scratch holds that many partials); with
  // tables near 48 KB, shared memory allows about as many anyway.
  const int blocks = grid_stride_blocks(multiprocessors, events.n, layout.threads, kBlocksPerSm);
  auto* partial = static_cast<float*>(d_scratch);
  math::with_model_dim(model, [&](auto dim) {
    soft_bin_sums_kernel<decltype(dim)::value><<<blocks, layout.threads, shared, stream>>>(
        model, events, n_groups, layout.columns, partial);
    HEPCAT_LAUNCH_CHECK(stream, "soft_bin_sums_kernel");
  });
  reduce_partials(partial, blocks, width, d_out, stream);
}

void launch_soft_bin_gradient(const math::SoftModel<float>& model,
                              const math::SoftBinningEvents<float>& events, const float* d_dsums,
                              int multiprocessors, void* d_scratch, double* d_out,
                              cudaStream_t stream) {
  const int width = model.gradient_size();
  const std::size_t shared = shared_bytes(width, "soft bin gradient");
  const int blocks = grid_stride_blocks(multiprocessors, events.n, kThreads, kBlocksPerSm);
  auto* partial = static_cast<float*>(d_scratch);
  math::with_model_dim(model, [&](auto dim) {
    soft_bin_gradient_kernel<decltype(dim)::value>
        <<<blocks, kThreads, shared, stream>>>(model, events, d_dsums, partial);
    HEPCAT_LAUNCH_CHECK(stream, "soft_bin_gradient_kernel");
  });
  reduce_partials(partial, blocks, width, d_out, stream);
}

void launch_soft_memberships(const math::SoftModel<float>& model,
                             const math::SoftBinningEvents<float>& events, float* d_out,
                             cudaStream_t stream) {
  const int blocks = static_cast<int>(std::min<std::size_t>((events.n + kThreads - 1) / kThreads,
                                                            static_cast<std::size_t>(1) << 20));
  soft_memberships_kernel<<<std::max(blocks, 1), kThreads, 0, stream>>>(model, events, d_out);
  HEPCAT_LAUNCH_CHECK(stream, "soft_memberships_kernel");
}

void launch_hard_bin_sums(const math::SoftModel<float>& model,
                          const math::SoftBinningEvents<float>& events, int n_processes,
                          int multiprocessors, void* d_scratch, double* d_out,
                          cudaStream_t stream) {
  const int width = 2 * n_processes * model.n_bins;
  const std::size_t shared = shared_bytes(width, "hard bin sums");
  const int blocks = grid_stride_blocks(multiprocessors, events.n, kThreads, kBlocksPerSm);
  auto* partial = static_cast<float*>(d_scratch);
  hard_bin_sums_kernel<<<blocks, kThreads, shared, stream>>>(model, events, n_processes, partial);
  HEPCAT_LAUNCH_CHECK(stream, "hard_bin_sums_kernel");
  reduce_partials(partial, blocks, width, d_out, stream);
}

}  // namespace hepcat::cuda
