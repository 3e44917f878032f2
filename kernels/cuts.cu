// The cut scan's fused pass: soft (training) or hard (evaluation) cuts of every target on every
// event, accumulated per (grid cell, target) slot. The math is include/hepcat/math/cuts.hpp.
#include <algorithm>
#include <string>

#include "hepcat/error.hpp"
#include "hepcat/math/cuts.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/cuts.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kLanes = 32;         // one warp per target: lane = event within a tile row
constexpr int kEventsPerLane = 4;  // events each lane handles per tile
constexpr int kTile = kLanes * kEventsPerLane;
constexpr int kBlocksPerSm = 4;

// Sums of one (block, target) before the warp reduction; M is the compile-time feature capacity.
template <int M>
struct Accumulators {
  float eff_s = 0.f, eff_b = 0.f, bce = 0.f;
  float bias_s[M] = {}, bias_b[M] = {}, weight_s[M] = {}, weight_b[M] = {}, bce_bias[M] = {},
        bce_weight[M] = {};
};

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = kLanes / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Block (x, cell, group) handles tiles of its cell; its warp y is target group * blockDim.y + y.
// Each tile's standardised features, weights and labels are staged in shared memory once for all
// of the block's warps; only when one block cannot hold a warp per target (registers) are the
// targets split over several groups, each reading the events again.
template <int M, bool Hard, bool Learned, bool Bce>
__global__ void cut_scan_sums_kernel(const detail::CutPassInput in, float* __restrict__ partial) {
  extern __shared__ float tile[];  // xs[M][kTile], then w[kTile], then signal[kTile]
  float* t_w = tile + M * kTile;
  float* t_sig = t_w + kTile;
  const int m = in.layout.m;
  const int c = blockIdx.y, lane = threadIdx.x;
  const int j = blockIdx.z * blockDim.y + threadIdx.y;
  const bool active = j < in.n_targets;  // idle warps still help stage the tiles
  const int threads = blockDim.x * blockDim.y, tid = threadIdx.y * kLanes + lane;
  const std::size_t slot = static_cast<std::size_t>(c) * in.n_targets + (active ? j : 0);
  float b[M], a[M];
#pragma unroll
  for (int k = 0; k < M; ++k) {
    b[k] = k < m ? in.bias[slot * m + k] : 0.f;
    a[k] = k < m ? in.weight[slot * in.weight_slot_stride + k] : 0.f;
  }
  const std::size_t begin = in.cell_offsets[c], end = in.cell_offsets[c + 1];
  Accumulators<M> acc;
  for (std::size_t t0 = begin + static_cast<std::size_t>(blockIdx.x) * kTile; t0 < end;
       t0 += static_cast<std::size_t>(gridDim.x) * kTile) {
    __syncthreads();  // the previous tile is consumed
    for (int q = tid; q < (m + 2) * kTile; q += threads) {
      const int k = q / kTile, e = q % kTile;
      const std::size_t i = t0 + e;
      const bool in_range = i < end;
      if (k < m)
        tile[k * kTile + e] =
            in_range ? (in.x[static_cast<std::size_t>(k) * in.n + i] - in.mean[k]) * in.inv_sd[k]
                     : 0.f;
      else if (k == m)
        t_w[e] = in_range ? in.w[i] : 0.f;  // padding events weigh nothing
      else
        t_sig[e] = in_range && in.signal[i] ? 1.f : 0.f;
    }
    __syncthreads();
    if (!active) continue;
#pragma unroll
    for (int r = 0; r < kEventsPerLane; ++r) {
      const int e = r * kLanes + lane;
      float s[M];
      float y = 1.f;
      // m is uniform across the block: the branches cost nothing and skip the padding features.
#pragma unroll
      for (int k = 0; k < M; ++k) {
        if (k >= m) break;
        s[k] =
            math::cut_pass<Hard>(math::cut_argument(tile[k * kTile + e], a[k], b[k], in.steepness));
        y *= s[k];
      }
      const float w = t_w[e];
      const bool sig = t_sig[e] != 0.f;
      const float ys = sig ? w * y : 0.f, yb = sig ? 0.f : w * y;
      acc.eff_s += ys;
      acc.eff_b += yb;
      if constexpr (!Hard) {
        float g = 0.f;
        if constexpr (Bce) {
          acc.bce += w * math::bce(y, sig);
          g = w * math::bce_score_coefficient(y, sig);
        }
#pragma unroll
        for (int k = 0; k < M; ++k) {
          if (k >= m) break;
          const math::CutFeatureTerms<float> f =
              math::cut_feature_terms(ys, yb, g, s[k], tile[k * kTile + e]);
          acc.bias_s[k] += f.signal_bias;
          acc.bias_b[k] += f.background_bias;
          if constexpr (Learned) {
            acc.weight_s[k] += f.signal_weight;
            acc.weight_b[k] += f.background_weight;
          }
          if constexpr (Bce) {
            acc.bce_bias[k] += f.bce_bias;
            if constexpr (Learned) acc.bce_weight[k] += f.bce_weight;
          }
        }
      }
    }
  }
  if (!active) return;
  const math::CutSumLayout& L = in.layout;
  const int width = L.width();
  float* out =
      partial + ((static_cast<std::size_t>(c) * gridDim.x + blockIdx.x) * in.n_targets + j) * width;
  const auto put = [&](int index, float v) {
    v = warp_sum(v);
    if (lane == 0) out[index] = v;
  };
  put(0, acc.eff_s);
  put(1, acc.eff_b);
  if constexpr (!Hard) {
#pragma unroll
    for (int k = 0; k < M; ++k) {
      if (k >= m) break;
      put(L.signal_bias() + k, acc.bias_s[k]);
      put(L.background_bias() + k, acc.bias_b[k]);
      if constexpr (Learned) {
        put(L.signal_weight() + k, acc.weight_s[k]);
        put(L.background_weight() + k, acc.weight_b[k]);
      }
      if constexpr (Bce) {
        put(L.bce_bias() + k, acc.bce_bias[k]);
        if constexpr (Learned) put(L.bce_weight() + k, acc.bce_weight[k]);
      }
    }
    if constexpr (Bce) put(L.bce(), acc.bce);
  } else {
    for (int q = 2 + lane; q < width; q += kLanes) out[q] = 0.f;
  }
}

