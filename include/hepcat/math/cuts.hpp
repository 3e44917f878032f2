// Cuts learned by gradient (SCIENCE.md section 3): the soft rectangular selection, its loss terms
// and their derivatives, shared by the CUDA kernel, the CPU loop, the host objective and the
// tests (which run them in double).
//
// Event i, working point j (one network per target efficiency t_j), feature k:
//   z_jk = n (w_jk xs_ik + b_jk),  s_jk = sigma(z_jk),  y_ij = prod_k s_jk,
// with xs the feature standardised on the training set and n the steepness. The cut in
// standardised units is c_jk = -b_jk / w_jk (w = +1: x > c; w = -1: x < c), and in original units
// c_jk sd_k + mean_k. Since dy/db_jk = n y (1 - s_jk) and dy/dw_jk = n y (1 - s_jk) xs_ik, one pass
// over the events accumulates both the soft efficiencies and everything their gradient needs.
//
// Loss of network j (the published efficiency-scan network's normalisations):
//   alpha (t - eps_S)^2 + beta eps_B + (gamma / m) sum_k c_k^2 + delta BCE,
// eps_S = sum_signal w y / sum_signal w (eps_B likewise), BCE the weighted mean of
// -[l log y + (1 - l) log(1 - y)] with each log clamped at -100 as torch's BCELoss does. The scan
// adds epsilon times the mean over interior targets (sorted by target) and features of
//   (c - (c+ + c-)/2)^2 / ((c+ - c-)^2 + rho).
#pragma once

#include <cmath>
#include <type_traits>

#include "hepcat/math/elementary.hpp"
#include "hepcat/math/hd.hpp"

