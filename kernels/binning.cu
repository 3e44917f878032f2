// Soft-binning kernels: the two passes of the fused training step (ENGINE.md), soft memberships
// and hard-assignment yields. All formulas come from hepcat/math/soft_binning.hpp; the kernels
// only read events, reduce and write.
//
// Reduction scheme: the chunk-deterministic sums of kernels/chunk_sums.cuh. Each warp sums its
// slice of an event chunk into its own table in shared memory; the block writes the chunk's
// partial in double and a second kernel adds the chunks in order. Pass 1 (the per-bin sums) gives
// every thread its own column of a chunk table instead and reduces the table once per chunk; pass
// 2 sums each value over the warp with shuffles and lets lane 0 add it to the warp's table; the
// hard yields scatter events in lane order. Per-event arrays (memberships, their gradients) live
// in registers or local memory, never in global memory.
#include <string>

#include "hepcat/error.hpp"
#include "hepcat/math/significance.hpp"
#include "kernels/binning.hpp"
#include "kernels/chunk_sums.cuh"
#include "kernels/cuda_check.hpp"
#include "kernels/grid.cuh"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ void gather(const math::SoftBinningEvents<float>& ev, int dim,
                                       std::size_t i, float* x) {
  for (int j = 0; j < dim; ++j) x[j] = ev.cols[j][i];
}

// Pass 1 adds w * gamma_k and w^2 * gamma_k of each event into the 2K cells of the event's group
// (2 x groups x K cells in all). Summing every cell over the warp for every 32 events, as pass 2
// does, costs 2 x groups x K shuffle reductions (5 shuffles and adds each) per warp step: for
// K = 16 and 3 groups about 30 instructions per event and cell group, several times the
// arithmetic of the memberships themselves. Instead each thread owns one column of a chunk table
// in shared memory, cell c of column t at c * kChunkThreads + t, and adds the events of its lane
// into it: 2K plain loads and stores per event, none for the other groups, and no atomics.
// Registers cannot hold the table: the group varies from event to event and a register array
// indexed at run time goes to local memory. Columns are consecutive words, so a warp's accesses
// to one cell fall in 32 different banks whatever groups its events belong to. At the end of a
// chunk warp q reduces cells q, q + 4, ...: for each slice in order the lanes' columns are summed
// with shuffles, and the slice sums are added in double, which is the order of chunk_sums. The
// table takes width x 128 x 4 bytes (48 KiB for the GATO step's 96 cells, 4 blocks and 16 warps
// per multiprocessor on an H200); when it exceeds math::kSharedBudgetBytes (more than 320 cells)
// the kernel scatters the events in lane order into per-slice tables instead (soft_bin_sums_
// scatter_kernel), slower but within the same budget as the other passes.
template <int kDim>
__device__ __forceinline__ void event_bin_sums(const math::SoftModel<float>& m,
                                               const math::SoftBinningEvents<float>& ev,
                                               std::size_t i, float* gamma, float& w, int& grp) {
  float x[math::kMaxGmmDim] = {}, work[math::kSoftBinningWork];
  gather(ev, math::model_dim<kDim>(m), i, x);
  math::soft_memberships<kDim>(m, x, gamma, work);
  w = ev.weights[i];
  grp = ev.group[ev.process[i]];
}

