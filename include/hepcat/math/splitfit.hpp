// Split-N-Fit (SCIENCE.md section 4): events split softly into pass and fail histograms of a fit
// variable by p_i = sigmoid(s_i), and the loss built from S+B and B fits in both regions.
#pragma once

#include <cmath>

#include "hepcat/math/elementary.hpp"
#include "hepcat/math/hd.hpp"

namespace hepcat::math {

/// Bin of x among n equal bins on [lo, hi), or -1 outside: events off the fit range take no
/// part in the fit (unlike weighted_bin_sums, which clamps).
template <class T>
HEPCAT_HD int fit_range_bin(T x, T lo, T inv_width, int n_bins) {
  if (!(x >= lo)) return -1;
  const int b = static_cast<int>((x - lo) * inv_width);
  return b < n_bins ? b : -1;
}

enum class SmoothRelu : int {
  softplus = 0,  ///< log(1 + e^x)
  silu = 1,      ///< x sigmoid(x)
};

/// R(x) and R'(x).
template <class T>
HEPCAT_HD T smooth_relu(SmoothRelu r, T x, T* derivative) {
  const T sg = sigmoid(x);
  if (r == SmoothRelu::silu) {
    *derivative = sg * (T(1) + x * (T(1) - sg));
    return x * sg;
  }
  *derivative = sg;
  return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

struct SplitFitWeights {
  double lambda = 0;  ///< weight of the fit-quality penalty
  double kappa = 0;   ///< chi2 above which the penalty turns on
  double delta = 0;   ///< offset of the fail term
  SmoothRelu relu = SmoothRelu::softplus;
};

/// The loss from the four fitted objectives and q = mean(1 - p), with its partial derivatives
/// d[0..3] in (sb_pass, b_pass, sb_fail, b_fail) and d[4] in q:
///   L_P = X_SB^P - X_B^P + lambda (R(X_SB^P - kappa) + R(X_B^P - kappa))
///   L_F = (X_B^F - X_SB^F + lambda (R(X_SB^F - kappa) + R(X_B^F - kappa)) + delta) / q
template <class T>
HEPCAT_HD T splitfit_loss(const SplitFitWeights& c, const T* x, T q, T* d, T* loss_pass,
                          T* loss_fail) {
  T r[4], dr[4];
  for (int k = 0; k < 4; ++k) r[k] = smooth_relu(c.relu, x[k] - T(c.kappa), &dr[k]);
  const T lam = T(c.lambda);
  const T lp = x[0] - x[1] + lam * (r[0] + r[1]);
  const T numerator = x[3] - x[2] + lam * (r[2] + r[3]) + T(c.delta);
  const T lf = numerator / q;
  d[0] = T(1) + lam * dr[0];
  d[1] = T(-1) + lam * dr[1];
  d[2] = (T(-1) + lam * dr[2]) / q;
  d[3] = (T(1) + lam * dr[3]) / q;
  d[4] = -lf / q;
  *loss_pass = lp;
  *loss_fail = lf;
  return lp + lf;
}

/// dL/ds for one event in bin `bin` (-1 off range) with weight w, given dL/dh pass and fail of
/// its bin and dL/dq / n_events (q = mean over all n events of 1 - p).
template <class T>
HEPCAT_HD T splitfit_score_gradient(T s, T w, int bin, const T* dpass, const T* dfail,
                                    T dq_per_event) {
  const T p = sigmoid(s), dp = p * (T(1) - p);
  const T dh = bin >= 0 ? w * (dpass[bin] - dfail[bin]) : T(0);
  return dp * (dh - dq_per_event);
}

}  // namespace hepcat::math
