// Weighted per-process histogram of one feature: the memory-bound floor of every objective.
#include "hepcat/math/ops.hpp"
#include "kernels/chunk_sums.cuh"
#include "kernels/cuda_check.hpp"
#include "kernels/ops.hpp"

namespace hepcat::cuda {
namespace {

// Table [sum_w cells | sum_w2 cells] per slice; events scattered into it in lane order.
__global__ void weighted_bin_sums_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                         const std::int32_t* __restrict__ process, std::size_t n,
                                         int n_bins, int cells, float lo, float inv_width,
                                         double* __restrict__ partial) {
  extern __shared__ float tables[];
  chunk_sums(n, 2 * cells, tables, partial, [&](float* table, std::size_t begin, std::size_t end) {
    slice_events(begin, end, [&](std::size_t i, bool live) {
      const int c =
          live ? process[i] * n_bins + math::uniform_bin(x[i], lo, inv_width, n_bins) : -1;
      const float wi = live ? w[i] : 0.f;
      warp_ordered_add(table, c, wi, cells, wi * wi);
    });
  });
}

}  // namespace

std::size_t weighted_bin_sums_scratch_bytes(std::size_t n, int n_processes, int n_bins) {
  return chunk_partials_bytes(n, 2 * n_processes * n_bins);
}

void launch_weighted_bin_sums(const float* d_x, const float* d_w, const std::int32_t* d_process,
                              std::size_t n, int n_processes, int n_bins, float lo, float hi,
                              void* d_scratch, double* d_out, cudaStream_t stream) {
  const int cells = n_processes * n_bins;
  const std::size_t shared = slice_tables_bytes(2 * cells);
  allow_shared(reinterpret_cast<const void*>(weighted_bin_sums_kernel), shared,
               "weighted_bin_sums");
  auto* partial = static_cast<double*>(d_scratch);
  if (n > 0) {
    const int blocks = chunk_grid(weighted_bin_sums_kernel, n, shared);
    weighted_bin_sums_kernel<<<blocks, kChunkThreads, shared, stream>>>(
        d_x, d_w, d_process, n, n_bins, cells, lo, static_cast<float>(n_bins) / (hi - lo), partial);
    HEPCAT_LAUNCH_CHECK(stream, "weighted_bin_sums_kernel");
  }
  launch_sum_chunk_partials(partial, chunk_count(n), 2 * cells, d_out, stream);
}

}  // namespace hepcat::cuda
