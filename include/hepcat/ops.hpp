// Event-level operations that run on either backend.
#pragma once

#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/context.hpp"
#include "hepcat/event_set.hpp"

namespace hepcat {

/// Weighted histogram of one feature per process: sum_w[p * n_bins + b] and sum_w2 likewise.
struct HEPCAT_API BinSums {
  int n_bins = 0;
  int n_processes = 0;
  std::vector<double> sum_w;
  std::vector<double> sum_w2;
};

/// Per-process sums of w and w^2 in `n_bins` equal bins of feature `feature` over [lo, hi).
/// Values below lo count in the first bin, values at or above hi in the last (clamped), so
/// every event is counted once and per-process totals are preserved. One read of the events:
/// the memory-bound floor every objective stands on.
HEPCAT_API BinSums weighted_bin_sums(Context& ctx, const EventSet& events, int feature, int n_bins,
                                     float lo, float hi);

}  // namespace hepcat
