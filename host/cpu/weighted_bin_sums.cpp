#include <vector>

#include "hepcat/math/binning.hpp"
#include "host/cpu/parallel.hpp"
#include "host/cpu/weighted_bin_sums.hpp"

namespace hepcat::cpu {

void weighted_bin_sums(const float* x, const float* w, const std::int32_t* process, std::size_t n,
                       int n_processes, int n_bins, float lo, float hi, double* out) {
  const std::size_t width = 2 * static_cast<std::size_t>(n_processes) * n_bins;
  const std::size_t cells = width / 2;
  const float inv_width = static_cast<float>(n_bins) / (hi - lo);
  const int threads = max_threads();
  // One private histogram per thread, added in thread order afterwards: the same result on
  // every run with the same thread count.
  std::vector<double> partial(width * threads, 0.0);
#pragma omp parallel num_threads(threads)
  {
    double* local = partial.data() + width * thread_id();
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) {
      const std::size_t c = static_cast<std::size_t>(process[i]) * n_bins +
                            math::uniform_bin(x[i], lo, inv_width, n_bins);
      const double wi = w[i];
      local[c] += wi;
      local[cells + c] += wi * wi;
    }
  }
  for (std::size_t c = 0; c < width; ++c) {
    double s = 0;
    for (int t = 0; t < threads; ++t) s += partial[width * t + c];
    out[c] = s;
  }
}

}  // namespace hepcat::cpu
