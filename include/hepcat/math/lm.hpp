// One binned fit by Levenberg-Marquardt, written once for the CPU loop (one thread per fit) and
// the CUDA kernel (a tile of lanes per fit, see SerialLanes). docs/fits.md describes the method.
//
// The objective O is a sum over bins of a per-bin term v(h, mu) of the content h and the model's
// expectation mu. Every estimator supplies v, dv/dmu, its exact d2v/dmu2 and a non-negative
// Fisher curvature c ~ E[d2v/dmu2], so the gradient is g = sum dv/dmu J and the Gauss-Newton /
// Fisher-scoring matrix is H_GN = sum c J J^T, with J = dmu/dtheta from dual numbers. The
// objective is on the chi2 scale (the Poisson estimator is the deviance, 2 (lnL_saturated - lnL)),
// so sqrt of a difference of objectives is a significance for every estimator.
//
// Step (Marquardt scaling, D = diag H_GN): (H_GN + lambda D) v = -g over the free parameters not
// held at a bound by their gradient (projected active set). Damping follows Nielsen: a step
// with gain ratio rho (actual over predicted decrease) > 0 is taken and lambda is multiplied by
// max(1/3, 1 - (2 rho - 1)^3); otherwise lambda grows by nu, and nu doubles. When a free
// parameter enters the model nonlinearly the step carries geodesic acceleration (Transtrum and
// Sethna): a = -(H_GN + lambda D)^-1 sum c J (v^T d2mu v), taken as v + a/2, and a step with
// 2 |a| > 0.75 |v| (D-norm) is refused as leaving the region where the model is nearly linear.
// That bounds the first step from a flat start, which a pure Gauss-Newton step would throw into
// another basin; lambda starts at 1e-3 then. A model linear in its free parameters (polynomial
// coefficients and yields) starts at lambda = 1e-9, the Gauss-Newton step, and converges in one.
// The trial point is clamped into the box. The fit has converged when the Newton decrement
// g^T H_GN^-1 g is below 2 * tolerance, i.e. the objective is within `tolerance` of its minimum.
//
// At the end the exact Hessian H of O (second derivatives of the model through second-order
// dual numbers) gives what MINUIT's HESSE gives: covariance V = 2 up H^-1 (up = errordef, 1 on
// the chi2 scale), EDM = g^T H^-1 g / 2, and `valid` = converged, EDM <= edm_max and H positive
// definite.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "hepcat/math/dual.hpp"
#include "hepcat/math/fit_models.hpp"
#include "hepcat/math/hd.hpp"
#include "hepcat/math/linalg.hpp"

namespace hepcat::math {

// The fit's large functions are called from several places (starts, profiles, the background-only
// fit); on the device each inlined copy multiplies compile time and code size, so they stay calls.
#if defined(__CUDACC__)
#define HEPCAT_FIT_CALL __noinline__
#else
#define HEPCAT_FIT_CALL
#endif

using hepcat::Estimator;  // hepcat/fit_settings.hpp
using hepcat::FitState;

/// One bin's contribution: value, d/dmu, exact d2/dmu2, Fisher curvature in mu (>= 0), and d/dh
/// at fixed mu.
template <class T>
struct BinTerm {
  T value, d_mu, d2_mu, curvature, d_h;
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
      b.d2_mu = b.curvature;
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
      b.d2_mu = mu > min_expectation<T>() ? T(2) * h * h / (m * m * m) : T(0);
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
      b.d2_mu = mu > min_expectation<T>() ? T(2) * h / (m * m) : T(0);
      b.d_h = T(2) * std::log(hl / m);
      return b;
    }
  }
}

/// Bin j's objective when its expectation mu carries a template uncertainty of variance s
/// (fit_models.hpp, template_sum), for a plain or dual scalar S (the derivatives in the
/// parameters follow from the arithmetic). The chi2 estimators add s to the bin's variance:
/// (h - mu)^2 / (V + s) with V = max(h, 1), the given variance or mu; this is the chi2 with a
/// Gaussian scale factor on the bin's template part profiled out. The Poisson deviance takes
/// Barlow-Beeston-lite: mu scaled by gamma with a Gaussian constraint of width sqrt(s) / mu,
/// profiled out in closed form (gamma^2 + (s/mu - 1) gamma - h s / mu^2 = 0, the positive root),
/// giving 2 (gamma mu - h + h ln(h / (gamma mu))) + (gamma - 1)^2 mu^2 / s.
template <class S, class T>
HEPCAT_HD S template_bin_objective(Estimator e, T h, const S& mu, const S& s, T var) {
  using std::log;
  using std::sqrt;
  if (e == Estimator::neyman || e == Estimator::variance) {
    const T v = e == Estimator::neyman ? (h > T(1) ? h : T(1)) : var;
    if (!(v > T(0))) return S(T(0));
    const S r = h - mu;
    return r * r / (s + v);
  }
  const S m = mu > min_expectation<T>() ? mu : S(min_expectation<T>());
  if (e == Estimator::pearson) {
    const S r = h - m;
    return r * r / (m + s);
  }
  if (!(s > T(0))) return h > T(0) ? T(2) * (m - h) - T(2) * h * (log(m) - std::log(h)) : T(2) * m;
  const S b = s / m, c = h * s / (m * m), one_b = T(1) - b;
  const S root = sqrt(one_b * one_b + T(4) * c);
  // The root without cancellation on either side of b = 1.
  const S gamma = b < T(1) ? T(0.5) * (one_b + root) : T(2) * c / (root - one_b);
  const S gm = gamma * m, g1 = gamma - T(1);
  const S value = T(2) * gm + g1 * g1 * m * m / s;
  return h > T(0) ? value - T(2) * h - T(2) * h * (log(gm) - std::log(h)) : value;
}

