// Multivariate normal densities from a Cholesky factor (math/linalg.hpp), and log-sum-exp for
// mixtures of them. Densities are evaluated in log space: far from a mean the density underflows
// long before its logarithm loses precision.
#pragma once

#include <cmath>
#include <cstddef>

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

/// Squared Mahalanobis distance |L^{-1} (x - mu)|^2 in d dimensions. `L` is lower triangular
/// with a positive diagonal, stored row-major as d x d (entry (a, c) at L[a * d + c]; the upper
/// triangle is not read). `x` is read with stride `x_stride` (feature a at x[a * x_stride], so
/// structure-of-arrays events can be passed directly). `z` (d values) receives the whitened
/// residual L^{-1} (x - mu), found by forward substitution.
template <class T, class X>
HEPCAT_HD T mvn_mahalanobis_sq(int d, const X* x, std::size_t x_stride, const T* mu, const T* L,
                               T* z) {
  T q = T(0);
  for (int a = 0; a < d; ++a) {
    T r = static_cast<T>(x[a * x_stride]) - mu[a];
    for (int c = 0; c < a; ++c) r -= L[a * d + c] * z[c];
    z[a] = r / L[a * d + a];
    q += z[a] * z[a];
  }
  return q;
}

/// log of the normal density's constant factor: -d/2 log(2 pi) - log det L. Depends only on L,
/// so loops over events compute it once.
template <class T>
HEPCAT_HD T mvn_log_normaliser(int d, const T* L) {
  T log_det = T(0);
  for (int a = 0; a < d; ++a) log_det += std::log(L[a * d + a]);
  return T(-0.5) * T(d) * T(1.8378770664093454836) - log_det;
}

/// log N(x | mu, L L^T) = mvn_log_normaliser(L) - mvn_mahalanobis_sq / 2 (arguments as there).
template <class T, class X>
HEPCAT_HD T mvn_log_density(int d, const X* x, std::size_t x_stride, const T* mu, const T* L,
                            T* z) {
  return mvn_log_normaliser(d, L) - T(0.5) * mvn_mahalanobis_sq(d, x, x_stride, mu, L, z);
}

/// log(sum_k exp(v_k)) without overflow or total underflow (the largest term is factored out).
/// n >= 1; returns -inf when every term is -inf.
template <class T>
HEPCAT_HD T log_sum_exp(const T* v, int n) {
  T m = v[0];
  for (int k = 1; k < n; ++k) m = v[k] > m ? v[k] : m;
  if (std::isinf(m)) return m;
  T s = T(0);
  for (int k = 0; k < n; ++k) s += std::exp(v[k] - m);
  return m + std::log(s);
}

}  // namespace hepcat::math
