#include "hepcat/ops.hpp"

#include <cmath>
#include <string>

#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "host/engine/format.hpp"
#include "host/engine/limits.hpp"
#include "host/engine/ops_cpu.hpp"

#ifdef HEPCAT_HAVE_CUDA
#include "kernels/ops.hpp"
#endif

namespace hepcat {

BinSums weighted_bin_sums(Context& ctx, const EventSet& events, int feature, int n_bins, float lo,
                          float hi) {
  if (feature < 0 || feature >= events.n_features())
    throw Error("weighted_bin_sums: feature index " + std::to_string(feature) +
                " out of range [0, " + std::to_string(events.n_features()) + ")");
  if (n_bins < 1)
    throw Error("weighted_bin_sums: need at least one bin, got " + std::to_string(n_bins));
  if (!(std::isfinite(lo) && std::isfinite(hi) && hi > lo))
    throw Error("weighted_bin_sums: invalid range [" + detail::format_number(lo) + ", " +
                detail::format_number(hi) + ")");
  if (events.backend() != ctx.backend())
    throw Error("weighted_bin_sums: events live on another backend than the context");
  detail::require_accumulators(
      "weighted_bin_sums", 2 * static_cast<std::size_t>(events.n_processes()) * n_bins,
      std::to_string(events.n_processes()) + " processes x " + std::to_string(n_bins) + " bins");

  BinSums sums;
  sums.n_bins = n_bins;
  sums.n_processes = events.n_processes();
  const std::size_t cells = static_cast<std::size_t>(sums.n_processes) * n_bins;
  std::vector<double> out(2 * cells);
#ifdef HEPCAT_HAVE_CUDA
  if (ctx.is_cuda()) {
    const std::size_t partial_bytes =
        cuda::weighted_bin_sums_scratch_bytes(events.size(), sums.n_processes, n_bins);
    char* scratch = static_cast<char*>(ctx.scratch(partial_bytes + out.size() * sizeof(double)));
    auto* d_out = reinterpret_cast<double*>(scratch + partial_bytes);
    cuda::launch_weighted_bin_sums(events.feature(feature), events.weights(), events.process(),
                                   events.size(), sums.n_processes, n_bins, lo, hi, scratch, d_out,
                                   static_cast<cudaStream_t>(ctx.stream()));
    memory::copy_to_host(ctx, out.data(), d_out, out.size() * sizeof(double));
  }
#endif
  if (!ctx.is_cuda())
    cpu::weighted_bin_sums(events.feature(feature), events.weights(), events.process(),
                           events.size(), sums.n_processes, n_bins, lo, hi, out.data());
  sums.sum_w.assign(out.begin(), out.begin() + cells);
  sums.sum_w2.assign(out.begin() + cells, out.end());
  return sums;
}

}  // namespace hepcat