template <int kDim>
__global__ void soft_bin_sums_kernel(math::SoftModel<float> m, math::SoftBinningEvents<float> ev,
                                     int n_groups, double* __restrict__ partial) {
  extern __shared__ float table[];
  const int nb = m.n_bins, width = 2 * n_groups * nb;
  const int warp = threadIdx.x / kWarpSize, lane = threadIdx.x & (kWarpSize - 1);
  block_stride(chunk_count(ev.n), [&](std::size_t chunk) {
    for (int c = threadIdx.x; c < width * kChunkThreads; c += blockDim.x) table[c] = 0.f;
    __syncthreads();
    const std::size_t begin = chunk * math::kReductionChunk + warp * kSliceEvents;
    const std::size_t end = begin + kSliceEvents < ev.n ? begin + kSliceEvents : ev.n;
    for (std::size_t i = begin + lane; i < end; i += kWarpSize) {
      float gamma[math::kMaxSoftBins], w;
      int grp;
      event_bin_sums<kDim>(m, ev, i, gamma, w, grp);
      float* sw = table + math::bin_sum_index(grp, 0, 0, nb) * kChunkThreads + threadIdx.x;
      float* sv = table + math::bin_sum_index(grp, 1, 0, nb) * kChunkThreads + threadIdx.x;
      for (int k = 0; k < nb; ++k) {
        const float a = gamma[k] * w;
        sw[k * kChunkThreads] += a;
        sv[k * kChunkThreads] += a * w;
      }
    }
    __syncthreads();
    for (int c = warp; c < width; c += kChunkWarps) {
      double s = 0;
      for (int q = 0; q < kChunkWarps; ++q)
        s += warp_sum(table[c * kChunkThreads + q * kWarpSize + lane]);
      if (lane == 0) partial[chunk * width + c] = s;
    }
    __syncthreads();  // the next chunk zeroes the table
  });
}

template <int kDim>
__global__ void soft_bin_sums_scatter_kernel(math::SoftModel<float> m,
                                             math::SoftBinningEvents<float> ev, int n_groups,
                                             double* __restrict__ partial) {
  extern __shared__ float tables[];
  const int nb = m.n_bins;
  chunk_sums(ev.n, 2 * n_groups * nb, tables, partial,
             [&](float* table, std::size_t begin, std::size_t end) {
               slice_events(begin, end, [&](std::size_t i, bool live) {
                 float gamma[math::kMaxSoftBins] = {}, w = 0.f;
                 int grp = 0;
                 if (live) event_bin_sums<kDim>(m, ev, i, gamma, w, grp);
                 for (int k = 0; k < nb; ++k)
                   warp_ordered_add(table, live ? math::bin_sum_index(grp, 0, k, nb) : -1,
                                    gamma[k] * w, nb, gamma[k] * w * w);
               });
             });
}

template <int kDim>
__global__ void soft_bin_gradient_kernel(math::SoftModel<float> m,
                                         math::SoftBinningEvents<float> ev,
                                         const float* __restrict__ d_sums,
                                         double* __restrict__ partial) {
  extern __shared__ float tables[];
  const int nb = m.n_bins;
  chunk_sums(ev.n, m.gradient_size(), tables, partial,
             [&](float* table, std::size_t begin, std::size_t end) {
               auto* cells = reinterpret_cast<WarpTableCell*>(table);
               slice_events(begin, end, [&](std::size_t i, bool live) {
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
               });
             });
}

__global__ void soft_memberships_kernel(math::SoftModel<float> m, math::SoftBinningEvents<float> ev,
                                        float* __restrict__ out) {
  grid_stride(ev.n, [&](std::size_t i) {
    float x[math::kMaxGmmDim], work[math::kSoftBinningWork];
    gather(ev, m.dim, i, x);
    math::soft_memberships(m, x, out + i * m.n_bins, work);
  });
}

__global__ void hard_bin_sums_kernel(math::SoftModel<float> m, math::SoftBinningEvents<float> ev,
                                     int n_processes, double* __restrict__ partial) {
  extern __shared__ float tables[];
  const int cells = n_processes * m.n_bins;
  chunk_sums(ev.n, 2 * cells, tables, partial,
             [&](float* table, std::size_t begin, std::size_t end) {
               slice_events(begin, end, [&](std::size_t i, bool live) {
                 int c = -1;
                 float w = 0.f;
                 if (live) {
                   float x[math::kMaxGmmDim];
                   gather(ev, m.dim, i, x);
                   c = ev.process[i] * m.n_bins + math::hard_category(m, x);
                   w = ev.weights[i];
                 }
                 warp_ordered_add(table, c, w, cells, w * w);
               });
             });
}

