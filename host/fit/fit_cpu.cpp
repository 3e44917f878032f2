#include "host/fit/fit_cpu.hpp"

#include <cstdint>

#include "host/engine/parallel.hpp"

namespace hepcat::cpu {

namespace {

template <int N>
void fit_all(const math::FitProblem<double>& P, const double* edges, std::size_t n_fits,
             const double* histograms, const double* variances,
             const math::FitOutputs<double>& out) {
  // Fits are independent and each is computed by one thread start to end, so the dynamic
  // schedule (fits near a bound or a singular point take longer) keeps results deterministic.
#pragma omp parallel num_threads(max_threads())
  {
    const math::SerialLanes lanes;
    math::FitWorkspace<double, N> w;
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t f = 0; f < static_cast<std::int64_t>(n_fits); ++f)
      math::fit_one<N>(lanes, w, P, edges, histograms, variances, out, static_cast<std::size_t>(f));
  }
}

}  // namespace

void batched_fit(const math::FitProblem<double>& problem, const double* edges, std::size_t n_fits,
                 const double* histograms, const double* variances,
                 const math::FitOutputs<double>& out) {
  switch (math::dual_width(problem.n_free)) {
    case 4:
      return fit_all<4>(problem, edges, n_fits, histograms, variances, out);
    case 8:
      return fit_all<8>(problem, edges, n_fits, histograms, variances, out);
    default:
      return fit_all<16>(problem, edges, n_fits, histograms, variances, out);
  }
}

}  // namespace hepcat::cpu
