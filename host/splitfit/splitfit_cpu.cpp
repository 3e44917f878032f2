#include "host/splitfit/splitfit_cpu.hpp"

#include <cstdint>

#include "hepcat/math/splitfit.hpp"
#include "host/engine/reduce.hpp"

namespace hepcat::cpu {

void soft_split_histograms(const float* x, const float* w, const float* score, std::size_t n,
                           int n_bins, double lo, double hi, double* out) {
  const std::size_t width = 2 * static_cast<std::size_t>(n_bins) + 1;
  const double inv_width = n_bins / (hi - lo);
  reduce_events(n, width, out, [&](std::size_t i, double* local) {
    const double p = math::sigmoid<double>(score[i]);
    local[2 * n_bins] += 1 - p;
    const int b = math::fit_range_bin<double>(x[i], lo, inv_width, n_bins);
    if (b < 0) return;
    const double wi = w ? w[i] : 1.0;
    local[b] += p * wi;
    local[n_bins + b] += (1 - p) * wi;
  });
}

void soft_split_backward(const float* x, const float* w, const float* score, std::size_t n,
                         int n_bins, double lo, double hi, const double* dpass, const double* dfail,
                         double dq_per_event, float* grad) {
  const double inv_width = n_bins / (hi - lo);
  for_each_index(n, [&](std::size_t i) {
    const int b = math::fit_range_bin<double>(x[i], lo, inv_width, n_bins);
    grad[i] = static_cast<float>(math::splitfit_score_gradient<double>(score[i], w ? w[i] : 1.0, b,
                                                                       dpass, dfail, dq_per_event));
  });
}

}  // namespace hepcat::cpu
