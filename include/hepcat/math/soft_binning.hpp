// Differentiable category memberships of the GATO binning (SCIENCE.md section 1): sigmoid bin
// boundaries per variable (combined by outer product) and Gaussian-mixture categories with a
// temperature-scaled softmax, plus the maps from unconstrained parameters to boundaries, means,
// Cholesky factors and mixture weights, each with its backward pass.
#pragma once

#include <cmath>
#include <type_traits>

#include "hepcat/binning_settings.hpp"
#include "hepcat/math/elementary.hpp"
#include "hepcat/math/hd.hpp"
#include "hepcat/math/normal.hpp"
#include "hepcat/math/softmax.hpp"

namespace hepcat::math {

constexpr int kMaxSoftBins = 64;    ///< categories per model (per-event arrays live in registers)
constexpr int kMaxGmmDim = 8;       ///< GMM dimensions
constexpr int kMaxSigmoidVars = 4;  ///< variables of the sigmoid outer product
constexpr double kGmmOffDiagonalScale = 0.1;  ///< off-diagonal Cholesky entries = 0.1 * raw

// ---- sigmoid boundaries -----------------------------------------------------------------------

/// Ordered boundaries of one variable by construction: b_j = lo + (hi - lo) c_j, where c is the
/// cumulative sum of softmax([raw_0, ..., raw_{n-2}, 0]); n - 1 boundaries for n bins.
template <class T>
HEPCAT_HD void sigmoid_boundaries(const T* raw, int n_bins, T lo, T hi, T* b) {
  const SoftmaxNormaliser<T> z = softmax_normaliser(raw, n_bins - 1, true);
  T c = T(0);
  for (int j = 0; j + 1 < n_bins; ++j) {
    c += z.probability(raw[j]);
    b[j] = lo + (hi - lo) * c;
  }
}

/// d_raw = (db/draw)^T d_b: with p the softmax, db_j/draw_i = (hi - lo) p_i ([i <= j] - c_j).
template <class T>
HEPCAT_HD void sigmoid_boundaries_backward(const T* raw, int n_bins, T lo, T hi, const T* d_b,
                                           T* d_raw) {
  const SoftmaxNormaliser<T> z = softmax_normaliser(raw, n_bins - 1, true);
  // sum_j d_b_j c_j, and the suffix sums sum_{j >= i} d_b_j
  T c = T(0), dot = T(0);
  for (int j = 0; j + 1 < n_bins; ++j) {
    c += z.probability(raw[j]);
    dot += d_b[j] * c;
  }
  T suffix = T(0);
  for (int i = n_bins - 2; i >= 0; --i) {
    suffix += d_b[i];
    d_raw[i] = (hi - lo) * z.probability(raw[i]) * (suffix - dot);
  }
}

/// Soft memberships of one variable's n bins: w_j = s_{j-1} - s_j with s_j = sigmoid(k (x - b_j)),
/// s_{-1} = 1 and s_{n-1} = 0. They sum to 1 for every x.
template <class T>
HEPCAT_HD void sigmoid_memberships(T x, const T* b, int n_bins, T steepness, T* w) {
  T prev = T(1);
  for (int j = 0; j + 1 < n_bins; ++j) {
    const T s = sigmoid(steepness * (x - b[j]));
    w[j] = prev - s;
    prev = s;
  }
  w[n_bins - 1] = prev;
}

/// Accumulates d_b += (dw/db)^T g_w for one event: dL/db_j = (g_j - g_{j+1}) k s_j (1 - s_j).
template <class T, class G>
HEPCAT_HD void sigmoid_memberships_backward(T x, const T* b, int n_bins, T steepness, const T* g_w,
                                            G* d_b) {
  for (int j = 0; j + 1 < n_bins; ++j) {
    const T s = sigmoid(steepness * (x - b[j]));
    d_b[j] += G((g_w[j] - g_w[j + 1]) * steepness * s * (T(1) - s));
  }
}

/// Hard bin of one variable: the number of boundaries at or below x (the T -> infinity limit of
/// the soft membership, ties going up).
template <class T>
HEPCAT_HD int sigmoid_hard_bin(T x, const T* b, int n_bins) {
  int j = 0;
  while (j + 1 < n_bins && !(x < b[j])) ++j;
  return j;
}

/// The outer product of `n_vars` variables: bin index = sum_v j_v * stride_v with the first
/// variable varying slowest. `x[v]` is event's value of variable v, `bins[v]` its bin count and
/// the boundaries of all variables follow each other in `b`. Writes the per-variable memberships
/// to w_var (sum of bins) and the product memberships to gamma (product of bins).
template <class T>
HEPCAT_HD void sigmoid_grid_memberships(const T* x, const int* bins, int n_vars, const T* b,
                                        T steepness, T* w_var, T* gamma) {
  int total = 1, boff = 0, woff = 0;
  for (int v = 0; v < n_vars; ++v) {
    sigmoid_memberships(x[v], b + boff, bins[v], steepness, w_var + woff);
    boff += bins[v] - 1;
    woff += bins[v];
    total *= bins[v];
  }
  for (int k = 0; k < total; ++k) {
    T g = T(1);
    int rest = k, wend = woff;
    for (int v = n_vars - 1; v >= 0; --v) {
      wend -= bins[v];
      g *= w_var[wend + rest % bins[v]];
      rest /= bins[v];
    }
    gamma[k] = g;
  }
}

/// Backward of sigmoid_grid_memberships: g_gamma = dL/dgamma per product bin; accumulates dL/db.
/// `w_var` must hold the per-variable memberships of this event; `g_var` is scratch of the same
/// size. The accumulator may be wider than T (G = double on the CPU).
template <class T, class G>
HEPCAT_HD void sigmoid_grid_memberships_backward(const T* x, const int* bins, int n_vars,
                                                 const T* b, T steepness, const T* w_var,
                                                 const T* g_gamma, T* g_var, G* d_b) {
  int total = 1, wsum = 0;
  for (int v = 0; v < n_vars; ++v) {
    total *= bins[v];
    wsum += bins[v];
  }
  for (int i = 0; i < wsum; ++i) g_var[i] = T(0);
  for (int k = 0; k < total; ++k) {
    // dgamma_k/dw_{v, j_v} = product of the other variables' memberships
    int idx[kMaxSigmoidVars];
    int rest = k, wend = wsum;
    for (int v = n_vars - 1; v >= 0; --v) {
      wend -= bins[v];
      idx[v] = wend + rest % bins[v];
      rest /= bins[v];
    }
    for (int v = 0; v < n_vars; ++v) {
      T p = g_gamma[k];
      for (int u = 0; u < n_vars; ++u)
        if (u != v) p *= w_var[idx[u]];
      g_var[idx[v]] += p;
    }
  }
  int boff = 0, woff = 0;
  for (int v = 0; v < n_vars; ++v) {
    sigmoid_memberships_backward(x[v], b + boff, bins[v], steepness, g_var + woff, d_b + boff);
    boff += bins[v] - 1;
    woff += bins[v];
  }
}

/// Hard product bin of one event.
template <class T>
HEPCAT_HD int sigmoid_grid_hard_bin(const T* x, const int* bins, int n_vars, const T* b) {
  int k = 0, boff = 0;
  for (int v = 0; v < n_vars; ++v) {
    k = k * bins[v] + sigmoid_hard_bin(x[v], b + boff, bins[v]);
    boff += bins[v] - 1;
  }
  return k;
}

// ---- Gaussian mixture -------------------------------------------------------------------------

/// Per-component values the event loops read: mean [d], Cholesky factor L packed [d(d+1)/2],
/// 1/L_aa [d], and log pi - sum_a log L_aa - d/2 log 2 pi.
HEPCAT_HD int gmm_component_stride(int d) {
  return 2 * d + tri_size(d) + 1;
}
/// Per-component gradient the event loops accumulate: d/dmean [d], d/dL packed, d/dlog pi.
HEPCAT_HD int gmm_gradient_stride(int d) {
  return d + tri_size(d) + 1;
}

/// Score s = log N(x | mu, L L^T) + log pi of one component (`comp` as gmm_component_stride);
/// `z` receives L^{-1} (x - mu).
template <class T>
HEPCAT_HD T gmm_score(const T* comp, const T* x, int d, T* z) {
  const T* l = comp + d;
  const T* inv_diag = l + tri_size(d);
  return inv_diag[d] -
         T(0.5) * whitened_distance_sq(d, x, 1, comp, PackedFactor<T>{l, inv_diag}, z);
}

/// Accumulates grad += coef * ds/d(mu, L, log pi) of one component for one event:
/// with z = L^{-1}(x - mu) and u = L^{-T} z, ds/dmu = u, ds/dL_ac = u_a z_c - [a = c] / L_aa.
template <class T, class G>
HEPCAT_HD void gmm_score_backward(const T* comp, const T* x, int d, T coef, G* grad) {
  T z[kMaxGmmDim], u[kMaxGmmDim];
  gmm_score(comp, x, d, z);
  const T* l = comp + d;
  const T* inv_diag = l + tri_size(d);
  for (int a = d - 1; a >= 0; --a) {
    T r = z[a];
    for (int c = a + 1; c < d; ++c) r -= l[tri_index(c, a)] * u[c];
    u[a] = r * inv_diag[a];
  }
  G* g_mu = grad;
  G* g_l = grad + d;
  for (int a = 0; a < d; ++a) {
    g_mu[a] += G(coef * u[a]);
    for (int c = 0; c < a; ++c) g_l[tri_index(a, c)] += G(coef * u[a] * z[c]);
    g_l[tri_index(a, a)] += G(coef * (u[a] * z[a] - inv_diag[a]));
  }
  grad[d + tri_size(d)] += G(coef);
}

using hepcat::MeanParametrisation;  // hepcat/binning_settings.hpp

/// Unconstrained GMM parameters, one contiguous block each:
/// means [K d], chol_diag [K d], chol_offdiag [K d(d-1)/2], logits [K].
struct GmmShape {
  int components = 1;
  int dim = 1;
  MeanParametrisation means = MeanParametrisation::box;
  double sigma_base = 0.1;     ///< L_aa = sigma_base * exp(raw)
  const double* lo = nullptr;  ///< box bounds per dimension (box parametrisation)
  const double* hi = nullptr;

