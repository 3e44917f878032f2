// The CPU roofline: this machine's achievable arithmetic rates and memory bandwidth over all
// OpenMP threads, measured with loops compiled like the CPU kernels (-O3, the build's target
// flags, -fno-math-errno), and the lower bound on a workload's time they imply.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>

namespace hepcat::bench {

/// Operations one step spends per item, counted from the kernel's formulas (the counting of each
/// workload is stated where it is registered, bench/workloads.cpp). A multiply-add counts once.
struct OpCount {
  double fma = 0, exp = 0, log = 0;
  bool double_precision = false;
  bool counted = false;  ///< false: only the bytes bound the workload (its operations vary)
  bool writes = true;    ///< false: the bytes are reads only (stream-read bandwidth applies)
};

/// Best of several timed runs, in operations or bytes per second, over all threads.
struct CpuLimits {
  double read_bytes_per_s = 0, triad_bytes_per_s = 0;
  double fma_per_s[2] = {0, 0}, exp_per_s[2] = {0, 0}, log_per_s[2] = {0, 0};  ///< float, double
};

/// Measures the limits (about a second).
CpuLimits measure_cpu_limits();

/// The limits as one JSON line of the bench's output.
nlohmann::json to_json(const CpuLimits& limits);

/// The roofline time of n items: the larger of the memory time (bytes over the stream-read or
/// triad bandwidth) and the arithmetic time (each operation kind over its rate, added, since
/// they share the vector units). Sets "roofline_s", "roofline_fraction" (roofline time over the
/// measured time) and "bound" on `line`.
void add_roofline(nlohmann::json& line, const CpuLimits& limits, const OpCount& ops,
                  double bytes_per_item, std::size_t n, double seconds);

}  // namespace hepcat::bench
