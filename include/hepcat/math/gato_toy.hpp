// The GATO toy study's per-event formulas (SCIENCE.md section 1, "Toy study"): features drawn
// from a process's normal distribution, and the exact-likelihood discriminant and 3-class
// scores computed from them. The process table (means, cross sections) lives in
// host/binning/binning_toy.cpp.
#pragma once

#include <cstdint>

#include "hepcat/math/hd.hpp"
#include "hepcat/math/normal.hpp"
#include "hepcat/math/random.hpp"

namespace hepcat::math {

constexpr int kGatoToyDim = 3;          ///< features x, y, z
constexpr int kGatoToyProcesses = 7;    ///< signal 1, signal 2, backgrounds 1..5
constexpr int kGatoToyBackgrounds = 5;  ///< processes 2..6

/// Features of event `index`: mean + L n with n three standard normals from Philox counter
/// (index, stream 0). Depends only on (seed, index), never on the order events are made in.
template <class T>
HEPCAT_HD void gato_toy_features(std::uint64_t seed, std::uint64_t index, const T* mean, const T* L,
                                 T* x) {
  const Philox4x32 r = random_words(seed, index, 0);
  T n[kGatoToyDim + 1];
  normal_pair<T>(r.v[0], r.v[1], &n[0], &n[1]);
  normal_pair<T>(r.v[2], r.v[3], &n[2], &n[3]);
  for (int a = 0; a < kGatoToyDim; ++a) {
    T s = mean[a];
    for (int c = 0; c <= a; ++c) s += L[a * kGatoToyDim + c] * n[c];
    x[a] = s;
  }
}

/// Discriminant and scores at x. `means` holds the 7 processes' means (3 each), all sharing the
/// covariance L L^T, whose mvn_log_normaliser is `log_norm`; `log_bkg_fraction[b]` =
/// log(sigma_b / sum of background sigmas): p_bkg is the cross-section-weighted mixture of the
/// backgrounds. Outputs d = L/(1+L) with L = p_s1/p_bkg, and s_k = p_k / (p_s1 + p_s2 + p_bkg)
/// for k = s1, s2, bkg (scores[0..2]). Everything is evaluated from log densities.
template <class T, class X>
HEPCAT_HD void gato_toy_scores(const X* x, const T* means, const T* L, T log_norm,
                               const T* log_bkg_fraction, T* d, T* scores) {
  T z[kGatoToyDim];
  const auto log_density = [&](int process) {
    return log_norm -
           T(0.5) * mvn_mahalanobis_sq(kGatoToyDim, x, 1, means + process * kGatoToyDim, L, z);
  };
  T log_p[3], log_bkg[kGatoToyBackgrounds];
  log_p[0] = log_density(0);
  log_p[1] = log_density(1);
  for (int b = 0; b < kGatoToyBackgrounds; ++b)
    log_bkg[b] = log_bkg_fraction[b] + log_density(2 + b);
  log_p[2] = log_sum_exp(log_bkg, kGatoToyBackgrounds);
  // L/(1+L) = 1/(1 + p_bkg/p_s1): exp overflowing to inf gives 0, underflowing gives 1.
  *d = T(1) / (T(1) + std::exp(log_p[2] - log_p[0]));
  // The scores are a softmax of the log densities, shifted by their maximum.
  T m = log_p[0] > log_p[1] ? log_p[0] : log_p[1];
  m = log_p[2] > m ? log_p[2] : m;
  T total = T(0);
  for (int k = 0; k < 3; ++k) total += scores[k] = std::exp(log_p[k] - m);
  for (int k = 0; k < 3; ++k) scores[k] /= total;
}

}  // namespace hepcat::math
