// Max-subtracted softmax and log-sum-exp, written once for every categorical map of the engine
// (GMM memberships and mixture weights, ordered boundaries, simplex means, the toy's likelihoods).
#pragma once

#include <cmath>

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

/// The normaliser of softmax over n logits v, optionally with a fixed 0 logit appended: the
/// largest logit `max` is factored out and `sum` = sum_k exp(v_k - max) (+ exp(-max)).
template <class T>
struct SoftmaxNormaliser {
  T max;
  T sum;
  /// Softmax probability of logit v.
  HEPCAT_HD T probability(T v) const { return std::exp(v - max) / sum; }
  /// log sum_k exp(v_k).
  HEPCAT_HD T log_sum() const { return max + std::log(sum); }
};

template <class T>
HEPCAT_HD SoftmaxNormaliser<T> softmax_normaliser(const T* v, int n, bool zero_logit = false) {
  T m = zero_logit ? T(0) : v[0];
  for (int k = 0; k < n; ++k) m = v[k] > m ? v[k] : m;
  T s = zero_logit ? std::exp(-m) : T(0);
  for (int k = 0; k < n; ++k) s += std::exp(v[k] - m);
  return {m, s};
}

/// p = softmax(scale * v) over n logits (n >= 1); p may alias v.
template <class T>
HEPCAT_HD void softmax(const T* v, int n, T scale, T* p) {
  T m = v[0];
  for (int k = 1; k < n; ++k) m = v[k] > m ? v[k] : m;
  T z = T(0);
  for (int k = 0; k < n; ++k) {
    p[k] = std::exp((v[k] - m) * scale);
    z += p[k];
  }
  const T inv = T(1) / z;
  for (int k = 0; k < n; ++k) p[k] *= inv;
}

/// Backward of p = softmax(scale * v): dL/dv_k = scale p_k (g_k - sum_m p_m g_m), in place of
/// g = dL/dp.
template <class T>
HEPCAT_HD void softmax_backward(const T* p, int n, T scale, T* g) {
  T dot = T(0);
  for (int k = 0; k < n; ++k) dot += p[k] * g[k];
  for (int k = 0; k < n; ++k) g[k] = p[k] * (g[k] - dot) * scale;
}

/// log(sum_k exp(v_k)) without overflow or total underflow (the largest term is factored out).
/// n >= 1; returns -inf when every term is -inf.
template <class T>
HEPCAT_HD T log_sum_exp(const T* v, int n) {
  const SoftmaxNormaliser<T> z = softmax_normaliser(v, n);
  if (std::isinf(z.max)) return z.max;
  return z.log_sum();
}

}  // namespace hepcat::math
