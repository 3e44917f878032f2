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

/// The element-wise CPU pass: body(i) for every i in [0, n), split statically over the OpenMP
/// threads. Bodies write only element i's outputs, so the result does not depend on the split;
/// passes that sum over elements use reduce_events (host/engine/reduce.hpp) instead.
template <class Body>
void for_each_index(std::size_t n, Body body) {
#pragma omp parallel for schedule(static) num_threads(max_threads())
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) body(static_cast<std::size_t>(i));
}

}  // namespace hepcat::cpu