  HEPCAT_HD int off_diagonal() const { return dim * (dim - 1) / 2; }
  HEPCAT_HD int means_offset() const { return 0; }
  HEPCAT_HD int diag_offset() const { return components * dim; }
  HEPCAT_HD int offdiag_offset() const { return 2 * components * dim; }
  HEPCAT_HD int logits_offset() const { return offdiag_offset() + components * off_diagonal(); }
  HEPCAT_HD int n_params() const { return logits_offset() + components; }
};

/// Raw parameters -> per-component values of gmm_component_stride (host side, once per step).
template <class T>
HEPCAT_HD void gmm_components(const GmmShape& g, const T* raw, T* comp) {
  const int d = g.dim, stride = gmm_component_stride(d);
  const T* logits = raw + g.logits_offset();
  const T log_z = softmax_normaliser(logits, g.components).log_sum();
  for (int k = 0; k < g.components; ++k) {
    T* c = comp + k * stride;
    const T* rm = raw + g.means_offset() + k * d;
    if (g.means == MeanParametrisation::box) {
      for (int a = 0; a < d; ++a) c[a] = T(g.lo[a]) + sigmoid(rm[a]) * T(g.hi[a] - g.lo[a]);
    } else {
      const SoftmaxNormaliser<T> z = softmax_normaliser(rm, d, true);
      for (int a = 0; a < d; ++a) c[a] = z.probability(rm[a]);
    }
    T* l = c + d;
    T* inv_diag = l + tri_size(d);
    const T* rd = raw + g.diag_offset() + k * d;
    const T* ro = raw + g.offdiag_offset() + k * g.off_diagonal();
    T log_det = T(0);
    int o = 0;
    for (int a = 0; a < d; ++a) {
      for (int b = 0; b < a; ++b) l[tri_index(a, b)] = T(kGmmOffDiagonalScale) * ro[o++];
      l[tri_index(a, a)] = T(g.sigma_base) * std::exp(rd[a]);
      inv_diag[a] = T(1) / l[tri_index(a, a)];
      log_det += std::log(l[tri_index(a, a)]);
    }
    inv_diag[d] = logits[k] - log_z + mvn_log_normaliser_of_log_det(d, log_det);
  }
}

/// Backward of gmm_components: grad (gmm_gradient_stride per component, the derivatives with
/// respect to mu, L and log pi, where the -log L_aa of the normalisation is already in d/dL_aa)
/// -> d_raw (n_params).
template <class T>
HEPCAT_HD void gmm_components_backward(const GmmShape& g, const T* raw, const T* grad, T* d_raw) {
  const int d = g.dim, gs = gmm_gradient_stride(d);
  const T* logits = raw + g.logits_offset();
  const SoftmaxNormaliser<T> pi = softmax_normaliser(logits, g.components);
  T sum_glogpi = T(0);
  for (int k = 0; k < g.components; ++k) sum_glogpi += grad[k * gs + d + tri_size(d)];
  for (int k = 0; k < g.components; ++k) {
    const T* gk = grad + k * gs;
    const T* rm = raw + g.means_offset() + k * d;
    T* dm = d_raw + g.means_offset() + k * d;
    if (g.means == MeanParametrisation::box) {
      for (int a = 0; a < d; ++a) {
        const T s = sigmoid(rm[a]);
        dm[a] = gk[a] * T(g.hi[a] - g.lo[a]) * s * (T(1) - s);
      }
    } else {
      // mu = p[:d] of p = softmax([raw, 0]): dmu_a/draw_b = p_a ([a = b] - p_b)
      const SoftmaxNormaliser<T> z = softmax_normaliser(rm, d, true);
      T dot = T(0);
      for (int a = 0; a < d; ++a) dot += gk[a] * z.probability(rm[a]);
      for (int b = 0; b < d; ++b) dm[b] = z.probability(rm[b]) * (gk[b] - dot);
    }
    const T* gl = gk + d;
    const T* rd = raw + g.diag_offset() + k * d;
    T* dd = d_raw + g.diag_offset() + k * d;
    T* dof = d_raw + g.offdiag_offset() + k * g.off_diagonal();
    int o = 0;
    for (int a = 0; a < d; ++a) {
      for (int b = 0; b < a; ++b) dof[o++] = T(kGmmOffDiagonalScale) * gl[tri_index(a, b)];
      dd[a] = gl[tri_index(a, a)] * T(g.sigma_base) * std::exp(rd[a]);
    }
    // log pi_k = logit_k - logsumexp(logits)
    d_raw[g.logits_offset() + k] = gk[d + tri_size(d)] - sum_glogpi * pi.probability(logits[k]);
  }
}

}  // namespace hepcat::math

