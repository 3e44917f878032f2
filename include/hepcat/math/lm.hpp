// One binned fit by Levenberg-Marquardt, written once for the CPU loop and the CUDA kernel
// (one fit per thread). SCIENCE.md section 4.
//
// The objective is a sum over bins of a per-bin term v(h, mu) of the content h and the model's
// expectation mu. Every estimator supplies v, dv/dmu and a non-negative curvature c ~ d2v/dmu2,
// so the gradient is g = sum dv/dmu J and the Gauss-Newton / Fisher-scoring Hessian is
// H = sum c J J^T, with J = dmu/dtheta from dual numbers. The objective is on the chi2 scale
// (the Poisson estimator is the deviance, 2 (lnL_saturated - lnL)), so sqrt of a difference of
// objectives is a significance for every estimator and the covariance is 2 H^-1.
//
// Step: (H + lambda diag H) delta = -g over the free parameters not held at a bound by their
// gradient (projected active set); the trial point is clamped into the box. A step that does not
// increase the objective is accepted (lambda / 10), otherwise lambda * 10. Lambda starts at
// 1e-9, i.e. at the Gauss-Newton step: binned fits of smooth models are close to linear least
// squares (the seed's S+B with fixed peak is linear in its free parameters and converges in one
// step), and a rejected step costs one evaluation. The fit has converged
// when the Newton decrement g^T H^-1 g (twice the decrease the quadratic model still predicts)
// is below 2 * tolerance, i.e. the objective is within `tolerance` of its minimum.
#pragma once

#include <cmath>
#include <limits>

#include "hepcat/math/dual.hpp"
#include "hepcat/math/fit_models.hpp"
#include "hepcat/math/hd.hpp"

