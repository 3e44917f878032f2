// Batched binned fits: one thread per fit, the whole Levenberg-Marquardt loop in one launch.
// With at most 16 parameters the normal equations fit in registers and local memory, and fits
// converge in a handful of iterations, so a thread per fit keeps every SM busy at 1e4+ fits
// without any host round trip (SCIENCE.md section 4).
#include "hepcat/error.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/fit.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 128;

template <int N>
__global__ void batched_fit_kernel(const math::FitProblem<double> problem,
                                   const double* __restrict__ edges, std::size_t n_fits,
                                   const double* __restrict__ histograms,
                                   const double* __restrict__ variances,
                                   double* __restrict__ params, double* __restrict__ errors,
                                   double* __restrict__ objective, int* __restrict__ state,
                                   int* __restrict__ iterations) {
  const std::size_t nb = static_cast<std::size_t>(problem.n_bins), np = problem.n_params;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n_fits;
       i += stride) {
    const math::FitOutcome<double> r = math::run_fit<N>(problem, edges, histograms + i * nb,
                                                        variances ? variances + i * nb : nullptr,
                                                        params + i * np, errors + i * np);
    objective[i] = r.objective;
    state[i] = static_cast<int>(r.state);
    iterations[i] = r.iterations;
  }
}

template <int N>
void launch(const math::FitProblem<double>& problem, const double* d_edges, std::size_t n_fits,
            const double* d_histograms, const double* d_variances, double* d_params,
            double* d_errors, double* d_objective, int* d_state, int* d_iterations,
            cudaStream_t stream) {
  const std::size_t blocks = (n_fits + kThreads - 1) / kThreads;
  batched_fit_kernel<N>
      <<<static_cast<unsigned>(blocks < 65535 * 16 ? blocks : 65535 * 16), kThreads, 0, stream>>>(
          problem, d_edges, n_fits, d_histograms, d_variances, d_params, d_errors, d_objective,
          d_state, d_iterations);
  HEPCAT_LAUNCH_CHECK(stream, "batched_fit_kernel");
}

}  // namespace

void launch_batched_fit(const math::FitProblem<double>& problem, const double* d_edges,
                        std::size_t n_fits, const double* d_histograms, const double* d_variances,
                        double* d_params, double* d_errors, double* d_objective, int* d_state,
                        int* d_iterations, cudaStream_t stream) {
  if (n_fits == 0) return;
  switch (math::dual_width(problem.n_free)) {
    case 4:
      return launch<4>(problem, d_edges, n_fits, d_histograms, d_variances, d_params, d_errors,
                       d_objective, d_state, d_iterations, stream);
    case 8:
      return launch<8>(problem, d_edges, n_fits, d_histograms, d_variances, d_params, d_errors,
                       d_objective, d_state, d_iterations, stream);
    default:
      return launch<16>(problem, d_edges, n_fits, d_histograms, d_variances, d_params, d_errors,
                        d_objective, d_state, d_iterations, stream);
  }
}

}  // namespace hepcat::cuda
