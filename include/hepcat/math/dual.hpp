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

}  // namespace hepcat::math
