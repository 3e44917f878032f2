#include "host/engine/ops_cpu.hpp"

#include "hepcat/math/ops.hpp"
#include "host/engine/reduce.hpp"

namespace hepcat::cpu {

void weighted_bin_sums(const float* x, const float* w, const std::int32_t* process, std::size_t n,
                       int n_processes, int n_bins, float lo, float hi, double* out) {
  const std::size_t cells = static_cast<std::size_t>(n_processes) * n_bins;
  const float inv_width = static_cast<float>(n_bins) / (hi - lo);
  reduce_events(
      n, 2 * cells, out,
      [&](std::size_t i, double* local) {
        const std::size_t c = static_cast<std::size_t>(process[i]) * n_bins +
                              math::uniform_bin(x[i], lo, inv_width, n_bins);
        const double wi = w[i];
        local[c] += wi;
        local[cells + c] += wi * wi;
      },
      kLightGrain);
}

}  // namespace hepcat::cpu
