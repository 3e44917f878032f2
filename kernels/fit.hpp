// Launcher of the batched fit kernel. Pointers are device pointers; work is queued on `stream`.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "hepcat/math/lm.hpp"

namespace hepcat::cuda {

/// A tile of lanes per fit runs the whole Levenberg-Marquardt loop (math::fit_one): no flag or
/// state crosses to the host between iterations. out.params holds initial values on entry and
/// the fitted ones on exit (n_fits x n_params); d_variances may be null.
void launch_batched_fit(const math::FitProblem<double>& problem, const double* d_edges,
                        std::size_t n_fits, const double* d_histograms, const double* d_variances,
                        const math::FitOutputs<double>& out, cudaStream_t stream);

}  // namespace hepcat::cuda
