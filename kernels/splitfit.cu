// Split-N-Fit's differentiable histograms: pass/fail sums over events, and the backward pass
// that gives every event its dL/ds (SCIENCE.md section 4). Both are one read of the events.
#include "hepcat/error.hpp"
#include "hepcat/math/splitfit.hpp"
#include "kernels/chunk_sums.cuh"
#include "kernels/cuda_check.hpp"
#include "kernels/grid.cuh"
#include "kernels/splitfit.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 256;

// Table [pass | fail | sum of (1 - p)] per slice.
__global__ void soft_split_histograms_kernel(const float* __restrict__ x,
                                             const float* __restrict__ w,
                                             const float* __restrict__ score, std::size_t n,
                                             int n_bins, double lo, double inv_width,
                                             double* __restrict__ partial) {
  extern __shared__ float tables[];
  chunk_sums(n, 2 * n_bins + 1, tables, partial,
             [&](float* table, std::size_t begin, std::size_t end) {
               WarpTableCell& fail_sum = reinterpret_cast<WarpTableCell&>(table[2 * n_bins]);
               slice_events(begin, end, [&](std::size_t i, bool live) {
                 const float p = live ? math::sigmoid(score[i]) : 1.f;
                 fail_sum += WarpTableCell(1.f - p);
                 // Binning in double, as on the CPU, so both backends put edge events in the
                 // same bin.
                 const int b = live ? math::fit_range_bin<double>(x[i], lo, inv_width, n_bins) : -1;
                 const float wi = live && w ? w[i] : 1.f;
                 warp_ordered_add(table, b, p * wi, n_bins, (1.f - p) * wi);
               });
             });
}

__global__ void soft_split_backward_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                           const float* __restrict__ score, std::size_t n,
                                           int n_bins, double lo, double inv_width,
                                           const double* __restrict__ dpass,
                                           const double* __restrict__ dfail, double dq_per_event,
                                           float* __restrict__ grad) {
  grid_stride(n, [&](std::size_t i) {
    // Binning in double, as on the CPU, so both backends put edge events in the same bin.
    const int b = math::fit_range_bin<double>(x[i], lo, inv_width, n_bins);
    grad[i] = static_cast<float>(math::splitfit_score_gradient<double>(score[i], w ? w[i] : 1.0, b,
                                                                       dpass, dfail, dq_per_event));
  });
}

}  // namespace

std::size_t soft_split_scratch_bytes(std::size_t n, int n_bins) {
  return chunk_partials_bytes(n, 2 * n_bins + 1);
}

void launch_soft_split_histograms(const float* d_x, const float* d_w, const float* d_score,
                                  std::size_t n, int n_bins, double lo, double hi, void* d_scratch,
                                  double* d_out, cudaStream_t stream) {
  const int width = 2 * n_bins + 1;
  const std::size_t shared = slice_tables_bytes(width);
  allow_shared(reinterpret_cast<const void*>(soft_split_histograms_kernel), shared, "splitfit");
  auto* partial = static_cast<double*>(d_scratch);
  if (n > 0) {
    const int blocks = chunk_grid(soft_split_histograms_kernel, n, shared);
    soft_split_histograms_kernel<<<blocks, kChunkThreads, shared, stream>>>(
        d_x, d_w, d_score, n, n_bins, lo, n_bins / (hi - lo), partial);
    HEPCAT_LAUNCH_CHECK(stream, "soft_split_histograms_kernel");
  }
  launch_sum_chunk_partials(partial, chunk_count(n), width, d_out, stream);
}

void launch_soft_split_backward(const float* d_x, const float* d_w, const float* d_score,
                                std::size_t n, int n_bins, double lo, double hi,
                                const double* d_dpass, const double* d_dfail, double dq_per_event,
                                float* d_grad, cudaStream_t stream) {
  const int blocks = grid_blocks_for_items(soft_split_backward_kernel, n, kThreads);
  soft_split_backward_kernel<<<blocks, kThreads, 0, stream>>>(
      d_x, d_w, d_score, n, n_bins, lo, n_bins / (hi - lo), d_dpass, d_dfail, dq_per_event, d_grad);
  HEPCAT_LAUNCH_CHECK(stream, "soft_split_backward_kernel");
}

}  // namespace hepcat::cuda