/// The Fisher curvature of template_bin_objective in mu, 2 / (V + s) (V as there; mu for the
/// Poisson deviance), for the Gauss-Newton matrix.
template <class T>
HEPCAT_HD T template_bin_curvature(Estimator e, T h, T mu, T s, T var) {
  const T v = e == Estimator::neyman     ? (h > T(1) ? h : T(1))
              : e == Estimator::variance ? var
                                         : (mu > min_expectation<T>() ? mu : min_expectation<T>());
  return v > T(0) ? T(2) / (v + s) : T(0);
}

/// The threads that run one fit together. Lane r of L::kSize owns the free slots r S .. r S + S - 1
/// (S = N / L::kSize): it carries their derivatives through the model and accumulates their rows
/// of the normal equations, while every lane walks every bin and computes the model's value, so
/// each lane needs only S derivatives and S rows in registers. The N x N system lives in a
/// FitWorkspace that all lanes see; one lane (rank 0) factors and solves it. Every decision of
/// the fit is taken from values that are identical in all lanes, so the lanes never diverge.
/// A lanes type has kSize, rank(), shfl(x, lane) (x as held by that lane) and sync() (writes
/// before it are visible to every lane after it). SerialLanes is one thread doing everything,
/// the CPU twin's layout; the kernel's tile of lanes is in kernels/fit.cu.
struct SerialLanes {
  static constexpr int kSize = 1;
  HEPCAT_HD int rank() const { return 0; }
  template <class T>
  HEPCAT_HD T shfl(T x, int) const {
    return x;
  }
  HEPCAT_HD void sync() const {}
};

/// Runs f on lane 0 alone, after every lane has finished reading what f may overwrite and
/// before any lane reads what f writes.
template <class L, class F>
HEPCAT_HD void on_leader(const L& lanes, F&& f) {
  lanes.sync();
  if (lanes.rank() == 0) f();
  lanes.sync();
}

/// The state of one fit that all its lanes share: the current and trial normal equations (lower
/// triangles, N x N row-major), the factored system, the step, its acceleration, and one flag
/// and one value passed from lane 0 to the others.
template <class T, int N>
struct FitWorkspace {
  T H[N * N], H2[N * N], a[N * N];
  T g[N], g2[N], step[N], acc[N], rhs[N];
  T value;
  int flag;
};
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
  T errordef = T(1);    ///< objective change defining one standard deviation (chi2 scale)
  T edm_max = T(2e-4);  ///< `valid` needs EDM at most this (MINUIT's 0.002 * 0.1 * errordef)
  bool linear = false;  ///< the model is linear in every free parameter
  int starts = 1;       ///< starting points per fit (see run_fit_starts)
  /// For a linear model with the same fixed values in every fit (set by the host, else null):
  /// n_bins rows of n_free + 1 values, the expectation with the free parameters at 0, then
  /// d mu / d theta_k. The fit then needs no model evaluation.
  const T* basis = nullptr;
  int n_minos = 0;                      ///< parameters with profile-likelihood intervals
  int minos_index[kMaxFitParams] = {};  ///< their indices
  bool significance = false;            ///< also fit without the signal (see fit_one)
  /// model.templates rows of n_bins normalised template contents (fit_models.hpp), and null or
  /// as many normalised variances; set by the host (device pointers on CUDA).
  const T* template_fractions = nullptr;
  const T* template_variances = nullptr;
};

/// Dual-number parameters: the values of `params`, with a unit derivative d[s] along the free
/// slot slot(s) for s < n (two s may share a slot).
template <class S, class T, class Slot>
HEPCAT_HD void dual_parameters(const FitProblem<T>& P, const T* params, int n, const Slot& slot,
                               S* q) {
  for (int i = 0; i < P.n_params; ++i) q[i] = S(params[i]);
  for (int s = 0; s < n; ++s) q[P.free_index[slot(s)]].d[s] = T(1);
}

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
    S mu = f_mid * width;
    if (integral) {
      const S f_right = model_density(P.model, b, q);
      mu = (f_left + T(4) * f_mid + f_right) * (width / T(6));
      f_left = f_right;
    }
    if (P.model.templates > 0 && P.template_fractions)
      mu = mu + template_sum(P.model, P.n_bins, P.template_fractions, j, q, 1);
    visit(j, mu);
  }
}

