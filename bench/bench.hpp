// The benchmark harness: each workload prepares its data once per (backend, size) and returns a
// callable doing one step; the harness times it and prints one JSON line per measurement.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "bench/roofline.hpp"
#include "hepcat/context.hpp"

namespace hepcat::bench {

struct Workload {
  std::string name;
  std::string unit;           ///< what n counts: "events", "parameters", "bins", "fits"
  double bytes_per_item = 0;  ///< minimum bytes one step moves per item (for GB/s)
  /// Builds the inputs for n items on ctx and returns one step. Must leave the step's results
  /// on the backend (the harness synchronises around batches of steps).
  std::function<std::function<void()>(Context& ctx, std::size_t n)> prepare;
  /// When set, the one size measured instead of the --min..--max sweep (a training step at its
  /// batch size).
  std::size_t fixed_n = 0;
  /// Operations per item for the CPU roofline (set where the workload is registered).
  OpCount ops = {};
};

/// One training epoch of the cut scan (bench/workloads_cuts.cpp).
Workload cut_scan_workload();
/// The batched S+B fits of Split-N-Fit (bench/fit_workloads.cpp).
Workload batched_fits_workload();
/// One Split-N-Fit training step with 1000 pseudo-experiments (bench/fit_workloads.cpp).
Workload splitfit_step_workload();

/// The exchange between MPI ranks of one binning training step (bench/workloads_comm.cpp).
Workload rank_exchange_workload();
/// The mass-asymmetry baseline over events of 10 jets: leading six, all ten
/// (bench/workloads_assign.cpp).
Workload assign_baseline_lead6_workload();
Workload assign_baseline_all_workload();
/// One ABC training step and ABC inference at the published size
/// (bench/workloads_assign_model.cpp). The model runs on the host: on a CUDA context they
/// measure the CPU path.
Workload assign_train_step_workload();
Workload assign_inference_workload();

/// Every workload compiled into hepcat-bench, in the order they run.
std::vector<Workload> all_workloads();

}  // namespace hepcat::bench
