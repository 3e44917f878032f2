// Multivariate normal densities from a Cholesky factor (math/linalg.hpp), written once for the GMM
// categories of the binning (packed factor) and the toy study's exact likelihoods (dense factor).
// Densities are evaluated in log space: far from a mean the density underflows long before its
// logarithm loses precision.
#pragma once

#include <cmath>
#include <cstddef>

#include "hepcat/math/hd.hpp"
#include "hepcat/math/softmax.hpp"

namespace hepcat::math {

/// log(2 pi).
constexpr double kLog2Pi = 1.8378770664093454836;

/// Packed lower triangle: entry (a, c), c <= a, of a d x d matrix.
HEPCAT_HD int tri_index(int a, int c) {
  return a * (a + 1) / 2 + c;
}
HEPCAT_HD int tri_size(int d) {
  return d * (d + 1) / 2;
}

/// A lower-triangular factor L stored row-major as d x d (entry (a, c) at L[a * d + c]; the
/// upper triangle is not read).
template <class T>
struct DenseFactor {
  const T* l;
  int d;
  HEPCAT_HD T lower(int a, int c) const { return l[a * d + c]; }
  HEPCAT_HD T divide_by_diagonal(int a, T r) const { return r / l[a * d + a]; }
};

/// A lower-triangular factor packed by tri_index, with its reciprocal diagonal 1/L_aa beside it.
template <class T>
struct PackedFactor {
  const T* l;
  const T* inv_diag;
  HEPCAT_HD T lower(int a, int c) const { return l[tri_index(a, c)]; }
  HEPCAT_HD T divide_by_diagonal(int a, T r) const { return r * inv_diag[a]; }
};

/// Squared Mahalanobis distance |L^{-1} (x - mu)|^2 in d dimensions, for a factor L with a
/// positive diagonal (DenseFactor or PackedFactor). `x` is read with stride `x_stride` (feature a
/// at x[a * x_stride], so structure-of-arrays events can be passed directly). `z` (d values)
/// receives the whitened residual L^{-1} (x - mu), found by forward substitution.
template <class T, class X, class Factor>
HEPCAT_HD T whitened_distance_sq(int d, const X* x, std::size_t x_stride, const T* mu,
                                 const Factor& L, T* z) {
  T q = T(0);
  for (int a = 0; a < d; ++a) {
    T r = static_cast<T>(x[a * x_stride]) - mu[a];
    for (int c = 0; c < a; ++c) r -= L.lower(a, c) * z[c];
    z[a] = L.divide_by_diagonal(a, r);
    q += z[a] * z[a];
  }
  return q;
}

/// whitened_distance_sq with a dense factor L (d x d, row-major).
template <class T, class X>
HEPCAT_HD T mvn_mahalanobis_sq(int d, const X* x, std::size_t x_stride, const T* mu, const T* L,
                               T* z) {
  return whitened_distance_sq(d, x, x_stride, mu, DenseFactor<T>{L, d}, z);
}

/// log of the normal density's constant factor from log det L: -d/2 log(2 pi) - log det L.
template <class T>
HEPCAT_HD T mvn_log_normaliser_of_log_det(int d, T log_det) {
  return T(-0.5) * T(d) * T(kLog2Pi) - log_det;
}

/// mvn_log_normaliser_of_log_det for a dense factor L. Depends only on L, so loops over events
/// compute it once.
template <class T>
HEPCAT_HD T mvn_log_normaliser(int d, const T* L) {
  T log_det = T(0);
  for (int a = 0; a < d; ++a) log_det += std::log(L[a * d + a]);
  return mvn_log_normaliser_of_log_det(d, log_det);
}

/// log N(x | mu, L L^T) = mvn_log_normaliser(L) - mvn_mahalanobis_sq / 2 (arguments as there).
template <class T, class X>
HEPCAT_HD T mvn_log_density(int d, const X* x, std::size_t x_stride, const T* mu, const T* L,
                            T* z) {
  return mvn_log_normaliser(d, L) - T(0.5) * mvn_mahalanobis_sq(d, x, x_stride, mu, L, z);
}

}  // namespace hepcat::math