/// Calls visit(j, mu_j, q) for every bin with the expectation as a Dual<T, N / L::kSize>
/// carrying the derivatives in the free slots this lane owns (first = rank S, 0 beyond n_free),
/// and the dual parameters q it was computed from.
template <int N, class L, class T, class F>
HEPCAT_HD void for_each_bin_lane_dual(const L& lanes, const FitProblem<T>& P, const T* edges,
                                      const T* params, F&& visit) {
  constexpr int S = N / L::kSize;
  const int first = lanes.rank() * S;
  using D = Dual<T, S>;
  D q[kMaxFitParams];
  const int rest = P.n_free - first;
  dual_parameters(
      P, params, rest < S ? rest : S, [&](int s) { return first + s; }, q);
  for_each_bin_expectation(P, edges, q, [&](int j, const D& mu) { visit(j, mu, q); });
}

/// Calls visit(j, mu_j, d_j) for every bin with the expectation and the derivatives d_j[s] in the
/// free slots this lane owns (first = rank S, 0 beyond n_free): from P.basis when the batch has
/// one (a model linear in its free parameters, the same fixed values in every fit), else through
/// dual numbers carrying S derivatives.
template <int N, class L, class T, class F>
HEPCAT_HD void for_each_bin_jacobian(const L& lanes, const FitProblem<T>& P, const T* edges,
                                     const T* params, F&& visit) {
  constexpr int S = N / L::kSize;
  const int first = lanes.rank() * S;
  if (P.basis) {
    const int w = P.n_free + 1;
    for (int j = 0; j < P.n_bins; ++j) {
      const T* b = P.basis + j * w;
      T mu = b[0];
      for (int k = 0; k < P.n_free; ++k) mu += b[k + 1] * params[P.free_index[k]];
      T d[S];
      for (int s = 0; s < S; ++s) d[s] = first + s < P.n_free ? b[first + s + 1] : T(0);
      visit(j, mu, static_cast<const T*>(d));
    }
    return;
  }
  for_each_bin_lane_dual<N>(lanes, P, edges, params,
                            [&](int j, const auto& mu, const auto*) { visit(j, mu.v, mu.d); });
}

