// CPU twin of kernels/fit.cu: an OpenMP loop over fits, each running math::fit_one.
#pragma once

#include <cstddef>

#include "hepcat/math/lm.hpp"

namespace hepcat::cpu {

/// Fits n_fits histograms (n_fits x n_bins); arguments as cuda::launch_batched_fit.
void batched_fit(const math::FitProblem<double>& problem, const double* edges, std::size_t n_fits,
                 const double* histograms, const double* variances,
                 const math::FitOutputs<double>& out);

}  // namespace hepcat::cpu
