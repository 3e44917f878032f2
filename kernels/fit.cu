// Batched binned fits: one thread per fit, the whole Levenberg-Marquardt loop in one launch,
// nothing crossing to the host until the results (docs/fits.md).
//
// Memory per thread, the design question for 4 to 16 free parameters. math::run_fit keeps the
// normal equations of one fit: H, the trial H and the factor (3 N^2 doubles), the gradients and
// steps (~6 N) and the dual-number parameters of one model evaluation (N (N + 1)). For the
// seed's S+B (N = 4: ~90 doubles) that lives in registers and a little local memory, which
// the L1 cache holds, and a thread per fit is the right layout: 1e4+ fits fill every SM and
// each thread streams its own 40-bin histogram once. For N = 16 the same layout needs ~1100
// doubles per thread (and the final exact Hessian, Dual2<16>, ~2500 more once per fit): local
// memory spills to L2/HBM and the kernel becomes bound by its own spills. The layout that keeps
// registers and bandwidth busy there is a group of lanes per fit (a warp for N = 16, 8 lanes
// for N = 8): lanes split the bins, each accumulates its partial J^T W J and gradient in
// registers, a shuffle reduction forms the N x N system in shared memory (2 KiB per fit), and
// the lanes factor it cooperatively (row k by lane k). That is not built yet: this kernel is
// one thread per fit for every N, and the N = 16 path is correct but spills (to be measured
// with ncu on the first GPU run). Unverified on hardware: no GPU was available.
#include "hepcat/error.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/fit.hpp"
#include "kernels/grid.cuh"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 128;

template <int N>
__global__ void batched_fit_kernel(const math::FitProblem<double> problem,
                                   const double* __restrict__ edges, std::size_t n_fits,
                                   const double* __restrict__ histograms,
                                   const double* __restrict__ variances,
                                   const math::FitOutputs<double> out) {
  grid_stride(n_fits, [&](std::size_t i) {
    math::fit_one<N>(problem, edges, histograms, variances, out, i);
  });
}

template <int N>
void launch(const math::FitProblem<double>& problem, const double* d_edges, std::size_t n_fits,
            const double* d_histograms, const double* d_variances,
            const math::FitOutputs<double>& out, cudaStream_t stream) {
  const int blocks = grid_blocks_for_items(batched_fit_kernel<N>, n_fits, kThreads);
  batched_fit_kernel<N>
      <<<blocks, kThreads, 0, stream>>>(problem, d_edges, n_fits, d_histograms, d_variances, out);
  HEPCAT_LAUNCH_CHECK(stream, "batched_fit_kernel");
}

}  // namespace

void launch_batched_fit(const math::FitProblem<double>& problem, const double* d_edges,
                        std::size_t n_fits, const double* d_histograms, const double* d_variances,
                        const math::FitOutputs<double>& out, cudaStream_t stream) {
  if (n_fits == 0) return;
  switch (math::dual_width(problem.n_free)) {
    case 4:
      return launch<4>(problem, d_edges, n_fits, d_histograms, d_variances, out, stream);
    case 8:
      return launch<8>(problem, d_edges, n_fits, d_histograms, d_variances, out, stream);
    default:
      return launch<16>(problem, d_edges, n_fits, d_histograms, d_variances, out, stream);
  }
}

}  // namespace hepcat::cuda
