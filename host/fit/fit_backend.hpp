// The fit's internal entry points: the per-batch problem of a configuration, and the fit of
// arrays already on the backend with every per-fit output of math::FitOutputs.
#pragma once

#include <cstddef>

#include "hepcat/context.hpp"
#include "hepcat/fit.hpp"
#include "hepcat/math/lm.hpp"

namespace hepcat::detail {

/// Validates a configuration and turns it into the per-batch problem the fit loop runs.
math::FitProblem<double> make_fit_problem(const FitConfig& config);

/// fit_histograms_on_backend with every per-fit output of `out` (null optional ones are skipped).
void fit_histograms_on_backend(Context& ctx, const FitConfig& config, std::size_t n_fits,
                               const double* d_histograms, const double* d_variances,
                               const math::FitOutputs<double>& out);

}  // namespace hepcat::detail
