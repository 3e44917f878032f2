// OpenMP queries that also compile without OpenMP (one thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

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

/// Runs body(i, local) for every i in [0, n) over the OpenMP threads, each thread adding into its
/// own zeroed accumulator of `width` doubles, then writes their sum to out[0, width), added in
/// thread order: the same result on every run with the same thread count.
template <class Body>
void reduce_per_thread(std::size_t n, std::size_t width, double* out, Body body) {
  const int threads = max_threads();
  std::vector<double> partial(width * threads, 0.0);
#pragma omp parallel num_threads(threads)
  {
    double* local = partial.data() + width * thread_id();
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i)
      body(static_cast<std::size_t>(i), local);
  }
  for (std::size_t c = 0; c < width; ++c) {
    double s = 0;
    for (int t = 0; t < threads; ++t) s += partial[width * t + c];
    out[c] = s;
  }
}

}  // namespace hepcat::cpu
