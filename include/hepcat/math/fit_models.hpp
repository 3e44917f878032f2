// Fit models f(x, params), each written once as a template on the parameter scalar type S
// (a plain float/double, or a Dual for the Jacobian). Every model is a density in events per
// unit of x: a bin's expectation is its integral over the bin (SCIENCE.md section 4).
//
// A model is a background shape plus an optional signal peak plus any number (up to
// kMaxTemplates) of template components; the parameter vector is the background's parameters,
// then the signal's, then one yield per template. The seed's S+B is a 2nd-order polynomial plus
// a Gaussian with fixed mass and width; its B is the polynomial alone.
//
// A template is a fixed histogram (from simulation) on the fit's bins. It enters bin j's
// expectation as yield_t * f_tj with f_tj = T_tj / sum_j T_tj its normalised content, so the
// yield is the template's number of events in the fit range. Its per-bin uncertainties sigma_tj
// give the variance of the template part of bin j, s_j = sum_t yield_t^2 sigma_tj^2 /
// (sum_j T_tj)^2, which the estimators take into account (lm.hpp, template_bin_objective);
// template_sum computes both.
#pragma once

#include <cmath>

#include "hepcat/fit_settings.hpp"
#include "hepcat/math/dual.hpp"
#include "hepcat/math/hd.hpp"

namespace hepcat::math {

using hepcat::Background;  // the plain settings live in hepcat/fit_settings.hpp
using hepcat::Evaluation;
using hepcat::ModelSpec;
using hepcat::Signal;

constexpr int kMaxFitParams = 16;
constexpr int kMaxShapeOrder = 5;
constexpr int kMaxTemplates = 8;

HEPCAT_HD int background_parameter_count(const ModelSpec& m) {
  switch (m.background) {
    case Background::polynomial:
    case Background::bernstein:
      return m.order + 1;
    case Background::exponential:
    case Background::power_law:
      return 2;
    case Background::dijet:
      return 4;
    default:
      return 0;
  }
}

HEPCAT_HD int signal_parameter_count(const ModelSpec& m) {
  return m.signal == Signal::gaussian ? 3 : m.signal == Signal::crystal_ball ? 5 : 0;
}

/// Index of the first template yield: the parameters before it are the analytic shapes'.
HEPCAT_HD int first_template_parameter(const ModelSpec& m) {
  return background_parameter_count(m) + signal_parameter_count(m);
}

HEPCAT_HD int parameter_count(const ModelSpec& m) {
  return first_template_parameter(m) + m.templates;
}

/// Background density at x. `x` is a plain value (bin positions are constants), `p` its
/// parameters.
template <class T, class S>
HEPCAT_HD S background_density(const ModelSpec& m, T x, const S* p) {
  using std::exp;
  const T t = (x - T(m.x_lo)) / (T(m.x_hi) - T(m.x_lo));
  switch (m.background) {
    case Background::polynomial: {
      S f = p[m.order];
      for (int k = m.order - 1; k >= 0; --k) f = f * t + p[k];  // Horner
      return f;
    }
    case Background::bernstein: {
      S f = S(T(0));
      T binomial = T(1);
      for (int k = 0; k <= m.order; ++k) {
        T basis = binomial;
        for (int j = 0; j < k; ++j) basis *= t;
        for (int j = k; j < m.order; ++j) basis *= T(1) - t;
        f = f + p[k] * basis;
        binomial = binomial * T(m.order - k) / T(k + 1);
      }
      return f;
    }
    case Background::exponential:
      return p[0] * exp(p[1] * t);
    case Background::power_law: {
      const T lz = std::log(x / T(m.scale));
      return p[0] * exp(-(p[1] * lz));
    }
    case Background::dijet: {
      const T z = x / T(m.scale);
      const T lz = std::log(z), l1z = std::log(T(1) - z);
      return p[0] * exp(p[1] * l1z - (p[2] + p[3] * lz) * lz);
    }
    default:
      return S(T(0));
  }
}

/// Signal density at x; `p` points at the signal's own parameters (yield first).
template <class T, class S>
HEPCAT_HD S signal_density(const ModelSpec& m, T x, const S* p) {
  using std::abs;
  using std::erf;
  using std::exp;
  using std::log;
  using std::sqrt;
  constexpr T kInvSqrt2Pi = T(0.3989422804014327);
  if (m.signal == Signal::none) return S(T(0));
  const S u = (x - p[1]) / p[2];
  if (m.signal == Signal::gaussian) return p[0] * kInvSqrt2Pi / p[2] * exp(T(-0.5) * u * u);
  // Crystal Ball normalised over the real line: width * (tail integral + core integral).
  const S a = abs(p[3]), n = p[4];
  const S core = T(1.2533141373155003) * (T(1) + erf(a * T(0.7071067811865476)));
  const S tail = n / a / (n - T(1)) * exp(T(-0.5) * a * a);
  const S norm = p[2] * (core + tail);
  S shape;
  if (u > -value_of(a)) {
    shape = exp(T(-0.5) * u * u);
  } else {
    // (n/a)^n exp(-a^2/2) (n/a - a - u)^(-n), written through logs for a dual exponent n
    const S ratio = n / a;
    shape = exp(n * log(ratio) - T(0.5) * a * a - n * log(ratio - a - u));
  }
  return p[0] * shape / norm;
}

/// The whole model's density at x.
template <class T, class S>
HEPCAT_HD S model_density(const ModelSpec& m, T x, const S* p) {
  const int nb = background_parameter_count(m);
  S f = background_density(m, x, p);
  if (m.signal != Signal::none) f = f + signal_density(m, x, p + nb);
  return f;
}

/// sum_t yield_t^power rows_tj over the template components (`rows`: m.templates rows of
/// n_bins, `p` all of the model's parameters). With the normalised contents f_tj = T_tj /
/// sum_j T_tj and power 1 it is the templates' part of bin j's expectation; with the normalised
/// variances v_tj = sigma_tj^2 / (sum_j T_tj)^2 and power 2 the variance of that part.
template <class S, class T>
HEPCAT_HD S template_sum(const ModelSpec& m, int n_bins, const T* rows, int j, const S* p,
                         int power) {
  const S* yield = p + first_template_parameter(m);
  S sum = S(T(0));
  for (int t = 0; t < m.templates; ++t)
    sum = sum + (power == 2 ? yield[t] * yield[t] : yield[t]) * rows[t * n_bins + j];
  return sum;
}

}  // namespace hepcat::math