/// Objective, gradient and Hessian over the free parameters (H lower triangle, N x N row-major,
/// 0 above the diagonal and beyond n_free): the Gauss-Newton / Fisher-scoring H = sum c J J^T,
/// or with `exact` sum d2v/dmu2 J J^T, which is the exact Hessian of a model linear in its free
/// parameters. With template uncertainties the gradient comes from dual numbers through
/// template_bin_objective and H from template_bin_curvature (such a model is never linear, so
/// `exact` does not apply). Each lane writes the rows of its slots, the other lanes' derivatives
/// reach it by shuffles; every entry is summed over the bins in order whatever the lanes.
/// Returns false when the objective is not finite. `edges` has n_bins + 1 entries.
template <int N, class L, class T>
HEPCAT_HD bool fit_objective(const L& lanes, const FitProblem<T>& P, const T* edges, const T* h,
                             const T* var, const T* params, T* objective, T* g, T* H,
                             bool exact = false) {
  constexpr int S = N / L::kSize;
  const int first = lanes.rank() * S;
  T gs[S], Hs[S][N];
  for (int s = 0; s < S; ++s) {
    gs[s] = T(0);
    for (int l = 0; l < N; ++l) Hs[s][l] = T(0);
  }
  T total = T(0);
  // One bin's share: its value, grad(s) = d value / d theta in this lane's slot s, and c d d^T
  // with d = d mu / d theta.
  const auto add = [&](T value, T c, const T* d, const auto& grad) {
    total += value;
    T ck[S];
    for (int s = 0; s < S; ++s) {
      gs[s] += grad(s);
      ck[s] = c * d[s];
    }
    for (int l = 0; l < N; ++l) {
      const T dl = lanes.shfl(d[l % S], l / S);
      for (int s = 0; s < S; ++s)
        if (l <= first + s) Hs[s][l] += ck[s] * dl;
    }
  };
  if (P.template_variances) {
    for_each_bin_lane_dual<N>(lanes, P, edges, params, [&](int j, const auto& mu, const auto* q) {
      const T vj = var ? var[j] : T(0);
      const auto tv = template_sum(P.model, P.n_bins, P.template_variances, j, q, 2);
      const auto v = template_bin_objective(P.estimator, h[j], mu, tv, vj);
      add(v.v, template_bin_curvature(P.estimator, h[j], mu.v, tv.v, vj), mu.d,
          [&](int s) { return v.d[s]; });
    });
  } else {
    for_each_bin_jacobian<N>(lanes, P, edges, params, [&](int j, T mu, const T* d) {
      const BinTerm<T> t = estimator_term(P.estimator, h[j], mu, var ? var[j] : T(0));
      add(t.value, exact ? t.d2_mu : t.curvature, d, [&](int s) { return t.d_mu * d[s]; });
    });
  }
  lanes.sync();
  for (int s = 0; s < S; ++s) {
    g[first + s] = gs[s];
    for (int l = 0; l < N; ++l) H[(first + s) * N + l] = Hs[s][l];
  }
  lanes.sync();
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

/// Gradient and exact Hessian of the objective in the free slots slots[0..n) (a slot may appear
/// twice), from second-order dual numbers of width W: g[s] and Hb[s W + u] (u <= s), with
/// H = sum d2v/dmu2 J J^T + dv/dmu d2mu/dtheta2, or with template uncertainties the second
/// derivatives of template_bin_objective carried by the duals.
template <int W, class T>
HEPCAT_HD void exact_hessian_block(const FitProblem<T>& P, const T* edges, const T* h, const T* var,
                                   const T* params, const int* slots, int n, T* g, T* Hb) {
  using S = Dual2<T, W>;
  S q[kMaxFitParams];
  dual_parameters(
      P, params, n, [&](int s) { return slots[s]; }, q);
  for (int s = 0; s < W; ++s) {
    g[s] = T(0);
    for (int u = 0; u < W; ++u) Hb[s * W + u] = T(0);
  }
  for_each_bin_expectation(P, edges, q, [&](int j, const S& mu) {
    if (P.template_variances) {
      const S tv = template_sum(P.model, P.n_bins, P.template_variances, j, q, 2);
      const S v = template_bin_objective(P.estimator, h[j], mu, tv, var ? var[j] : T(0));
      for (int s = 0; s < n; ++s) {
        g[s] += v.d[s];
        for (int u = 0; u <= s; ++u) Hb[s * W + u] += v.h[s * (s + 1) / 2 + u];
      }
      return;
    }
    const BinTerm<T> t = estimator_term(P.estimator, h[j], mu.v, var ? var[j] : T(0));
    for (int s = 0; s < n; ++s) {
      g[s] += t.d_mu * mu.d[s];
      const T cs = t.d2_mu * mu.d[s];
      for (int u = 0; u <= s; ++u)
        Hb[s * W + u] += cs * mu.d[u] + t.d_mu * mu.h[s * (s + 1) / 2 + u];
    }
  });
}

/// Gradient and exact Hessian (full symmetric N x N over the free parameters) at `params`, whose
/// objective the fit already knows. One thread carries all N slots in one pass; a tile of
/// lanes shares the N (N + 1) / 2 entries out, each entry from a pass of width-2 duals seeded
/// in its two slots, so no lane holds more than 6 doubles per dual value.
template <int N, class L, class T>
HEPCAT_FIT_CALL HEPCAT_HD void fit_exact_hessian(const L& lanes, const FitProblem<T>& P,
                                                 const T* edges, const T* h, const T* var,
                                                 const T* params, T* g, T* H) {
  const int nf = P.n_free;
  if constexpr (L::kSize == 1) {
    int slots[N];
    for (int k = 0; k < N; ++k) slots[k] = k;
    exact_hessian_block<N>(P, edges, h, var, params, slots, nf, g, H);
    for (int k = 0; k < nf; ++k)
      for (int l = 0; l < k; ++l) H[l * N + k] = H[k * N + l];
  } else {
    lanes.sync();
    for (int pair = lanes.rank(); pair < nf * (nf + 1) / 2; pair += L::kSize) {
      int k = 0;
      while ((k + 1) * (k + 2) / 2 <= pair) ++k;
      const int l = pair - k * (k + 1) / 2;
      // Slot 1 is k, as row k of the one-pass layout: the same products in the same order.
      const int slots[2] = {l, k};
      T gb[2], Hb[4];
      exact_hessian_block<2>(P, edges, h, var, params, slots, 2, gb, Hb);
      H[k * N + l] = H[l * N + k] = Hb[2];
      if (k == l) g[k] = gb[0];
    }
    lanes.sync();
  }
}

/// The right-hand side of geodesic acceleration for the step `dir` (n_params values, 0 for
/// fixed parameters): r_k = sum_j c_j dmu_j/dtheta_k (dir^T d2mu_j/dtheta2 dir) over the free
/// slots k, c_j the Fisher curvature, all at `params`. Each lane writes its slots' entries.
template <int N, class L, class T>
HEPCAT_FIT_CALL HEPCAT_HD void fit_acceleration_rhs(const L& lanes, const FitProblem<T>& P,
                                                    const T* edges, const T* h, const T* var,
                                                    const T* params, const T* dir, T* r) {
  constexpr int S = N / L::kSize;
  const int first = lanes.rank() * S;
  using D = DualDir<T, S>;
  D q[kMaxFitParams];
  for (int i = 0; i < P.n_params; ++i) {
    q[i] = D(params[i]);
    q[i].u.d[0] = dir[i];
  }
  for (int s = 0; s < S && first + s < P.n_free; ++s) q[P.free_index[first + s]].j.d[s] = T(1);
  T rs[S];
  for (int s = 0; s < S; ++s) rs[s] = T(0);
  for_each_bin_expectation(P, edges, q, [&](int j, const D& mu) {
    const BinTerm<T> t = estimator_term(P.estimator, h[j], mu.j.v, var ? var[j] : T(0));
    const T w = t.curvature * mu.u.h[0];
    for (int s = 0; s < S; ++s) rs[s] += w * mu.j.d[s];
  });
  lanes.sync();
  for (int s = 0; s < S; ++s) r[first + s] = rs[s];
  lanes.sync();
}

/// What one fit returns besides its parameters, errors and covariance.
template <class T>
struct FitOutcome {
  T objective;      ///< at the fitted parameters
  T edm;            ///< estimated distance to the minimum, g^T H^-1 g / 2 (exact H)
  FitState state;   ///< how the minimisation ended
  int iterations;   ///< Levenberg-Marquardt steps tried
  int evaluations;  ///< objective evaluations (with gradient) including the final Hessian
  bool valid;       ///< converged, EDM <= edm_max and the Hessian positive definite
  int at_limit;     ///< bit i set when free parameter i ends on one of its bounds
};

/// Runs one fit from `params` (all n_params values; fixed ones are kept), leaving the fitted
/// values there, the uncertainties sqrt(diag V) in `errors` (0 for fixed parameters, NaN when
/// the Hessian is not positive definite) and, when `covariance` is not null, the n_params x
/// n_params covariance V = 2 errordef H^-1 there (rows and columns of fixed parameters 0).
/// All lanes of `lanes` call it with the same arguments and get the same outcome.
template <int N, class L, class T>
HEPCAT_FIT_CALL HEPCAT_HD FitOutcome<T> run_fit(const L& lanes, FitWorkspace<T, N>& w,
                                                const FitProblem<T>& P, const T* edges, const T* h,
                                                const T* var, T* params, T* errors, T* covariance) {
  constexpr T kLambdaMin = T(1e-12), kLambdaMax = T(1e16), kMaxAcceleration = T(0.75);
  T p[kMaxFitParams] = {}, trial[kMaxFitParams] = {}, dir[kMaxFitParams] = {};
  for (int i = 0; i < P.n_params; ++i) {
    const T v = params[i];
    p[i] = v < P.lower[i] ? P.lower[i] : v > P.upper[i] ? P.upper[i] : v;
  }
  // g, H: at p; g2, H2: at the trial point; an accepted step swaps them.
  T *g = w.g, *H = w.H, *g2 = w.g2, *H2 = w.H2;
  T O, O2;
  int idx[N];
  FitOutcome<T> out{T(0), T(0), FitState::singular, 0, 1, false, 0};
  bool ok = fit_objective<N>(lanes, P, edges, h, var, p, &O, g, H);
  T lambda = P.linear ? T(1e-9) : T(1e-3), nu = T(2);
  bool converged = false, stalled = false;
  int it = 0;
  auto refuse = [&] {
    lambda *= nu;
    nu *= T(2);
    return lambda > kLambdaMax;
  };
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
    on_leader(lanes, [&] {
      w.flag = 0;
      gather_system<N>(H, idx, m, T(0), w.a);
      if (!cholesky(m, w.a, N)) return;
      for (int r = 0; r < m; ++r) w.step[r] = g[idx[r]];
      cholesky_solve(m, w.a, N, w.step);
      T decrement = T(0);
      for (int r = 0; r < m; ++r) decrement += g[idx[r]] * w.step[r];
      // The floor keeps the test meaningful when tolerance is below the objective's rounding.
      const T floor = T(64) * std::numeric_limits<T>::epsilon() * (std::abs(O) + T(1));
      w.flag = decrement <= T(2) * (P.tolerance + floor);
    });
    if (w.flag) {
      converged = true;
      break;
    }
    ++it;
    on_leader(lanes, [&] {
      gather_system<N>(H, idx, m, lambda, w.a);
      w.flag = cholesky(m, w.a, N);
      for (int r = 0; r < m; ++r) {
        w.step[r] = -g[idx[r]];
        w.acc[r] = T(0);
      }
      if (w.flag) cholesky_solve(m, w.a, N, w.step);
    });
    if (!w.flag) {
      if (refuse()) break;
      continue;
    }
    T predicted = T(0), v_norm = T(0);
    for (int r = 0; r < m; ++r) {
      T hv = T(0);
      for (int c = 0; c < m; ++c) {
        const int i = idx[r], j = idx[c];
        hv += (i >= j ? H[i * N + j] : H[j * N + i]) * w.step[c];
      }
      const T d = H[idx[r] * N + idx[r]] * w.step[r] * w.step[r];
      predicted += T(0.5) * w.step[r] * hv + lambda * d;
      v_norm += d;
    }
    if (!P.linear) {
      for (int i = 0; i < P.n_params; ++i) dir[i] = T(0);
      for (int r = 0; r < m; ++r) dir[P.free_index[idx[r]]] = w.step[r];
      fit_acceleration_rhs<N>(lanes, P, edges, h, var, p, dir, w.rhs);
      ++out.evaluations;
      on_leader(lanes, [&] {
        for (int r = 0; r < m; ++r) w.acc[r] = -w.rhs[idx[r]];
        cholesky_solve(m, w.a, N, w.acc);
        T a_norm = T(0);
        for (int r = 0; r < m; ++r) a_norm += H[idx[r] * N + idx[r]] * w.acc[r] * w.acc[r];
        w.value = a_norm;
      });
      if (!(T(4) * w.value <= kMaxAcceleration * kMaxAcceleration * v_norm)) {
        if (refuse()) {
          stalled = true;
          break;
        }
        continue;
      }
    }
    for (int i = 0; i < P.n_params; ++i) trial[i] = p[i];
    for (int r = 0; r < m; ++r) {
      const int i = P.free_index[idx[r]];
      const T v = p[i] + w.step[r] + T(0.5) * w.acc[r];
      trial[i] = v < P.lower[i] ? P.lower[i] : v > P.upper[i] ? P.upper[i] : v;
    }
    ++out.evaluations;
    if (fit_objective<N>(lanes, P, edges, h, var, trial, &O2, g2, H2) && O2 <= O) {
      const T rho = predicted > T(0) ? (O - O2) / predicted : T(1);
      for (int i = 0; i < P.n_params; ++i) p[i] = trial[i];
      O = O2;
      T* t = g;
      g = g2;
      g2 = t;
      t = H;
      H = H2;
      H2 = t;
      const T s = T(2) * rho - T(1), shrink = T(1) - s * s * s;
      lambda *= shrink > T(1) / T(3) ? shrink : T(1) / T(3);
      lambda = lambda > kLambdaMin ? lambda : kLambdaMin;
      nu = T(2);
    } else if (refuse()) {
      stalled = true;
      break;
    }
  }
  out.iterations = it;
  // HESSE: the exact Hessian at the end, inverted over all free parameters (bound or not).
  const bool hesse = ok && P.n_free > 0;
  if (hesse) {
    // A linear model has no second derivatives of mu: with the Neyman or variance chi2 the
    // Gauss-Newton matrix at the last point is already exact, the others weigh by d2v/dmu2.
    const bool chi2 = P.estimator == Estimator::neyman || P.estimator == Estimator::variance;
    if (!P.linear) {
      ++out.evaluations;
      fit_exact_hessian<N>(lanes, P, edges, h, var, p, g, H);
    } else if (!chi2) {
      ++out.evaluations;
      ok = fit_objective<N>(lanes, P, edges, h, var, p, &O, g, H, true);
    }
    for (int k = 0; k < P.n_free; ++k) {
      const int i = P.free_index[k];
      if (p[i] - P.lower[i] <= T(1e-10) * (std::abs(p[i]) + T(1)) ||
          P.upper[i] - p[i] <= T(1e-10) * (std::abs(p[i]) + T(1)))
        out.at_limit |= 1 << i;
    }
  }
  // Every lane writes the parameters (the same values), so a caller's private copy is current
  // in every lane; the errors and the covariance come from lane 0.
  for (int i = 0; i < P.n_params; ++i) params[i] = p[i];
  on_leader(lanes, [&] {
    for (int i = 0; i < P.n_params; ++i) errors[i] = T(0);
    if (covariance)
      for (int i = 0; i < P.n_params * P.n_params; ++i) covariance[i] = T(0);
    w.flag = ok;
    w.value = T(0);
    if (!hesse) return;
    for (int k = 0; k < P.n_free; ++k)
      for (int l = 0; l < k; ++l) H[l * N + k] = H[k * N + l];
    for (int k = 0; k < N * N; ++k) w.a[k] = H[k];
    const bool positive = ok && cholesky(P.n_free, w.a, N);
    T edm = T(0);
    for (int k = 0; k < P.n_free; ++k) {
      const int i = P.free_index[k];
      if (!positive) {
        errors[i] = std::numeric_limits<T>::quiet_NaN();
        continue;
      }
      T e[N];
      for (int r = 0; r < P.n_free; ++r) e[r] = r == k ? T(1) : T(0);
      cholesky_solve(P.n_free, w.a, N, e);
      errors[i] = std::sqrt(T(2) * P.errordef * e[k]);
      if (covariance)
        for (int r = 0; r < P.n_free; ++r)
          covariance[i * P.n_params + P.free_index[r]] = T(2) * P.errordef * e[r];
      // EDM over the parameters free to move: one held at a bound keeps its outward gradient.
      if (out.at_limit >> i & 1) continue;
      for (int r = 0; r < P.n_free; ++r)
        if (!(out.at_limit >> P.free_index[r] & 1)) edm += T(0.5) * g[k] * e[r] * g[r];
    }
    w.flag = positive;
    w.value = edm;
  });
  const bool positive = w.flag != 0;
  out.objective = ok ? O : std::numeric_limits<T>::quiet_NaN();
  out.edm = positive ? w.value : std::numeric_limits<T>::quiet_NaN();
  out.state = !positive   ? FitState::singular
              : converged ? FitState::converged
              : stalled   ? FitState::stalled
                          : FitState::max_iterations;
  out.valid = out.state == FitState::converged && out.edm <= P.edm_max;
  return out;
}