namespace hepcat::math {

// ---- one model, as the event loops see it -----------------------------------------------------

/// A soft-binning model reduced to what the event loops read (plain values and one pointer, so
/// it passes to a kernel by value). `values` holds the GMM components (gmm_component_stride each)
/// or the boundaries of all sigmoid variables one after the other.
template <class T>
struct SoftModel {
  bool gmm = true;
  int n_bins = 1;                            ///< categories K
  int dim = 1;                               ///< features read per event
  int bins[kMaxSigmoidVars] = {1, 1, 1, 1};  ///< sigmoid: bins of each variable
  T sharpness = T(1);                        ///< GMM: 1 / temperature; sigmoid: steepness
  const T* values = nullptr;

  /// Length of the per-event gradient accumulator (GMM: per component mu, L, log pi; sigmoid:
  /// one per boundary).
  HEPCAT_HD int gradient_size() const {
    if (gmm) return n_bins * gmm_gradient_stride(dim);
    int n = 0;
    for (int v = 0; v < dim; ++v) n += bins[v] - 1;
    return n;
  }
};

/// Events as the soft-binning loops read them (backend pointers): model dimension j of event i
/// is cols[j][i] (each column n values, wherever it lives); group[process[i]] is the event's sum
/// group (signals, then the background; see bin_sum_index).
template <class T>
struct SoftBinningEvents {
  const T* cols[kMaxGmmDim] = {};
  unsigned long long n = 0;
  const T* weights = nullptr;
  const int* process = nullptr;
  const int* group = nullptr;
};

/// Scratch a per-event call needs beyond gamma (sigmoid: per-variable memberships and their
/// gradients).
constexpr int kSoftBinningWork = 2 * kMaxSigmoidVars * kMaxSoftBins;

/// The per-event functions below take the dimension as an optional compile-time constant kDim
/// (0: read dim at run time); the CPU loops instantiate each GMM dimension so the small
/// triangular solves unroll.
template <int kDim, class T>
HEPCAT_HD int model_dim(const SoftModel<T>& m) {
  return kDim > 0 ? kDim : m.dim;
}

/// Host-side dispatch: calls f(std::integral_constant<int, d>) with the GMM's dimension for d
/// in 1..4, and with 0 (read at run time) for larger GMMs and for sigmoid grids, so that event
/// loops and kernels can be compiled for each common dimension.
template <class T, class F>
void with_model_dim(const SoftModel<T>& m, F f) {
  if (!m.gmm) return f(std::integral_constant<int, 0>{});
  switch (m.dim) {
    case 1:
      return f(std::integral_constant<int, 1>{});
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 3:
      return f(std::integral_constant<int, 3>{});
    case 4:
      return f(std::integral_constant<int, 4>{});
    default:
      return f(std::integral_constant<int, 0>{});
  }
}

/// Soft memberships gamma[K] of one event with features x[dim].
template <int kDim = 0, class T>
HEPCAT_HD void soft_memberships(const SoftModel<T>& m, const T* x, T* gamma, T* work) {
  const int dim = model_dim<kDim>(m);
  if (m.gmm) {
    T z[kMaxGmmDim];
    const int stride = gmm_component_stride(dim);
    for (int k = 0; k < m.n_bins; ++k) gamma[k] = gmm_score(m.values + k * stride, x, dim, z);
    softmax(gamma, m.n_bins, m.sharpness, gamma);  // gamma = softmax(s / T)
  } else {
    sigmoid_grid_memberships(x, m.bins, dim, m.values, m.sharpness, work, gamma);
  }
}

/// Hard category of one event: argmax of the GMM scores, or the product bin of the boundaries.
template <int kDim = 0, class T>
HEPCAT_HD int hard_category(const SoftModel<T>& m, const T* x) {
  const int dim = model_dim<kDim>(m);
  if (m.gmm) {
    T s[kMaxSoftBins], z[kMaxGmmDim];
    const int stride = gmm_component_stride(dim);
    for (int k = 0; k < m.n_bins; ++k) s[k] = gmm_score(m.values + k * stride, x, dim, z);
    return argmax(s, m.n_bins);
  }
  return sigmoid_grid_hard_bin(x, m.bins, dim, m.values);
}

/// grad += (dgamma/dvalues)^T g for one event whose memberships are gamma; g (dL/dgamma) is
/// overwritten. The accumulator type G may be wider than T.
template <int kDim = 0, class T, class G>
HEPCAT_HD void soft_memberships_backward(const SoftModel<T>& m, const T* x, const T* gamma, T* g,
                                         T* work, G* grad) {
  const int dim = model_dim<kDim>(m);
  if (m.gmm) {
    softmax_backward(gamma, m.n_bins, m.sharpness, g);
    const int stride = gmm_component_stride(dim), gs = gmm_gradient_stride(dim);
    for (int k = 0; k < m.n_bins; ++k)
      gmm_score_backward(m.values + k * stride, x, dim, g[k], grad + k * gs);
  } else {
    int wsum = 0;
    for (int v = 0; v < dim; ++v) wsum += m.bins[v];
    int boff = 0;
    for (int v = 0; v < dim; ++v) {
      sigmoid_memberships(x[v], m.values + boff, m.bins[v], m.sharpness, work + (boff + v));
      boff += m.bins[v] - 1;
    }
    sigmoid_grid_memberships_backward(x, m.bins, dim, m.values, m.sharpness, work, g, work + wsum,
                                      grad);
  }
}

}  // namespace hepcat::math