namespace hepcat::math {

enum class Estimator : int {
  neyman = 0,    ///< (h - mu)^2 / max(h, 1): empty bins get variance 1
  pearson = 1,   ///< (h - mu)^2 / mu
  variance = 2,  ///< (h - mu)^2 / var, var given per bin; bins with var <= 0 are left out
  poisson = 3,   ///< 2 (mu - h + h ln(h / mu)): the Poisson deviance
};

enum class FitState : int {
  converged = 0,       ///< objective within tolerance of its minimum
  max_iterations = 1,  ///< iteration limit reached before convergence
  singular = 2,        ///< Hessian of the free parameters not positive definite at the end
  stalled = 3,         ///< no step decreases the objective, at the precision of the scalar
};

/// One bin's contribution: value, d/dmu, curvature in mu (>= 0), and d/dh at fixed mu.
template <class T>
struct BinTerm {
  T value, d_mu, curvature, d_h;
};

/// Expectations below this are clamped: the Pearson and Poisson terms are undefined at mu <= 0
/// and the huge clamped value makes the fit reject such steps.
template <class T>
HEPCAT_HD T min_expectation() {
  return T(1e-30);
}

template <class T>
HEPCAT_HD BinTerm<T> estimator_term(Estimator e, T h, T mu, T var) {
  BinTerm<T> b{};
  switch (e) {
    case Estimator::neyman:
    case Estimator::variance: {
      const T v = e == Estimator::neyman ? (h > T(1) ? h : T(1)) : var;
      if (!(v > T(0))) return b;
      const T r = h - mu;
      b.value = r * r / v;
      b.d_mu = T(-2) * r / v;
      b.curvature = T(2) / v;
      // var = max(h, 1) moves with h above 1; given variances are held fixed.
      b.d_h = T(2) * r / v - (e == Estimator::neyman && h > T(1) ? b.value / v : T(0));
      return b;
    }
    case Estimator::pearson: {
      const T m = mu > min_expectation<T>() ? mu : min_expectation<T>();
      const T r = h - m;
      b.value = r * r / m;
      b.d_mu = mu > min_expectation<T>() ? T(1) - h * h / (m * m) : T(0);
      b.curvature = T(2) / m;  // Fisher scoring: the expected curvature at h = mu
      b.d_h = T(2) * r / m;
      return b;
    }
    default: {
      const T m = mu > min_expectation<T>() ? mu : min_expectation<T>();
      // d/dh of h ln(h/mu) is ln(h/mu) + 1, which diverges at h = 0: h is floored at 1e-9.
      const T hl = h > T(1e-9) ? h : T(1e-9);
      // mu - h + h ln(h/mu) = h (d - log1p(d)) with d = (mu - h)/h: no cancellation between
      // large numbers near the minimum, where the fit's convergence test looks.
      const T d = (m - hl) / hl;
      b.value = h > T(1e-9) ? T(2) * h * (d - std::log1p(d))
                : h > T(0)  ? T(2) * (m - h + h * std::log(h / m))
                            : T(2) * m;
      b.d_mu = mu > min_expectation<T>() ? T(2) * (T(1) - h / m) : T(0);
      b.curvature = T(2) / m;
      b.d_h = T(2) * std::log(hl / m);
      return b;
    }
  }
}

/// The settings shared by every fit of a batch. Plain data, passed by value to kernels.
template <class T>
struct FitProblem {
  ModelSpec model;
  Estimator estimator = Estimator::neyman;
  Evaluation evaluation = Evaluation::bin_integral;
  int n_bins = 0;
  int n_params = 0;
  int n_free = 0;
  int free_index[kMaxFitParams] = {};  ///< parameter index of free slot k
  T lower[kMaxFitParams] = {};
  T upper[kMaxFitParams] = {};
  int max_iterations = 100;
  T tolerance = T(1e-8);
};

/// Calls visit(j, mu_j) for every bin with the model's expectation mu_j for parameters q
/// (plain or dual scalars): the bin integral by Simpson's rule, sharing edge evaluations
/// between neighbouring bins, or the bin-centre density times the width.
template <class S, class T, class F>
HEPCAT_HD void for_each_bin_expectation(const FitProblem<T>& P, const T* edges, const S* q,
                                        F&& visit) {
  const bool integral = P.evaluation == Evaluation::bin_integral;
  S f_left = integral ? model_density(P.model, edges[0], q) : S(T(0));
  for (int j = 0; j < P.n_bins; ++j) {
    const T a = edges[j], b = edges[j + 1], width = b - a;
    const S f_mid = model_density(P.model, T(0.5) * (a + b), q);
    if (integral) {
      const S f_right = model_density(P.model, b, q);
      visit(j, (f_left + T(4) * f_mid + f_right) * (width / T(6)));
      f_left = f_right;
    } else {
      visit(j, f_mid * width);
    }
  }
}

/// Objective, gradient and Hessian over the free parameters (H lower triangle, N x N row-major).
/// Returns false when the objective is not finite. `edges` has n_bins + 1 entries.
template <int N, class T>
HEPCAT_HD bool fit_objective(const FitProblem<T>& P, const T* edges, const T* h, const T* var,
                             const T* params, T* objective, T* g, T* H) {
  using S = Dual<T, N>;
  S q[kMaxFitParams];
  for (int i = 0; i < P.n_params; ++i) q[i] = S(params[i]);
  for (int k = 0; k < P.n_free; ++k) q[P.free_index[k]].d[k] = T(1);
  for (int k = 0; k < N; ++k) {
    g[k] = T(0);
    for (int l = 0; l < N; ++l) H[k * N + l] = T(0);
  }
  T total = T(0);
  for_each_bin_expectation(P, edges, q, [&](int j, const S& mu) {
    const BinTerm<T> t = estimator_term(P.estimator, h[j], mu.v, var ? var[j] : T(0));
    total += t.value;
    for (int k = 0; k < P.n_free; ++k) {
      g[k] += t.d_mu * mu.d[k];
      const T ck = t.curvature * mu.d[k];
      for (int l = 0; l <= k; ++l) H[k * N + l] += ck * mu.d[l];
    }
  });
  *objective = total;
  return std::isfinite(total);
}

/// d objective / d h_j at fixed parameters, into dh[n_bins]; returns the objective. At a
/// fitted minimum this is the total derivative of the fitted objective with respect to the
/// histogram (envelope theorem: d objective / d theta = 0 there, and a parameter held at a
/// bound stays there under a small change of h).
template <class T>
HEPCAT_HD T objective_gradient_in_h(const FitProblem<T>& P, const T* edges, const T* h,
                                    const T* var, const T* params, T* dh) {
  T total = T(0);
  for_each_bin_expectation(P, edges, params, [&](int j, T mu) {
    const BinTerm<T> t = estimator_term(P.estimator, h[j], mu, var ? var[j] : T(0));
    total += t.value;
    dh[j] = t.d_h;
  });
  return total;
}

/// In-place Cholesky factor (lower triangle) of the n x n leading block of a (stride N).
/// False when a pivot is not positive relative to its diagonal, i.e. the matrix is not
/// numerically positive definite.
template <int N, class T>
HEPCAT_HD bool cholesky(T* a, int n) {
  const T eps = T(64) * std::numeric_limits<T>::epsilon();
  for (int j = 0; j < n; ++j) {
    T d = a[j * N + j];
    const T scale = d;
    for (int k = 0; k < j; ++k) d -= a[j * N + k] * a[j * N + k];
    if (!(d > eps * scale) || !std::isfinite(d)) return false;
    const T root = std::sqrt(d);
    a[j * N + j] = root;
    for (int i = j + 1; i < n; ++i) {
      T s = a[i * N + j];
      for (int k = 0; k < j; ++k) s -= a[i * N + k] * a[j * N + k];
      a[i * N + j] = s / root;
    }
  }
  return true;
}

/// Solves L L^T x = b in place (b becomes x) with the factor from cholesky().
template <int N, class T>
HEPCAT_HD void cholesky_solve(const T* L, int n, T* b) {
  for (int i = 0; i < n; ++i) {
    T s = b[i];
    for (int k = 0; k < i; ++k) s -= L[i * N + k] * b[k];
    b[i] = s / L[i * N + i];
  }
  for (int i = n - 1; i >= 0; --i) {
    T s = b[i];
    for (int k = i + 1; k < n; ++k) s -= L[k * N + i] * b[k];
    b[i] = s / L[i * N + i];
  }
}

/// Copies the rows/columns `idx[0..m)` of the symmetric matrix (lower triangle of H) into a,
/// adding lambda * diagonal.
template <int N, class T>
HEPCAT_HD void gather_system(const T* H, const int* idx, int m, T lambda, T* a) {
  for (int r = 0; r < m; ++r)
    for (int c = 0; c <= r; ++c) {
      const int i = idx[r], j = idx[c];
      const T v = i >= j ? H[i * N + j] : H[j * N + i];
      a[r * N + c] = r == c ? v * (T(1) + lambda) : v;
    }
}

/// What one fit returns.
template <class T>
struct FitOutcome {
  T objective;
  FitState state;
  int iterations;
};

/// Runs one fit from `params` (all n_params values; fixed ones are kept), leaving the fitted
/// values there and the uncertainties (sqrt of diag 2 H^-1; 0 for fixed parameters, NaN when H
/// is singular) in `errors`.
template <int N, class T>
HEPCAT_HD FitOutcome<T> run_fit(const FitProblem<T>& P, const T* edges, const T* h, const T* var,
                                T* params, T* errors) {
  constexpr T kLambdaStart = T(1e-9), kLambdaMin = T(1e-12), kLambdaMax = T(1e16);
  T p[kMaxFitParams] = {}, trial[kMaxFitParams] = {};
  for (int i = 0; i < P.n_params; ++i) {
    const T v = params[i];
    p[i] = v < P.lower[i] ? P.lower[i] : v > P.upper[i] ? P.upper[i] : v;
  }
  T O, g[N], H[N * N], O2, g2[N], H2[N * N], a[N * N], step[N];
  int idx[N];
  FitOutcome<T> out{T(0), FitState::singular, 0};
  bool ok = fit_objective<N>(P, edges, h, var, p, &O, g, H);
  T lambda = kLambdaStart;
  bool converged = false, stalled = false;
  int it = 0;
  while (ok && it < P.max_iterations) {
    // Free parameters not pinned at a bound by their gradient, and with some effect on the
    // model here: a peak's position has none while its yield is 0, and moves once it is not.
    int m = 0;
    for (int k = 0; k < P.n_free; ++k) {
      const int i = P.free_index[k];
      const bool at_lower = p[i] <= P.lower[i] && g[k] > T(0);
      const bool at_upper = p[i] >= P.upper[i] && g[k] < T(0);
      if (!at_lower && !at_upper && H[k * N + k] > T(0)) idx[m++] = k;
    }
    if (m == 0) {
      converged = true;
      break;
    }
    gather_system<N>(H, idx, m, T(0), a);
    if (cholesky<N>(a, m)) {
      for (int r = 0; r < m; ++r) step[r] = g[idx[r]];
      cholesky_solve<N>(a, m, step);
      T decrement = T(0);
      for (int r = 0; r < m; ++r) decrement += g[idx[r]] * step[r];
      // The floor keeps the test meaningful when tolerance is below the objective's rounding.
      const T floor = T(64) * std::numeric_limits<T>::epsilon() * (std::abs(O) + T(1));
      if (decrement <= T(2) * (P.tolerance + floor)) {
        converged = true;
        break;
      }
    }
    ++it;
    gather_system<N>(H, idx, m, lambda, a);
    if (!cholesky<N>(a, m)) {
      lambda *= T(10);
      if (lambda > kLambdaMax) break;
      continue;
    }
    for (int r = 0; r < m; ++r) step[r] = -g[idx[r]];
    cholesky_solve<N>(a, m, step);
    for (int i = 0; i < P.n_params; ++i) trial[i] = p[i];
    for (int r = 0; r < m; ++r) {
      const int i = P.free_index[idx[r]];
      const T v = p[i] + step[r];
      trial[i] = v < P.lower[i] ? P.lower[i] : v > P.upper[i] ? P.upper[i] : v;
    }
    if (fit_objective<N>(P, edges, h, var, trial, &O2, g2, H2) && O2 <= O) {
      for (int i = 0; i < P.n_params; ++i) p[i] = trial[i];
      O = O2;
      for (int k = 0; k < N; ++k) g[k] = g2[k];
      for (int k = 0; k < N * N; ++k) H[k] = H2[k];
      lambda = lambda * T(0.1) > kLambdaMin ? lambda * T(0.1) : kLambdaMin;
    } else {
      lambda *= T(10);
      if (lambda > kLambdaMax) {
        stalled = true;
        break;
      }
    }
  }
  out.objective = ok ? O : std::numeric_limits<T>::quiet_NaN();
  out.iterations = it;
  for (int i = 0; i < P.n_params; ++i) {
    params[i] = p[i];
    errors[i] = T(0);
  }
  // Covariance 2 H^-1 over all free parameters (bound or not), column by column.
  bool positive = ok;
  if (ok && P.n_free > 0) {
    for (int k = 0; k < P.n_free; ++k) idx[k] = k;
    gather_system<N>(H, idx, P.n_free, T(0), a);
    positive = cholesky<N>(a, P.n_free);
    for (int k = 0; k < P.n_free; ++k) {
      T e[N];
      for (int r = 0; r < P.n_free; ++r) e[r] = r == k ? T(1) : T(0);
      if (positive) cholesky_solve<N>(a, P.n_free, e);
      errors[P.free_index[k]] =
          positive ? std::sqrt(T(2) * e[k]) : std::numeric_limits<T>::quiet_NaN();
    }
  }
  out.state = !positive   ? FitState::singular
              : converged ? FitState::converged
              : stalled   ? FitState::stalled
                          : FitState::max_iterations;
  return out;
}

/// The Dual width used for `n_free` free parameters: 4, 8 or 16.
inline int dual_width(int n_free) {
  return n_free <= 4 ? 4 : n_free <= 8 ? 8 : 16;
}

}  // namespace hepcat::math
