// The cut scan's fused pass: soft (training) or hard (evaluation) cuts of every target on every
// event, accumulated per (grid cell, target) slot. The math is include/hepcat/math/cuts.hpp.
#include <algorithm>
#include <string>

#include "hepcat/error.hpp"
#include "hepcat/math/cuts.hpp"
#include "kernels/chunk_sums.cuh"
#include "kernels/cuda_check.hpp"
#include "kernels/cuts.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kLanes = kWarpSize;  // one warp per target: lane = event within a tile row
constexpr int kEventsPerLane = 4;  // events each lane handles per tile
constexpr int kTile = kLanes * kEventsPerLane;
static_assert(math::kReductionChunk % kTile == 0, "a chunk is a whole number of tiles");

// Sums of one (block, target) before the warp reduction; M is the compile-time feature capacity.
template <int M>
struct Accumulators {
  float eff_s = 0.f, eff_b = 0.f, bce = 0.f;
  float bias_s[M] = {}, bias_b[M] = {}, weight_s[M] = {}, weight_b[M] = {}, bce_bias[M] = {},
        bce_weight[M] = {};
};

// Chunk k of cell c (events [offsets[c] + k x kReductionChunk, ...), as the CPU's segments) has
// the global index chunk_base[c] + k; chunk_base[n_cells] is the number of chunks.
__global__ void cut_chunk_base_kernel(const std::size_t* __restrict__ offsets, int n_cells,
                                      std::size_t* __restrict__ chunk_base) {
  std::size_t base = 0;
  for (int c = 0; c < n_cells; ++c) {
    chunk_base[c] = base;
    base += chunk_count(offsets[c + 1] - offsets[c]);
  }
  chunk_base[n_cells] = base;
}

// Block (x, cell, group) handles chunks x, x + gridDim.x, ... of its cell; its warp y is target
// group * blockDim.y + y. Each tile's standardised features, weights and labels are staged in
// shared memory once for all of the block's warps; only when one block cannot hold a warp per
// target (registers) are the targets split over several groups, each reading the events again.
// Lanes accumulate a chunk's tiles in registers in tile order, a fixed shuffle tree sums the
// lanes, and the chunk's partial is written per (chunk, target): the order of every addition is
// fixed by the events alone (kernels/chunk_sums.cuh).
template <int M, bool Hard, bool Learned, bool Bce>
__global__ void cut_scan_sums_kernel(const detail::CutPassInput in,
                                     const std::size_t* __restrict__ chunk_base,
                                     double* __restrict__ partial) {
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
  const std::size_t cell_begin = in.cell_offsets[c], cell_end = in.cell_offsets[c + 1];
  const std::size_t chunks = chunk_count(cell_end - cell_begin);
  const math::CutSumLayout& layout = in.layout;
  const int width = layout.width();
  for (std::size_t chunk = blockIdx.x; chunk < chunks; chunk += gridDim.x) {
    const std::size_t begin = cell_begin + chunk * math::kReductionChunk;
    const std::size_t end =
        begin + math::kReductionChunk < cell_end ? begin + math::kReductionChunk : cell_end;
    Accumulators<M> acc;
    for (std::size_t t0 = begin; t0 < end; t0 += kTile) {
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
          s[k] = math::cut_pass<Hard>(
              math::cut_argument(tile[k * kTile + e], a[k], b[k], in.steepness));
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
    if (!active) continue;
    double* out = partial + ((chunk_base[c] + chunk) * in.n_targets + j) * width;
    const auto put = [&](int index, float v) {
      v = warp_sum(v);
      if (lane == 0) out[index] = v;
    };
    put(0, acc.eff_s);
    put(1, acc.eff_b);
    if constexpr (!Hard) {
#pragma unroll
      for (int q = 0; q < M; ++q) {
        if (q >= m) break;
        put(layout.signal_bias() + q, acc.bias_s[q]);
        put(layout.background_bias() + q, acc.bias_b[q]);
        if constexpr (Learned) {
          put(layout.signal_weight() + q, acc.weight_s[q]);
          put(layout.background_weight() + q, acc.weight_b[q]);
        }
        if constexpr (Bce) {
          put(layout.bce_bias() + q, acc.bce_bias[q]);
          if constexpr (Learned) put(layout.bce_weight() + q, acc.bce_weight[q]);
        }
      }
      if constexpr (Bce) put(layout.bce(), acc.bce);
    } else {
      for (int q = 2 + lane; q < width; q += kLanes) out[q] = 0.0;
    }
  }
}

// out[(c * n_targets + j) * width + q] = sum over the chunks of cell c in chunk order, in double.
__global__ void cut_scan_reduce_kernel(const double* __restrict__ partial,
                                       const std::size_t* __restrict__ chunk_base, int n_cells,
                                       int n_targets, int width, double* __restrict__ out) {
  const std::size_t per_cell = static_cast<std::size_t>(n_targets) * width;
  grid_stride(static_cast<std::size_t>(n_cells) * per_cell, [&](std::size_t o) {
    const std::size_t c = o / per_cell, rest = o % per_cell;
    double s = 0;
    for (std::size_t k = chunk_base[c]; k < chunk_base[c + 1]; ++k)
      s += partial[k * per_cell + rest];
    out[o] = s;
  });
}

// Chunks of all cells together: at most one more than the events fill per cell.
std::size_t max_chunks(const detail::CutPassInput& in) {
  return chunk_count(in.n) + static_cast<std::size_t>(in.n_cells);
}

template <int M, bool Hard, bool Learned, bool Bce>
void launch_typed(const detail::CutPassInput& in, const std::size_t* chunk_base, double* partial,
                  cudaStream_t stream) {
  using Kernel = decltype(&cut_scan_sums_kernel<M, Hard, Learned, Bce>);
  const Kernel kernel = cut_scan_sums_kernel<M, Hard, Learned, Bce>;
  // As many target warps per block as this instance's register use allows (queried once).
  static const int max_warps = [kernel] {
    cudaFuncAttributes attr;
    HEPCAT_CUDA_CHECK(cudaFuncGetAttributes(&attr, kernel));
    return std::max(1, attr.maxThreadsPerBlock / kLanes);
  }();
  const int per_block = std::min(in.n_targets, max_warps);
  const int groups = (in.n_targets + per_block - 1) / per_block;
  const std::size_t shared = (static_cast<std::size_t>(M) + 2) * kTile * sizeof(float);
  // The grid policy's wave, shared among the cells and target groups.
  const int wave = grid_blocks(kernel, max_chunks(in), kLanes * per_block, shared);
  const int blocks_x = std::max(1, wave / (in.n_cells * groups));
  const dim3 grid(blocks_x, in.n_cells, groups), block(kLanes, per_block);
  kernel<<<grid, block, shared, stream>>>(in, chunk_base, partial);
  HEPCAT_LAUNCH_CHECK(stream, "cut_scan_sums_kernel");
}

template <int M>
void launch_for_capacity(const detail::CutPassInput& in, bool hard, const std::size_t* chunk_base,
                         double* partial, cudaStream_t stream) {
  const bool learned = in.layout.learned, bce = in.layout.with_bce;
  if (hard)
    launch_typed<M, true, false, false>(in, chunk_base, partial, stream);
  else if (learned && bce)
    launch_typed<M, false, true, true>(in, chunk_base, partial, stream);
  else if (learned)
    launch_typed<M, false, true, false>(in, chunk_base, partial, stream);
  else if (bce)
    launch_typed<M, false, false, true>(in, chunk_base, partial, stream);
  else
    launch_typed<M, false, false, false>(in, chunk_base, partial, stream);
}

}  // namespace