/// The parameter spread over the starting points of run_fit_starts: the signal's mean when it
/// is free, else -1.
template <class T>
HEPCAT_HD int start_parameter(const FitProblem<T>& P) {
  if (P.model.signal == Signal::none) return -1;
  const int mean = background_parameter_count(P.model) + 1;
  for (int k = 0; k < P.n_free; ++k)
    if (P.free_index[k] == mean) return mean;
  return -1;
}

/// run_fit from P.starts starting points, keeping the lowest objective (the earliest on a tie):
/// the given values, then the same with the signal's mean at lo + (hi - lo) k / starts for
/// k = 1 .. starts - 1, [lo, hi] its bounds within the histogram's range. Iterations and
/// evaluations are those of the kept fit. One start, or no free mean, is run_fit itself.
template <int N, class L, class T>
HEPCAT_HD FitOutcome<T> run_fit_starts(const L& lanes, FitWorkspace<T, N>& w,
                                       const FitProblem<T>& P, const T* edges, const T* h,
                                       const T* var, T* params, T* errors, T* covariance) {
  const int s = start_parameter(P);
  if (P.starts <= 1 || s < 0)
    return run_fit<N>(lanes, w, P, edges, h, var, params, errors, covariance);
  const T x_lo = T(P.model.x_lo), x_hi = T(P.model.x_hi);
  const T lo = P.lower[s] > x_lo ? P.lower[s] : x_lo, hi = P.upper[s] < x_hi ? P.upper[s] : x_hi;
  T p[kMaxFitParams], e[kMaxFitParams];
  int best = -1;
  T best_objective = T(0);
  for (int k = 0; k < P.starts; ++k) {
    for (int i = 0; i < P.n_params; ++i) p[i] = params[i];
    if (k > 0) p[s] = lo + (hi - lo) * T(k) / T(P.starts);
    const FitOutcome<T> r = run_fit<N>(lanes, w, P, edges, h, var, p, e, static_cast<T*>(nullptr));
    if (std::isfinite(r.objective) && (best < 0 || r.objective < best_objective)) {
      best = k;
      best_objective = r.objective;
    }
  }
  if (best > 0) on_leader(lanes, [&] { params[s] = lo + (hi - lo) * T(best) / T(P.starts); });
  return run_fit<N>(lanes, w, P, edges, h, var, params, errors, covariance);
}

