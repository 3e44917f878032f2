// Soft-binning kernels: the two passes of the fused training step (ENGINE.md), soft memberships
// and hard-assignment yields. All formulas come from hepcat/math/soft_binning.hpp; the kernels
// only read events, reduce and write.
//
// Reduction scheme: every warp walks the events in lock step (lanes past the end contribute
// zero), each accumulated value is summed over the warp with shuffles and added by one lane to
// the block's shared-memory accumulator, and each block writes its float partials; a second
// kernel adds the partials of all blocks in double. Per-event arrays (memberships, their
// gradients) live in registers or local memory, never in global memory.
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
  for (int j = 0; j < dim; ++j) x[j] = ev.features[static_cast<std::size_t>(ev.cols[j]) * ev.n + i];
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

template <int kDim>
__global__ void soft_bin_sums_kernel(math::SoftModel<float> m, math::SoftBinningEvents<float> ev,
                                     int n_groups, float* __restrict__ partial) {
  extern __shared__ float acc[];
  const int nb = m.n_bins, width = 2 * n_groups * nb;
  zero_shared(acc, width);
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  const std::size_t end = padded_end(ev.n);
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < end;
       i += stride) {
    const bool live = i < ev.n;
    float x[math::kMaxGmmDim] = {}, gamma[math::kMaxSoftBins], work[math::kSoftBinningWork];
    if (live) gather(ev, math::model_dim<kDim>(m), i, x);
    math::soft_memberships<kDim>(m, x, gamma, work);
    const float w = live ? ev.weights[i] : 0.f;
    const int grp = live ? ev.group[ev.process[i]] : 0;
    for (int g = 0; g < n_groups; ++g) {
      const float wg = g == grp ? w : 0.f;
      for (int k = 0; k < nb; ++k) {
        const float s = warp_sum(gamma[k] * wg), v = warp_sum(gamma[k] * wg * wg);
        if ((threadIdx.x & 31) == 0) {
          atomicAdd(&acc[math::bin_sum_index(g, 0, k, nb)], s);
          atomicAdd(&acc[math::bin_sum_index(g, 1, k, nb)], v);
        }
      }
    }
  }
  write_partials(acc, width, partial);
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
  const std::size_t shared = shared_bytes(width, "soft bin sums");
  const int blocks = grid_stride_blocks(multiprocessors, events.n, kThreads, kBlocksPerSm);
  auto* partial = static_cast<float*>(d_scratch);
  math::with_model_dim(model, [&](auto dim) {
    soft_bin_sums_kernel<decltype(dim)::value>
        <<<blocks, kThreads, shared, stream>>>(model, events, n_groups, partial);
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
