// Small dense linear algebra shared by every method: the Cholesky factor of a symmetric
// positive-definite matrix and the solves that use it. One convention everywhere: matrices are
// row-major with a row stride, the factor L (A = L L^T) is written over the lower triangle of A
// in place and the strict upper triangle is set to 0.
#pragma once

#include <cmath>
#include <limits>

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

/// Cholesky factor, in place, of the n x n leading block of the symmetric matrix `a` (row stride
/// `stride`; only the lower triangle is read). Returns false when a pivot is not positive relative
/// to its diagonal entry (64 epsilon), i.e. the matrix is not numerically positive definite; `a`
/// is then partly overwritten.
template <class T>
HEPCAT_HD bool cholesky(int n, T* a, int stride) {
  const T eps = T(64) * std::numeric_limits<T>::epsilon();
  for (int j = 0; j < n; ++j) {
    T d = a[j * stride + j];
    const T scale = d;
    for (int k = 0; k < j; ++k) d -= a[j * stride + k] * a[j * stride + k];
    if (!(d > eps * scale) || !std::isfinite(d)) return false;
    const T root = std::sqrt(d);
    a[j * stride + j] = root;
    for (int i = j + 1; i < n; ++i) {
      T s = a[i * stride + j];
      for (int k = 0; k < j; ++k) s -= a[i * stride + k] * a[j * stride + k];
      a[i * stride + j] = s / root;
    }
    for (int c = j + 1; c < n; ++c) a[j * stride + c] = T(0);
  }
  return true;
}

/// Solves L L^T x = b in place (b becomes x) with the factor from cholesky().
template <class T>
HEPCAT_HD void cholesky_solve(int n, const T* L, int stride, T* b) {
  for (int i = 0; i < n; ++i) {
    T s = b[i];
    for (int k = 0; k < i; ++k) s -= L[i * stride + k] * b[k];
    b[i] = s / L[i * stride + i];
  }
  for (int i = n - 1; i >= 0; --i) {
    T s = b[i];
    for (int k = i + 1; k < n; ++k) s -= L[k * stride + i] * b[k];
    b[i] = s / L[i * stride + i];
  }
}

}  // namespace hepcat::math