/// `P` without parameter `drop` (and without the model-evaluation shortcut, whose columns are
/// those of P's free set): the problem a profile or a background-only fit solves.
template <class T>
HEPCAT_HD FitProblem<T> without_parameter(const FitProblem<T>& P, int drop) {
  FitProblem<T> Q = P;
  Q.basis = nullptr;
  Q.n_free = 0;
  for (int k = 0; k < P.n_free; ++k)
    if (P.free_index[k] != drop) Q.free_index[Q.n_free++] = P.free_index[k];
  Q.starts = 1;
  Q.n_minos = 0;
  Q.significance = false;
  return Q;
}

/// MINOS-like profile-likelihood interval of parameter i around the minimum `best` (all
/// n_params values, objective `minimum`, HESSE error `error`): the values where the objective
/// minimised over the other free parameters is minimum + errordef. Each side is found by the
/// secant method on sqrt(profile - minimum), which is nearly linear in the parameter, starting
/// one HESSE error out; each profile point is a fit started from the previous one. Writes the
/// offsets from best[i] (lower <= 0 <= upper); a side stopped by a bound gives the bound, one
/// that does not converge in 30 profile fits NaN.
template <int N, class L, class T>
HEPCAT_FIT_CALL HEPCAT_HD void run_minos(const L& lanes, FitWorkspace<T, N>& w,
                                         const FitProblem<T>& P, const T* edges, const T* h,
                                         const T* var, const T* best, T minimum, T error, int i,
                                         T* lower, T* upper) {
  FitProblem<T> Q = without_parameter(P, i);
  Q.tolerance = P.tolerance < T(1e-10) ? P.tolerance : T(1e-10);
  const T target = std::sqrt(P.errordef);
  T p[kMaxFitParams], e[kMaxFitParams];
  for (int side = 0; side < 2; ++side) {
    const T sign = side == 0 ? T(-1) : T(1);
    const T bound = side == 0 ? P.lower[i] : P.upper[i];
    T result = std::numeric_limits<T>::quiet_NaN();
    T t0 = T(0), s0 = T(0), t1 = sign * error;  // offsets from best[i] and sqrt(profile rise)
    for (int k = 0; k < P.n_params; ++k) p[k] = best[k];
    for (int iter = 0; iter < 30 && std::isfinite(t1); ++iter) {
      bool at_bound = false;
      if (sign * (best[i] + t1) >= sign * bound) {
        t1 = bound - best[i];
        at_bound = true;
      }
      p[i] = best[i] + t1;
      const FitOutcome<T> r =
          run_fit<N>(lanes, w, Q, edges, h, var, p, e, static_cast<T*>(nullptr));
      if (!std::isfinite(r.objective)) break;
      const T rise = r.objective - minimum;
      const T s1 = std::sqrt(rise > T(0) ? rise : T(0));
      if (at_bound && s1 <= target) {
        result = t1;
        break;
      }
      if (std::abs(s1 - target) <= T(1e-7) * target) {
        result = t1;
        break;
      }
      const T t2 = s1 != s0 ? t1 + (target - s1) * (t1 - t0) / (s1 - s0) : t1 * T(2);
      t0 = t1;
      s0 = s1;
      // Stay on this side and move at most a factor 4 per step.
      t1 = sign * t2 <= T(0) ? t1 / T(4) : std::abs(t2) > T(4) * std::abs(t1) ? T(4) * t1 : t2;
    }
    if (lanes.rank() == 0) *(side == 0 ? lower : upper) = result;
  }
}