std::size_t cut_scan_scratch_bytes(const detail::CutPassInput& in) {
  return (static_cast<std::size_t>(in.n_cells) + 1) * sizeof(std::size_t) +
         max_chunks(in) * in.n_targets * in.layout.width() * sizeof(double);
}

void launch_cut_scan_sums(const detail::CutPassInput& in, bool hard, void* d_scratch, double* d_out,
                          cudaStream_t stream) {
  const int m = in.layout.m;  // at most math::kMaxCutFeatures (CutScanConfig::validate)
  auto* chunk_base = static_cast<std::size_t*>(d_scratch);
  auto* partial = reinterpret_cast<double*>(chunk_base + in.n_cells + 1);
  cut_chunk_base_kernel<<<1, 1, 0, stream>>>(in.cell_offsets, in.n_cells, chunk_base);
  HEPCAT_LAUNCH_CHECK(stream, "cut_chunk_base_kernel");
  if (m <= 4)
    launch_for_capacity<4>(in, hard, chunk_base, partial, stream);
  else if (m <= 8)
    launch_for_capacity<8>(in, hard, chunk_base, partial, stream);
  else if (m <= 12)
    launch_for_capacity<12>(in, hard, chunk_base, partial, stream);
  else if (m <= 16)
    launch_for_capacity<16>(in, hard, chunk_base, partial, stream);
  else
    launch_for_capacity<math::kMaxCutFeatures>(in, hard, chunk_base, partial, stream);
  const std::size_t total = static_cast<std::size_t>(in.n_cells) * in.n_targets * in.layout.width();
  constexpr int kReduceThreads = 256;
  const int blocks = grid_blocks_for_items(cut_scan_reduce_kernel, total, kReduceThreads);
  cut_scan_reduce_kernel<<<blocks, kReduceThreads, 0, stream>>>(
      partial, chunk_base, in.n_cells, in.n_targets, in.layout.width(), d_out);
  HEPCAT_LAUNCH_CHECK(stream, "cut_scan_reduce_kernel");
}

}  // namespace hepcat::cuda
