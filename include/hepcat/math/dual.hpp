// Forward-mode automatic differentiation: a value and N partial derivatives carried together.
// Fit models are written once as templates on the scalar type; evaluating them on Dual<T, N>
// with the free parameters seeded gives the model's Jacobian row without hand-written
// derivatives (SCIENCE.md section 4). Plain scalars go through the same code unchanged.
#pragma once

#include <cmath>

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

template <class T, int N>
struct Dual {
  static_assert(N >= 1 && N <= 16, "Dual carries 1 to 16 derivatives");
  T v;
  T d[N];

  HEPCAT_HD Dual() : v(0) {
    for (int k = 0; k < N; ++k) d[k] = T(0);
  }
  HEPCAT_HD Dual(T value) : v(value) {  // NOLINT: constants promote implicitly
    for (int k = 0; k < N; ++k) d[k] = T(0);
  }
  /// The independent variable number `slot` (derivative 1 there, 0 elsewhere).
  HEPCAT_HD static Dual variable(T value, int slot) {
    Dual r(value);
    if (slot >= 0 && slot < N) r.d[slot] = T(1);
    return r;
  }
};

/// Value of a scalar or a dual number.
template <class T>
HEPCAT_HD T value_of(T x) {
  return x;
}
template <class T, int N>
HEPCAT_HD T value_of(const Dual<T, N>& x) {
  return x.v;
}

/// f(x) for a dual x, given f(x.v) and f'(x.v): the chain rule in one place.
template <class T, int N>
HEPCAT_HD Dual<T, N> chain(const Dual<T, N>& x, T f, T df) {
  Dual<T, N> r;
  r.v = f;
  for (int k = 0; k < N; ++k) r.d[k] = df * x.d[k];
  return r;
}