// Pass 1 runs the column kernel while its table fits the shared budget, else the scatter kernel.
bool column_sums(int width) {
  return static_cast<std::size_t>(width) * kChunkThreads * sizeof(float) <=
         math::kSharedBudgetBytes;
}

// Queues a chunk kernel over the events and the chunk-order reduction of its partials.
template <class Kernel, class Launch>
void run_chunk_pass(Kernel kernel, std::size_t n, int width, std::size_t shared, void* d_scratch,
                    double* d_out, cudaStream_t stream, const char* what, Launch launch) {
  allow_shared(reinterpret_cast<const void*>(kernel), shared, what);
  auto* partial = static_cast<double*>(d_scratch);
  if (n > 0) {
    launch(chunk_grid(kernel, n, shared), partial);
    HEPCAT_LAUNCH_CHECK(stream, what);
  }
  launch_sum_chunk_partials(partial, chunk_count(n), width, d_out, stream);
}

}  // namespace

std::size_t soft_binning_scratch_bytes(std::size_t n, int width) {
  return chunk_partials_bytes(n, width);
}

void launch_soft_bin_sums(const math::SoftModel<float>& model,
                          const math::SoftBinningEvents<float>& events, int n_groups,
                          void* d_scratch, double* d_out, cudaStream_t stream) {
  const int width = 2 * n_groups * model.n_bins;
  math::with_model_dim(model, [&](auto dim) {
    constexpr int kDim = decltype(dim)::value;
    const auto launch = [&](auto kernel, std::size_t shared) {
      run_chunk_pass(kernel, events.n, width, shared, d_scratch, d_out, stream,
                     "soft_bin_sums_kernel", [&](int blocks, double* partial) {
                       kernel<<<blocks, kChunkThreads, shared, stream>>>(model, events, n_groups,
                                                                         partial);
                     });
    };
    if (column_sums(width))
      launch(soft_bin_sums_kernel<kDim>,
             static_cast<std::size_t>(width) * kChunkThreads * sizeof(float));
    else
      launch(soft_bin_sums_scatter_kernel<kDim>, slice_tables_bytes(width));
  });
}

void launch_soft_bin_gradient(const math::SoftModel<float>& model,
                              const math::SoftBinningEvents<float>& events, const float* d_dsums,
                              void* d_scratch, double* d_out, cudaStream_t stream) {
  const int width = model.gradient_size();
  const std::size_t shared = slice_tables_bytes(width);
  math::with_model_dim(model, [&](auto dim) {
    const auto kernel = soft_bin_gradient_kernel<decltype(dim)::value>;
    run_chunk_pass(kernel, events.n, width, shared, d_scratch, d_out, stream,
                   "soft_bin_gradient_kernel", [&](int blocks, double* partial) {
                     kernel<<<blocks, kChunkThreads, shared, stream>>>(model, events, d_dsums,
                                                                       partial);
                   });
  });
}

void launch_soft_memberships(const math::SoftModel<float>& model,
                             const math::SoftBinningEvents<float>& events, float* d_out,
                             cudaStream_t stream) {
  const int blocks = grid_blocks_for_items(soft_memberships_kernel, events.n, kThreads);
  soft_memberships_kernel<<<blocks, kThreads, 0, stream>>>(model, events, d_out);
  HEPCAT_LAUNCH_CHECK(stream, "soft_memberships_kernel");
}

void launch_hard_bin_sums(const math::SoftModel<float>& model,
                          const math::SoftBinningEvents<float>& events, int n_processes,
                          void* d_scratch, double* d_out, cudaStream_t stream) {
  const int width = 2 * n_processes * model.n_bins;
  const std::size_t shared = slice_tables_bytes(width);
  run_chunk_pass(hard_bin_sums_kernel, events.n, width, shared, d_scratch, d_out, stream,
                 "hard_bin_sums_kernel", [&](int blocks, double* partial) {
                   hard_bin_sums_kernel<<<blocks, kChunkThreads, shared, stream>>>(
                       model, events, n_processes, partial);
                 });
}

}  // namespace hepcat::cuda
