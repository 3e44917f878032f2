// Batched binned fits: one thread per fit, the whole Levenberg-Marquardt loop in one launch.
// With at most 16 parameters the normal equations fit in registers and local memory, and fits
// converge in a handful of iterations, so a thread per fit keeps every SM busy at 1e4+ fits
// without any host round trip (docs/fits.md).
#include "hepcat/error.hpp"
#include "kernels/batched_fit.hpp"
#include "kernels/cuda_check.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 128;

template <int N>
__global__ void batched_fit_kernel(const math::FitProblem<double> problem,
                                   const double* __restrict__ edges, std::size_t n_fits,
                                   const double* __restrict__ histograms,
                                   const double* __restrict__ variances,
                                   const math::FitOutputs<double> out) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n_fits;
       i += stride)
    math::fit_one<N>(problem, edges, histograms, variances, out, i);
}

template <int N>
void launch(const math::FitProblem<double>& problem, const double* d_edges, std::size_t n_fits,
            const double* d_histograms, const double* d_variances,
            const math::FitOutputs<double>& out, cudaStream_t stream) {
  const std::size_t blocks = (n_fits + kThreads - 1) / kThreads;
  batched_fit_kernel<N>
      <<<static_cast<unsigned>(blocks < 65535 * 16 ? blocks : 65535 * 16), kThreads, 0, stream>>>(
          problem, d_edges, n_fits, d_histograms, d_variances, out);
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
