// Hard bin lookup shared by the CPU and CUDA histogram loops.
#pragma once

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

/// Index of x among n equal bins starting at lo with 1/width `inv_width`; values below the range
/// go to bin 0 and values at or above it to bin n-1 (ops.hpp states this clamping).
template <class T>
HEPCAT_HD int uniform_bin(T x, T lo, T inv_width, int n) {
  const T u = (x - lo) * inv_width;
  if (!(u > T(0))) return 0;  // also catches NaN, which validation excludes anyway
  const int b = static_cast<int>(u);
  return b < n ? b : n - 1;
}

}  // namespace hepcat::math
