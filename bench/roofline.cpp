// Measures the CPU roofline. Every kernel runs on all OpenMP threads at once, each on data of its
// own; each thread keeps its fastest of kRepeats runs, since on a shared machine only the fastest
// run shows what the hardware achieves.
#include "bench/roofline.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace hepcat::bench {

namespace {

constexpr int kRepeats = 20;

// Keeps results alive so that the compiler cannot drop the measured loops.
volatile double g_sink = 0;

// Sum over the OpenMP threads of work / (the thread's fastest of kRepeats runs of
// pass(thread, threads), each run doing `work` operations or bytes). Each thread times its own
// runs, so that a thread the scheduler sets aside (a loaded machine) does not slow the others:
// the rate is what the cores achieve while they run. The runs are short (about a millisecond)
// so that some of them fit between two preemptions.
template <class Pass>
double per_thread_rate(double work, Pass pass) {
  double rate = 0;
#pragma omp parallel reduction(+ : rate)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    double best = 1e30, sink = 0;
    for (int r = 0; r < kRepeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      sink += pass(t, nt);
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    rate += work / best;
#pragma omp critical
    g_sink = g_sink + sink;
  }
  return rate;
}

// Bytes of the widest vector register the build's target flags allow.
#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
#elif defined(__AVX__)
constexpr int kVectorBytes = 32;
#else
constexpr int kVectorBytes = 16;
#endif

// Multiply-adds per second: each thread updates kChains independent accumulators (eight vector
// registers' worth, enough to hide the latency) kRounds times; the compiler vectorises the chain
// loop as it does the kernels' loops.
template <class T>
double fma_rate() {
  constexpr int kChains = kVectorBytes / sizeof(T) * 8;
  constexpr long kRounds = 1 << 15;
  return per_thread_rate(double(kChains) * kRounds, [](int, int) {
    T acc[kChains];
    for (int j = 0; j < kChains; ++j) acc[j] = T(j) / kChains;
    const T a = T(0.999999), b = T(1e-6);
    // Without the simd request GCC keeps double chains in scalar registers (and spills them).
    for (long r = 0; r < kRounds; ++r) {
#pragma omp simd
      for (int j = 0; j < kChains; ++j) acc[j] = acc[j] * a + b;
    }
    double total = 0;
    for (int j = 0; j < kChains; ++j) total += acc[j];
    return total;
  });
}

// Calls of f per second on arguments spread over [lo, hi], kLength of them (in the L1 cache) per
// round; the multiply-add forming each argument is not subtracted.
template <class T, class F>
double elementwise_rate(T lo, T hi, F f) {
  constexpr int kLength = 2048;
  constexpr int kRounds = 32;
  return per_thread_rate(double(kLength) * kRounds, [=](int, int) {
    T y[kLength];
    double total = 0;
    const T step = (hi - lo) / kLength;
    for (int r = 0; r < kRounds; ++r) {
      // The shift changes with the round so that no round repeats (or is hoisted from) another.
      const T shift = lo + T(r) * T(1e-6);
      for (int i = 0; i < kLength; ++i) y[i] = f(shift + step * T(i));
      total += y[r];
    }
    return total;
  });
}

}  // namespace

CpuLimits measure_cpu_limits() {
  CpuLimits l;
  l.fma_per_s[0] = fma_rate<float>();
  l.fma_per_s[1] = fma_rate<double>();
  l.exp_per_s[0] = elementwise_rate<float>(-20.f, 5.f, [](float v) { return std::exp(v); });
  l.exp_per_s[1] = elementwise_rate<double>(-20., 5., [](double v) { return std::exp(v); });
  l.log_per_s[0] = elementwise_rate<float>(1e-3f, 1e3f, [](float v) { return std::log(v); });
  l.log_per_s[1] = elementwise_rate<double>(1e-3, 1e3, [](double v) { return std::log(v); });

  // Stream-like memory passes over 64 MiB arrays (twice the L3 cache of the development
  // machine), each thread on the slice it touched first. The read keeps kChains partial sums so
  // that it waits on memory, not on one chain of additions; the triad counts 24 bytes per
  // element as STREAM does (the write-allocate read is not counted).
  const std::int64_t n = std::int64_t(1) << 23;
  std::vector<double> a(n), b(n), c(n);
  const auto slice = [n](int t, int nt) {
    return std::pair<std::int64_t, std::int64_t>{n * t / nt / 8 * 8, n * (t + 1) / nt / 8 * 8};
  };
#pragma omp parallel
  {
    const auto [lo, hi] = slice(omp_get_thread_num(), omp_get_num_threads());
    for (std::int64_t i = lo; i < hi; ++i) a[i] = b[i] = c[i] = 1.0 + 1e-9 * i;
  }
  const int threads = omp_get_max_threads();
  l.read_bytes_per_s = per_thread_rate(8.0 * n / threads, [&](int t, int nt) {
    constexpr int kChains = 8;
    double s[kChains] = {};
    const auto [lo, hi] = slice(t, nt);
    for (std::int64_t i = lo; i < hi; i += kChains)
      for (int j = 0; j < kChains; ++j) s[j] += b[i + j];
    double total = 0;
    for (int j = 0; j < kChains; ++j) total += s[j];
    return total;
  });
  l.triad_bytes_per_s = per_thread_rate(24.0 * n / threads, [&](int t, int nt) {
    const auto [lo, hi] = slice(t, nt);
    for (std::int64_t i = lo; i < hi; ++i) a[i] = b[i] + 0.5 * c[i];
    return a[lo];
  });
  return l;
}

nlohmann::json to_json(const CpuLimits& l) {
  return {{"workload", "cpu_roofline_limits"},
          {"impl", "machine"},
          {"backend", "cpu"},
          {"threads", omp_get_max_threads()},
          {"read_gb_per_s", l.read_bytes_per_s / 1e9},
          {"triad_gb_per_s", l.triad_bytes_per_s / 1e9},
          {"fma_per_s_float", l.fma_per_s[0]},
          {"fma_per_s_double", l.fma_per_s[1]},
          {"exp_per_s_float", l.exp_per_s[0]},
          {"exp_per_s_double", l.exp_per_s[1]},
          {"log_per_s_float", l.log_per_s[0]},
          {"log_per_s_double", l.log_per_s[1]}};
}

void add_roofline(nlohmann::json& line, const CpuLimits& l, const OpCount& ops,
                  double bytes_per_item, std::size_t n, double seconds) {
  const double bandwidth = ops.writes ? l.triad_bytes_per_s : l.read_bytes_per_s;
  const double memory_s = bytes_per_item * n / bandwidth;
  const int p = ops.double_precision ? 1 : 0;
  const double arithmetic_s =
      ops.counted
          ? n * (ops.fma / l.fma_per_s[p] + ops.exp / l.exp_per_s[p] + ops.log / l.log_per_s[p])
          : 0.0;
  const double bound_s = std::max(memory_s, arithmetic_s);
  line["roofline_s"] = bound_s;
  line["roofline_fraction"] = bound_s / seconds;
  line["bound"] = !ops.counted              ? "memory (operations not counted)"
                  : arithmetic_s > memory_s ? "arithmetic"
                                            : "memory";
}

}  // namespace hepcat::bench
