// OpenMP queries that also compile without OpenMP (one thread).
#pragma once

#include <cstddef>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace hepcat::cpu {

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

/// Elements per thread below which a light pass (a few arithmetic operations and a few loads per
/// element: an optimiser update, a histogram fill) is not split further. Waking a thread costs
/// microseconds on a quiet machine and a scheduler time slice (milliseconds) on a loaded one,
/// while 2^17 light elements take about 0.1 ms on one core; torch's CPU kernels use a grain of
/// the same order (32768 elements).
constexpr std::size_t kLightGrain = std::size_t(1) << 17;

/// Threads for a pass over n elements of which each thread should get at least `grain`
/// (0: no minimum): at most max_threads(), at least one.
inline int threads_for(std::size_t n, std::size_t grain) {
  const int threads = max_threads();
  if (grain == 0) return threads;
  const std::size_t wanted = n / grain;
  return wanted < static_cast<std::size_t>(threads) ? static_cast<int>(wanted < 1 ? 1 : wanted)
                                                    : threads;
}

/// The element-wise CPU pass: body(i) for every i in [0, n), split statically over the OpenMP
/// threads (at least `grain` elements each, see threads_for). Bodies write only element i's
/// outputs, so the result does not depend on the split; passes that sum over elements use
/// reduce_events (host/engine/reduce.hpp) instead.
template <class Body>
void for_each_index(std::size_t n, Body body, std::size_t grain = 0) {
  const int threads = threads_for(n, grain);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) body(static_cast<std::size_t>(i));
}

}  // namespace hepcat::cpu