namespace hepcat::math {

/// The argument of one cut's sigmoid.
template <class T>
HEPCAT_HD T cut_argument(T xs, T w, T b, T steepness) {
  return steepness * (w * xs + b);
}

/// Soft (sigmoid) or hard (step) pass of one cut: the soft score trains, the hard one evaluates.
template <bool Hard, class T>
HEPCAT_HD T cut_pass(T z) {
  if constexpr (Hard) {
    return z > T(0) ? T(1) : T(0);
  } else {
    return sigmoid_approx(z);
  }
}

/// BCE of one event with score y and label l (1 signal), logs clamped at -100.
template <class T>
HEPCAT_HD T bce(T y, bool signal) {
  const T lg = log_approx(signal ? y : T(1) - y);
  return -(lg > T(-100) ? lg : T(-100));
}

/// y dBCE/dy, torch's clamped form (y - l) / max(y (1 - y), 1e-12) times y: times n (1 - s_k) it
/// gives dBCE/db_k.
template <class T>
HEPCAT_HD T bce_score_coefficient(T y, bool signal) {
  const T den = y * (T(1) - y);
  return (y - (signal ? T(1) : T(0))) * y / (den > T(1e-12) ? den : T(1e-12));
}

/// alpha (t - eps_S)^2 + beta eps_B, the sum of its efficiency and background terms, and its
/// partial derivatives.
template <class T>
HEPCAT_HD T efficiency_term(T target, T eff_s, T alpha) {
  return alpha * (target - eff_s) * (target - eff_s);
}
template <class T>
HEPCAT_HD T background_term(T eff_b, T beta) {
  return beta * eff_b;
}
template <class T>
HEPCAT_HD T efficiency_loss(T target, T eff_s, T eff_b, T alpha, T beta) {
  return efficiency_term(target, eff_s, alpha) + background_term(eff_b, beta);
}
template <class T>
HEPCAT_HD T efficiency_loss_d_signal(T target, T eff_s, T alpha) {
  return T(-2) * alpha * (target - eff_s);
}
template <class T>
HEPCAT_HD T efficiency_loss_d_background(T beta) {
  return beta;
}

/// Cut in standardised units and its derivatives with respect to the bias and the weight.
template <class T>
HEPCAT_HD T cut_value(T b, T w) {
  return -b / w;
}
template <class T>
HEPCAT_HD T cut_value_d_bias(T w) {
  return T(-1) / w;
}
template <class T>
HEPCAT_HD T cut_value_d_weight(T b, T w) {
  return b / (w * w);
}

/// (gamma / m) c^2 for one cut of a network with m features, and its derivative in c.
template <class T>
HEPCAT_HD T cut_size_loss(T c, T gamma, int m) {
  return gamma * c * c / T(m);
}
template <class T>
HEPCAT_HD T cut_size_loss_d_cut(T c, T gamma, int m) {
  return T(2) * gamma * c / T(m);
}

/// (c - (c+ + c-)/2)^2 / ((c+ - c-)^2 + rho): zero when c lies midway between its neighbours.
template <class T>
HEPCAT_HD T smoothness(T c, T c_plus, T c_minus, T rho) {
  const T d = c - T(0.5) * (c_plus + c_minus);
  const T range = c_plus - c_minus;
  return d * d / (range * range + rho);
}

/// Partial derivatives of smoothness() in c, c+ and c-.
template <class T>
HEPCAT_HD void smoothness_gradient(T c, T c_plus, T c_minus, T rho, T* d_c, T* d_plus, T* d_minus) {
  const T d = c - T(0.5) * (c_plus + c_minus);
  const T range = c_plus - c_minus;
  const T q = range * range + rho;
  const T from_d = T(2) * d / q;                         // d/dd of d^2 / q
  const T from_range = T(-2) * d * d * range / (q * q);  // d/drange of d^2 / q
  *d_c = from_d;
  *d_plus = T(-0.5) * from_d + from_range;
  *d_minus = T(-0.5) * from_d - from_range;
}

/// One event's terms of the per-feature sums of a slot (CutSumLayout below) for feature k: ys and
/// yb are the event's w y when it is signal, respectively background (0 otherwise), g its
/// w * bce_score_coefficient, s = s_k and xs the standardised feature.
template <class T>
struct CutFeatureTerms {
  T signal_bias, background_bias, signal_weight, background_weight, bce_bias, bce_weight;
};
template <class T>
HEPCAT_HD CutFeatureTerms<T> cut_feature_terms(T ys, T yb, T g, T s, T xs) {
  const T om = T(1) - s;
  return {ys * om, yb * om, ys * om * xs, yb * om * xs, g * om, g * om * xs};
}

/// Features a cut scan takes on every backend: the CUDA kernel sizes its per-thread accumulators at
/// compile time (its largest instance holds 32).
constexpr int kMaxCutFeatures = 32;

/// Where each per-network sum lives in the accumulator row of one (grid cell, target) slot.
/// Hard passes fill only the two efficiency sums.
///   [0] sum_signal w y            [1] sum_background w y
///   signal_bias + k:     sum_signal w y (1 - s_k)         (background_bias + k likewise)
///   signal_weight + k:   sum_signal w y (1 - s_k) xs_k    (learned directions only)
///   bce:                 sum w BCE                        (delta != 0 only)
///   bce_bias + k:        sum w g (1 - s_k), g = bce_score_coefficient
///   bce_weight + k:      sum w g (1 - s_k) xs_k           (learned directions and delta != 0)
struct CutSumLayout {
  int m = 0;
  bool learned = false;
  bool with_bce = false;

  HEPCAT_HD int per_class() const { return learned ? 2 * m : m; }
  HEPCAT_HD int signal_bias() const { return 2; }
  HEPCAT_HD int background_bias() const { return 2 + m; }
  HEPCAT_HD int signal_weight() const { return 2 + 2 * m; }
  HEPCAT_HD int background_weight() const { return 2 + 3 * m; }
  HEPCAT_HD int bce() const { return 2 + 2 * per_class(); }
  HEPCAT_HD int bce_bias() const { return bce() + 1; }
  HEPCAT_HD int bce_weight() const { return bce() + 1 + m; }
  HEPCAT_HD int width() const { return bce() + (with_bce ? 1 + per_class() : 0); }
};

}  // namespace hepcat::math