/// Per-fit output arrays of a batch (fit i at i x its size); the ones after `iterations` may be
/// null and are then not written. at_limit holds run_fit's bit mask.
template <class T>
struct FitOutputs {
  T* params;  ///< n_params per fit: initial values on entry, fitted ones on exit
  T* errors;
  T* objective;
  int* state;
  int* iterations;
  T* covariance = nullptr;  ///< n_params x n_params per fit
  T* edm = nullptr;
  int* evaluations = nullptr;
  int* valid = nullptr;
  int* at_limit = nullptr;
  T* minos = nullptr;         ///< n_minos x (lower, upper) per fit
  T* significance = nullptr;  ///< signed sqrt(objective without signal - objective)
};

/// Fit number i of a batch (n_bins values per histogram), results into `o`, by the lanes
/// `lanes` with the workspace `w` (lane 0 writes the per-fit outputs).
template <int N, class L, class T>
HEPCAT_HD void fit_one(const L& lanes, FitWorkspace<T, N>& w, const FitProblem<T>& P,
                       const T* edges, const T* histograms, const T* variances,
                       const FitOutputs<T>& o, std::size_t i) {
  const std::size_t nb = static_cast<std::size_t>(P.n_bins), np = P.n_params;
  const bool leader = lanes.rank() == 0;
  const FitOutcome<T> r = run_fit_starts<N>(
      lanes, w, P, edges, histograms + i * nb, variances ? variances + i * nb : nullptr,
      o.params + i * np, o.errors + i * np, o.covariance ? o.covariance + i * np * np : nullptr);
  if (leader) {
    o.objective[i] = r.objective;
    o.state[i] = static_cast<int>(r.state);
    o.iterations[i] = r.iterations;
    if (o.edm) o.edm[i] = r.edm;
    if (o.evaluations) o.evaluations[i] = r.evaluations;
    if (o.valid) o.valid[i] = r.valid ? 1 : 0;
    if (o.at_limit) o.at_limit[i] = r.at_limit;
  }
  const T* best = o.params + i * np;
  const T* hist = histograms + i * nb;
  const T* v = variances ? variances + i * nb : nullptr;
  if (o.minos)
    for (int m = 0; m < P.n_minos; ++m) {
      const int k = P.minos_index[m];
      T* out = o.minos + (i * P.n_minos + m) * 2;
      if (std::isfinite(r.objective) && o.errors[i * np + k] > T(0))
        run_minos<N>(lanes, w, P, edges, hist, v, best, r.objective, o.errors[i * np + k], k, out,
                     out + 1);
      else if (leader)
        out[0] = out[1] = std::numeric_limits<T>::quiet_NaN();
    }
  // The likelihood ratio of signal plus background against background alone: the signal's
  // yield fixed at 0 (its shape parameters then have no effect and are fixed too).
  if (o.significance && P.significance) {
    const int nb_params = background_parameter_count(P.model);
    FitProblem<T> Q = without_parameter(P, nb_params);
    for (int k = nb_params + 1; k < first_template_parameter(P.model); ++k)
      Q = without_parameter(Q, k);
    T p[kMaxFitParams], e[kMaxFitParams];
    for (int k = 0; k < P.n_params; ++k) p[k] = best[k];
    p[nb_params] = T(0);
    const FitOutcome<T> b = run_fit<N>(lanes, w, Q, edges, hist, v, p, e, static_cast<T*>(nullptr));
    const T rise = b.objective - r.objective;
    if (leader)
      o.significance[i] =
          (best[nb_params] < T(0) ? T(-1) : T(1)) * std::sqrt(rise > T(0) ? rise : T(0));
  }
}

/// The Dual width used for `n_free` free parameters: 4, 8 or 16.
inline int dual_width(int n_free) {
  return n_free <= 4 ? 4 : n_free <= 8 ? 8 : 16;
}

}  // namespace hepcat::math