template <class T, int N>
HEPCAT_HD Dual<T, N> operator-(const Dual<T, N>& a) {
  return chain(a, -a.v, T(-1));
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator+(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r;
  r.v = a.v + b.v;
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] + b.d[k];
  return r;
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator-(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r;
  r.v = a.v - b.v;
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] - b.d[k];
  return r;
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator*(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r;
  r.v = a.v * b.v;
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] * b.v + a.v * b.d[k];
  return r;
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator/(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r;
  const T inv = T(1) / b.v;
  r.v = a.v * inv;
  for (int k = 0; k < N; ++k) r.d[k] = (a.d[k] - r.v * b.d[k]) * inv;
  return r;
}

// Mixed dual-scalar arithmetic (scalars are constants).
template <class T, int N>
HEPCAT_HD Dual<T, N> operator+(const Dual<T, N>& a, T b) {
  Dual<T, N> r = a;
  r.v += b;
  return r;
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator+(T a, const Dual<T, N>& b) {
  return b + a;
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator-(const Dual<T, N>& a, T b) {
  return a + (-b);
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator-(T a, const Dual<T, N>& b) {
  return chain(b, a - b.v, T(-1));
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator*(const Dual<T, N>& a, T b) {
  return chain(a, a.v * b, b);
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator*(T a, const Dual<T, N>& b) {
  return b * a;
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator/(const Dual<T, N>& a, T b) {
  return a * (T(1) / b);
}
template <class T, int N>
HEPCAT_HD Dual<T, N> operator/(T a, const Dual<T, N>& b) {
  const T inv = T(1) / b.v;
  return chain(b, a * inv, -a * inv * inv);
}

template <class T, int N>
HEPCAT_HD Dual<T, N>& operator+=(Dual<T, N>& a, const Dual<T, N>& b) {
  a = a + b;
  return a;
}
template <class T, int N>
HEPCAT_HD Dual<T, N>& operator*=(Dual<T, N>& a, const Dual<T, N>& b) {
  a = a * b;
  return a;
}

// Comparisons look at values only (branches in models pick a formula, they are not smoothed).
template <class T, int N>
HEPCAT_HD bool operator<(const Dual<T, N>& a, T b) {
  return a.v < b;
}
template <class T, int N>
HEPCAT_HD bool operator>(const Dual<T, N>& a, T b) {
  return a.v > b;
}

template <class T, int N>
HEPCAT_HD Dual<T, N> exp(const Dual<T, N>& x) {
  const T e = std::exp(x.v);
  return chain(x, e, e);
}
template <class T, int N>
HEPCAT_HD Dual<T, N> log(const Dual<T, N>& x) {
  return chain(x, std::log(x.v), T(1) / x.v);
}
template <class T, int N>
HEPCAT_HD Dual<T, N> sqrt(const Dual<T, N>& x) {
  const T s = std::sqrt(x.v);
  return chain(x, s, T(0.5) / s);
}
template <class T, int N>
HEPCAT_HD Dual<T, N> abs(const Dual<T, N>& x) {
  return x.v < T(0) ? -x : x;
}
template <class T, int N>
HEPCAT_HD Dual<T, N> erf(const Dual<T, N>& x) {
  // d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
  return chain(x, std::erf(x.v), T(1.1283791670955126) * std::exp(-x.v * x.v));
}
/// x^y for dual base and exponent: exp(y log x), x > 0.
template <class T, int N>
HEPCAT_HD Dual<T, N> pow(const Dual<T, N>& x, const Dual<T, N>& y) {
  return exp(y * log(x));
}
/// x^c for a constant exponent; valid for any x where x^c is defined.
template <class T, int N>
HEPCAT_HD Dual<T, N> pow(const Dual<T, N>& x, T c) {
  const T p = std::pow(x.v, c);
  return chain(x, p, c * std::pow(x.v, c - T(1)));
}
/// c^y for a constant positive base.
template <class T, int N>
HEPCAT_HD Dual<T, N> pow(T c, const Dual<T, N>& y) {
  const T p = std::pow(c, y.v);
  return chain(y, p, p * std::log(c));
}

// Second-order forward mode: a value, its N first derivatives and the N (N + 1) / 2 distinct
// second derivatives (lower triangle, (k, l) with l <= k at k (k + 1) / 2 + l). Fits evaluate
// their model on it once, at the minimum, for the exact Hessian of the objective.
template <class T, int N>
struct Dual2 {
  static_assert(N >= 1 && N <= 16, "Dual2 carries 1 to 16 derivatives");
  static constexpr int kPairs = N * (N + 1) / 2;
  T v;
  T d[N];
  T h[kPairs];

  HEPCAT_HD Dual2() : Dual2(T(0)) {}
  HEPCAT_HD Dual2(T value) : v(value) {  // NOLINT: constants promote implicitly
    for (int k = 0; k < N; ++k) d[k] = T(0);
    for (int k = 0; k < kPairs; ++k) h[k] = T(0);
  }
};

template <class T, int N>
HEPCAT_HD T value_of(const Dual2<T, N>& x) {
  return x.v;
}

/// f(x) for a second-order dual x, given f, f' and f'' at x.v.
template <class T, int N>
HEPCAT_HD Dual2<T, N> chain(const Dual2<T, N>& x, T f, T df, T d2f) {
  Dual2<T, N> r;
  r.v = f;
  for (int k = 0; k < N; ++k) r.d[k] = df * x.d[k];
  for (int k = 0, kl = 0; k < N; ++k)
    for (int l = 0; l <= k; ++l, ++kl) r.h[kl] = df * x.h[kl] + d2f * x.d[k] * x.d[l];
  return r;
}

template <class T, int N>
HEPCAT_HD Dual2<T, N> operator-(const Dual2<T, N>& a) {
  return chain(a, -a.v, T(-1), T(0));
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator+(const Dual2<T, N>& a, const Dual2<T, N>& b) {
  Dual2<T, N> r;
  r.v = a.v + b.v;
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] + b.d[k];
  for (int k = 0; k < Dual2<T, N>::kPairs; ++k) r.h[k] = a.h[k] + b.h[k];
  return r;
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator-(const Dual2<T, N>& a, const Dual2<T, N>& b) {
  return a + (-b);
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator*(const Dual2<T, N>& a, const Dual2<T, N>& b) {
  Dual2<T, N> r;
  r.v = a.v * b.v;
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] * b.v + a.v * b.d[k];
  for (int k = 0, kl = 0; k < N; ++k)
    for (int l = 0; l <= k; ++l, ++kl)
      r.h[kl] = a.h[kl] * b.v + a.v * b.h[kl] + a.d[k] * b.d[l] + a.d[l] * b.d[k];
  return r;
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator/(const Dual2<T, N>& a, const Dual2<T, N>& b) {
  const T inv = T(1) / b.v;
  return a * chain(b, inv, -inv * inv, T(2) * inv * inv * inv);
}

template <class T, int N>
HEPCAT_HD Dual2<T, N> operator+(const Dual2<T, N>& a, T b) {
  Dual2<T, N> r = a;
  r.v += b;
  return r;
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator+(T a, const Dual2<T, N>& b) {
  return b + a;
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator-(const Dual2<T, N>& a, T b) {
  return a + (-b);
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator-(T a, const Dual2<T, N>& b) {
  return chain(b, a - b.v, T(-1), T(0));
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator*(const Dual2<T, N>& a, T b) {
  return chain(a, a.v * b, b, T(0));
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator*(T a, const Dual2<T, N>& b) {
  return b * a;
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator/(const Dual2<T, N>& a, T b) {
  return a * (T(1) / b);
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> operator/(T a, const Dual2<T, N>& b) {
  const T inv = T(1) / b.v;
  return chain(b, a * inv, -a * inv * inv, T(2) * a * inv * inv * inv);
}
template <class T, int N>
HEPCAT_HD Dual2<T, N>& operator+=(Dual2<T, N>& a, const Dual2<T, N>& b) {
  a = a + b;
  return a;
}
template <class T, int N>
HEPCAT_HD Dual2<T, N>& operator*=(Dual2<T, N>& a, const Dual2<T, N>& b) {
  a = a * b;
  return a;
}
template <class T, int N>
HEPCAT_HD bool operator<(const Dual2<T, N>& a, T b) {
  return a.v < b;
}
template <class T, int N>
HEPCAT_HD bool operator>(const Dual2<T, N>& a, T b) {
  return a.v > b;
}

template <class T, int N>
HEPCAT_HD Dual2<T, N> exp(const Dual2<T, N>& x) {
  const T e = std::exp(x.v);
  return chain(x, e, e, e);
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> log(const Dual2<T, N>& x) {
  const T inv = T(1) / x.v;
  return chain(x, std::log(x.v), inv, -inv * inv);
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> sqrt(const Dual2<T, N>& x) {
  const T s = std::sqrt(x.v);
  return chain(x, s, T(0.5) / s, T(-0.25) / (s * x.v));
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> abs(const Dual2<T, N>& x) {
  return x.v < T(0) ? -x : x;
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> erf(const Dual2<T, N>& x) {
  // erf' = 2/sqrt(pi) exp(-x^2), erf'' = -2 x erf'
  const T d = T(1.1283791670955126) * std::exp(-x.v * x.v);
  return chain(x, std::erf(x.v), d, T(-2) * x.v * d);
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> pow(const Dual2<T, N>& x, const Dual2<T, N>& y) {
  return exp(y * log(x));
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> pow(const Dual2<T, N>& x, T c) {
  const T p = std::pow(x.v, c);
  return chain(x, p, c * std::pow(x.v, c - T(1)), c * (c - T(1)) * std::pow(x.v, c - T(2)));
}
template <class T, int N>
HEPCAT_HD Dual2<T, N> pow(T c, const Dual2<T, N>& y) {
  const T p = std::pow(c, y.v), l = std::log(c);
  return chain(y, p, p * l, p * l * l);
}

// A Dual<T, N> (first derivatives in N coordinates) and a Dual2<T, 1> (first and second
// derivative along one direction) carried through the same expression: one evaluation gives a
// model's Jacobian and its second derivative along a step, which the fit's geodesic
// acceleration needs.
template <class T, int N>
struct DualDir {
  Dual<T, N> j;
  Dual2<T, 1> u;
  HEPCAT_HD DualDir() : j(T(0)), u(T(0)) {}
  HEPCAT_HD DualDir(T value) : j(value), u(value) {}  // NOLINT: constants promote implicitly
  HEPCAT_HD DualDir(const Dual<T, N>& a, const Dual2<T, 1>& b) : j(a), u(b) {}
};

template <class T, int N>
HEPCAT_HD T value_of(const DualDir<T, N>& x) {
  return x.j.v;
}

#define HEPCAT_DUALDIR_BINARY(op)                                                       \
  template <class T, int N>                                                             \
  HEPCAT_HD DualDir<T, N> operator op(const DualDir<T, N>& a, const DualDir<T, N>& b) { \
    return DualDir<T, N>(a.j op b.j, a.u op b.u);                                       \
  }                                                                                     \
  template <class T, int N>                                                             \
  HEPCAT_HD DualDir<T, N> operator op(const DualDir<T, N>& a, T b) {                    \
    return DualDir<T, N>(a.j op b, a.u op b);                                           \
  }                                                                                     \
  template <class T, int N>                                                             \
  HEPCAT_HD DualDir<T, N> operator op(T a, const DualDir<T, N>& b) {                    \
    return DualDir<T, N>(a op b.j, a op b.u);                                           \
  }
HEPCAT_DUALDIR_BINARY(+)
HEPCAT_DUALDIR_BINARY(-)
HEPCAT_DUALDIR_BINARY(*)
HEPCAT_DUALDIR_BINARY(/)
#undef HEPCAT_DUALDIR_BINARY

#define HEPCAT_DUALDIR_UNARY(fn)                       \
  template <class T, int N>                            \
  HEPCAT_HD DualDir<T, N> fn(const DualDir<T, N>& x) { \
    return DualDir<T, N>(fn(x.j), fn(x.u));            \
  }
HEPCAT_DUALDIR_UNARY(exp)
HEPCAT_DUALDIR_UNARY(log)
HEPCAT_DUALDIR_UNARY(sqrt)
HEPCAT_DUALDIR_UNARY(erf)
#undef HEPCAT_DUALDIR_UNARY

template <class T, int N>
HEPCAT_HD DualDir<T, N> operator-(const DualDir<T, N>& a) {
  return DualDir<T, N>(-a.j, -a.u);
}
template <class T, int N>
HEPCAT_HD DualDir<T, N> abs(const DualDir<T, N>& x) {
  return x.j.v < T(0) ? -x : x;
}
template <class T, int N>
HEPCAT_HD DualDir<T, N>& operator+=(DualDir<T, N>& a, const DualDir<T, N>& b) {
  a = a + b;
  return a;
}
template <class T, int N>
HEPCAT_HD DualDir<T, N>& operator*=(DualDir<T, N>& a, const DualDir<T, N>& b) {
  a = a * b;
  return a;
}
template <class T, int N>
HEPCAT_HD bool operator<(const DualDir<T, N>& a, T b) {
  return a.j.v < b;
}
template <class T, int N>
HEPCAT_HD bool operator>(const DualDir<T, N>& a, T b) {
  return a.j.v > b;
}
template <class T, int N>
HEPCAT_HD DualDir<T, N> pow(const DualDir<T, N>& x, const DualDir<T, N>& y) {
  return exp(y * log(x));
}

}  // namespace hepcat::math
