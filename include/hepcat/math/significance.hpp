// Significance objectives on per-bin yields (SCIENCE.md section 1): Asimov Z per bin, the
// combination of several signals, and the low-background and MC-uncertainty penalties, each with
// its derivatives. These act on a few dozen numbers per step, but stay HEPCAT_HD templates so the
// same formula serves the host, the device and the double-precision tests.
#pragma once

#include <cmath>

#include "hepcat/binning_settings.hpp"
#include "hepcat/math/hd.hpp"

namespace hepcat::math {

using hepcat::BinningObjectiveSettings;
using hepcat::SignalCombination;

/// Below this S/B the Asimov formula loses digits to cancellation; a series is used instead.
constexpr double kAsimovSeriesBelow = 0.1;

/// Z_A^2 = 2((S+B) ln(1+S/B) - S) of one bin with dZ^2/dS and dZ^2/dB.
/// Stated behaviour: B is floored at `b_floor` (> 0), with zero derivative in B where the floor
/// is active, so a bin with non-positive background gives a large but finite Z; a bin with
/// S <= 0 contributes nothing (Z^2 = 0, zero derivatives). For S/B < 0.1 the series
/// B * sum_{n>=2} 2 (-1)^n x^n / (n (n-1)), x = S/B, to x^9 replaces the closed form.
template <class T>
HEPCAT_HD T asimov_z2(T s, T b, T b_floor, T* d_s, T* d_b) {
  if (!(s > T(0))) {
    *d_s = T(0);
    *d_b = T(0);
    return T(0);
  }
  const bool floored = !(b > b_floor);
  const T be = floored ? b_floor : b;
  const T x = s / be;
  T h, dh;  // Z^2 / B as a function of x, and its x-derivative
  if (x < T(kAsimovSeriesBelow)) {
    h = T(0);
    dh = T(0);
    T xn = x;  // x^(n-1)
    for (int n = 2; n <= 9; ++n) {
      const T sign = (n % 2 == 0) ? T(1) : T(-1);
      const T c = sign * T(2) / T(n * (n - 1));
      dh += c * T(n) * xn;
      xn *= x;
      h += c * xn;
    }
  } else {
    const T l = std::log1p(x);
    h = T(2) * ((T(1) + x) * l - x);
    dh = T(2) * l;
  }
  *d_s = dh;
  *d_b = floored ? T(0) : h - x * dh;
  return be * h;
}

/// Combined figure of merit of `n` per-signal significances z[i] >= 0, with dC/dz[i] in d_z.
/// Geometric and harmonic means are 0 when a signal has Z = 0, and their gradients use
/// max(z, tiny) so such a signal still gets a finite gradient pushing it up; the minimum passes
/// the gradient to the first minimal signal.
template <class T>
HEPCAT_HD T combine_significances(const T* z, int n, SignalCombination how, T* d_z) {
  constexpr T kTiny = T(1e-12);
  T c = T(0);
  switch (how) {
    case SignalCombination::geometric_mean: {
      T log_sum = T(0);
      bool zero = false;
      for (int i = 0; i < n; ++i) {
        log_sum += std::log(z[i] > kTiny ? z[i] : kTiny);
        zero = zero || !(z[i] > T(0));
      }
      const T floored = std::exp(log_sum / T(n));
      for (int i = 0; i < n; ++i) d_z[i] = floored / (T(n) * (z[i] > kTiny ? z[i] : kTiny));
      c = zero ? T(0) : floored;
      break;
    }
    case SignalCombination::quadrature: {
      T s2 = T(0);
      for (int i = 0; i < n; ++i) s2 += z[i] * z[i];
      c = std::sqrt(s2);
      for (int i = 0; i < n; ++i) d_z[i] = c > T(0) ? z[i] / c : T(0);
      break;
    }
    case SignalCombination::harmonic_mean: {
      T inv = T(0);
      bool zero = false;
      for (int i = 0; i < n; ++i) {
        inv += T(1) / (z[i] > kTiny ? z[i] : kTiny);
        zero = zero || !(z[i] > T(0));
      }
      const T floored = T(n) / inv;
      for (int i = 0; i < n; ++i) {
        const T zi = z[i] > kTiny ? z[i] : kTiny;
        d_z[i] = floored * floored / (T(n) * zi * zi);
      }
      c = zero ? T(0) : floored;
      break;
    }
    case SignalCombination::minimum: {
      int arg = 0;
      for (int i = 1; i < n; ++i)
        if (z[i] < z[arg]) arg = i;
      c = z[arg];
      for (int i = 0; i < n; ++i) d_z[i] = i == arg ? T(1) : T(0);
      break;
    }
  }
  return c;
}

/// One bin's term of P_low = sum_k max(0, B_min - B_k)^2, with its B-derivative.
template <class T>
HEPCAT_HD T low_background_penalty(T b, T b_min, T* d_b) {
  const T gap = b_min - b;
  if (!(gap > T(0))) {
    *d_b = T(0);
    return T(0);
  }
  *d_b = T(-2) * gap;
  return gap * gap;
}

/// One bin's term of P_unc = sum_k max(0, sqrt(V_k)/B_k - r)^2, with derivatives in B and V.
/// Stated behaviour: a bin with B <= b_floor has no defined relative uncertainty and contributes
/// nothing (P_low is the term that discourages such bins).
template <class T>
HEPCAT_HD T relative_uncertainty_penalty(T b, T v, T r, T b_floor, T* d_b, T* d_v) {
  *d_b = T(0);
  *d_v = T(0);
  if (!(b > b_floor) || !(v > T(0))) return T(0);
  const T sv = std::sqrt(v);
  const T rel = sv / b;
  const T gap = rel - r;
  if (!(gap > T(0))) return T(0);
  *d_b = T(-2) * gap * rel / b;
  *d_v = gap / (sv * b);
  return gap * gap;
}

/// What one evaluation of the objective gives besides its gradient.
struct BinningObjectiveValue {
  double loss = 0;
  double combined = 0;  ///< C(Z_1..Z_n)
  double p_low = 0, p_unc = 0;
};

/// Layout of the per-bin sums every binning objective reads: for group g (signals 0..n-1, then
/// the background group n) and bin k, sums[(2 g) K + k] = sum of membership * w and
/// sums[(2 g + 1) K + k] = sum of membership * w^2.
HEPCAT_HD int bin_sum_index(int group, int moment, int k, int n_bins) {
  return (2 * group + moment) * n_bins + k;
}

/// The binning objective on the sums (layout of bin_sum_index) of `n_signals` signals and one
/// background group in `n_bins` bins. Signal i's background in bin k is the background group plus
/// every other signal. Writes dL/d(sums) to d_sums (same layout) and Z_i to z[n_signals];
/// `scratch` holds n_signals values.
template <class T>
HEPCAT_HD BinningObjectiveValue binning_objective(const T* sums, int n_signals, int n_bins,
                                                  const BinningObjectiveSettings& cfg, T* d_sums,
                                                  T* z, T* scratch) {
  const int bkg = n_signals;
  const int cells = 2 * (n_signals + 1) * n_bins;
  for (int c = 0; c < cells; ++c) d_sums[c] = T(0);
  const T floor = T(cfg.background_floor);
  // Per-signal Z_i = sqrt(sum_k Z_ik^2); the bin derivatives are collected after dC/dZ_i is known.
  for (int i = 0; i < n_signals; ++i) {
    T z2 = T(0);
    for (int k = 0; k < n_bins; ++k) {
      T b = sums[bin_sum_index(bkg, 0, k, n_bins)];
      for (int j = 0; j < n_signals; ++j)
        if (j != i) b += sums[bin_sum_index(j, 0, k, n_bins)];
      T ds, db;
      z2 += asimov_z2(sums[bin_sum_index(i, 0, k, n_bins)], b, floor, &ds, &db);
    }
    z[i] = std::sqrt(z2);
  }
  T* d_z = scratch;
  BinningObjectiveValue out;
  out.combined = double(combine_significances(z, n_signals, cfg.combination, d_z));
  for (int i = 0; i < n_signals; ++i) {
    // dZ_i/dZ_i^2 = 1/(2 Z_i); a signal with Z_i = 0 has every bin at S <= 0, hence no gradient.
    const T scale = z[i] > T(0) ? -d_z[i] / (T(2) * z[i]) : T(0);
    for (int k = 0; k < n_bins; ++k) {
      T b = sums[bin_sum_index(bkg, 0, k, n_bins)];
      for (int j = 0; j < n_signals; ++j)
        if (j != i) b += sums[bin_sum_index(j, 0, k, n_bins)];
      T ds, db;
      asimov_z2(sums[bin_sum_index(i, 0, k, n_bins)], b, floor, &ds, &db);
      d_sums[bin_sum_index(i, 0, k, n_bins)] += scale * ds;
      d_sums[bin_sum_index(bkg, 0, k, n_bins)] += scale * db;
      for (int j = 0; j < n_signals; ++j)
        if (j != i) d_sums[bin_sum_index(j, 0, k, n_bins)] += scale * db;
    }
  }
  T p_low = T(0), p_unc = T(0);
  for (int k = 0; k < n_bins; ++k) {
    const T b = sums[bin_sum_index(bkg, 0, k, n_bins)];
    const T v = sums[bin_sum_index(bkg, 1, k, n_bins)];
    T db, dv;
    if (cfg.lambda_low != 0) {
      p_low += low_background_penalty(b, T(cfg.background_min), &db);
      d_sums[bin_sum_index(bkg, 0, k, n_bins)] += T(cfg.lambda_low) * db;
    }
    if (cfg.lambda_unc != 0) {
      p_unc += relative_uncertainty_penalty(b, v, T(cfg.max_rel_unc), floor, &db, &dv);
      d_sums[bin_sum_index(bkg, 0, k, n_bins)] += T(cfg.lambda_unc) * db;
      d_sums[bin_sum_index(bkg, 1, k, n_bins)] += T(cfg.lambda_unc) * dv;
    }
  }
  out.p_low = double(p_low);
  out.p_unc = double(p_unc);
  out.loss = -out.combined + cfg.lambda_low * out.p_low + cfg.lambda_unc * out.p_unc;
  return out;
}

}  // namespace hepcat::math