// out[(c * n_targets + j) * width + q] = sum over the blocks of cell c, in double.
__global__ void cut_scan_reduce_kernel(const float* __restrict__ partial, int n_cells, int blocks_x,
                                       int n_targets, int width, double* __restrict__ out) {
  const std::size_t total = static_cast<std::size_t>(n_cells) * n_targets * width;
  for (std::size_t o = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < total;
       o += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t per_cell = static_cast<std::size_t>(n_targets) * width;
    const std::size_t c = o / per_cell, rest = o % per_cell;
    double s = 0;
    for (int bx = 0; bx < blocks_x; ++bx) s += partial[(c * blocks_x + bx) * per_cell + rest];
    out[o] = s;
  }
}

int blocks_per_cell(const detail::CutPassInput& in, int multiprocessors) {
  const std::size_t per_cell = (in.n + static_cast<std::size_t>(in.n_cells) - 1) / in.n_cells;
  const std::size_t wanted = (per_cell + kTile - 1) / kTile;
  const std::size_t cap =
      std::max<std::size_t>(1, static_cast<std::size_t>(multiprocessors) * kBlocksPerSm /
                                   static_cast<std::size_t>(in.n_cells));
  return static_cast<int>(std::max<std::size_t>(1, std::min(wanted, cap)));
}

template <int M, bool Hard, bool Learned, bool Bce>
void launch_typed(const detail::CutPassInput& in, int blocks_x, float* partial,
                  cudaStream_t stream) {
  // As many target warps per block as this instance's register use allows (queried once).
  static const int max_warps = [] {
    cudaFuncAttributes attr;
    HEPCAT_CUDA_CHECK(cudaFuncGetAttributes(&attr, cut_scan_sums_kernel<M, Hard, Learned, Bce>));
    return std::max(1, attr.maxThreadsPerBlock / kLanes);
  }();
  const int per_block = std::min(in.n_targets, max_warps);
  const int groups = (in.n_targets + per_block - 1) / per_block;
  const dim3 grid(blocks_x, in.n_cells, groups), block(kLanes, per_block);
  const std::size_t shared = (static_cast<std::size_t>(M) + 2) * kTile * sizeof(float);
  cut_scan_sums_kernel<M, Hard, Learned, Bce><<<grid, block, shared, stream>>>(in, partial);
  HEPCAT_LAUNCH_CHECK(stream, "cut_scan_sums_kernel");
}

template <int M>
void launch_for_capacity(const detail::CutPassInput& in, bool hard, int blocks_x, float* partial,
                         cudaStream_t stream) {
  const bool learned = in.layout.learned, bce = in.layout.with_bce;
  if (hard)
    launch_typed<M, true, false, false>(in, blocks_x, partial, stream);
  else if (learned && bce)
    launch_typed<M, false, true, true>(in, blocks_x, partial, stream);
  else if (learned)
    launch_typed<M, false, true, false>(in, blocks_x, partial, stream);
  else if (bce)
    launch_typed<M, false, false, true>(in, blocks_x, partial, stream);
  else
    launch_typed<M, false, false, false>(in, blocks_x, partial, stream);
}

}  // namespace

std::size_t cut_scan_scratch_bytes(const detail::CutPassInput& in, int multiprocessors) {
  return static_cast<std::size_t>(in.n_cells) * blocks_per_cell(in, multiprocessors) *
         in.n_targets * in.layout.width() * sizeof(float);
}

void launch_cut_scan_sums(const detail::CutPassInput& in, bool hard, int multiprocessors,
                          void* d_scratch, double* d_out, cudaStream_t stream) {
  const int m = in.layout.m;  // at most math::kMaxCutFeatures (CutScanConfig::validate)
  const int blocks_x = blocks_per_cell(in, multiprocessors);
  auto* partial = static_cast<float*>(d_scratch);
  if (m <= 4)
    launch_for_capacity<4>(in, hard, blocks_x, partial, stream);
  else if (m <= 8)
    launch_for_capacity<8>(in, hard, blocks_x, partial, stream);
  else if (m <= 12)
    launch_for_capacity<12>(in, hard, blocks_x, partial, stream);
  else if (m <= 16)
    launch_for_capacity<16>(in, hard, blocks_x, partial, stream);
  else
    launch_for_capacity<math::kMaxCutFeatures>(in, hard, blocks_x, partial, stream);
  const std::size_t total = static_cast<std::size_t>(in.n_cells) * in.n_targets * in.layout.width();
  const int threads = 256;
  const int blocks = static_cast<int>(std::min<std::size_t>((total + threads - 1) / threads, 1024));
  cut_scan_reduce_kernel<<<blocks, threads, 0, stream>>>(partial, in.n_cells, blocks_x,
                                                         in.n_targets, in.layout.width(), d_out);
  HEPCAT_LAUNCH_CHECK(stream, "cut_scan_reduce_kernel");
}

}  // namespace hepcat::cuda
