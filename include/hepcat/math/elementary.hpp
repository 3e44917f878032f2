// exp and log for float written with arithmetic and bit operations only, so that the CPU loops
// vectorise them (the C library's expf/logf are scalar calls unless built with -ffast-math) and the
// GPU evaluates them on the FMA units rather than the special-function units. Both are within a few
// float ulps of the exact values over the float range. For double (tests, host-side objectives)
// they are std::exp and std::log.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

namespace detail {
HEPCAT_HD float bits_to_float(std::int32_t i) {
#if defined(__CUDA_ARCH__)
  return __int_as_float(i);
#else
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
#endif
}
HEPCAT_HD std::int32_t float_to_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_int(f);
#else
  std::int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
#endif
}
/// c[0] x^(N-1) + c[1] x^(N-2) + ... + c[N-1] by Horner's rule.
template <int N>
HEPCAT_HD float horner(float x, const float (&c)[N]) {
  float p = c[0];
  for (int k = 1; k < N; ++k) p = p * x + c[k];
  return p;
}
}  // namespace detail

template <class T>
HEPCAT_HD T exp_approx(T x) {
  return std::exp(x);
}

/// exp(x) = 2^i e^g with i = round(x / ln 2) and |g| <= ln(2) / 2; e^g by its Taylor series to
/// degree 7 (truncation below 1e-8 relative). x is clamped to [-87, 88], where 2^i stays a normal
/// float, so very negative arguments give ~1e-38 instead of 0 (harmless in 1 / (1 + e)).
template <>
HEPCAT_HD float exp_approx<float>(float x) {
  x = x < -87.f ? -87.f : (x > 88.f ? 88.f : x);
  // Adding 1.5 * 2^23 rounds to the nearest integer in the low mantissa bits.
  constexpr float kShift = 12582912.f;
  const float r = x * 1.44269504f + kShift;
  const float n = r - kShift;
  const std::int32_t i = detail::float_to_bits(r) - detail::float_to_bits(kShift);
  const float g = (x - n * 0.693145752f) - n * 1.42860677e-6f;  // ln 2 split for exact n ln 2
  const float c[] = {1.f / 5040.f, 1.f / 720.f, 1.f / 120.f, 1.f / 24.f, 1.f / 6.f, 0.5f, 1.f, 1.f};
  return detail::horner(g, c) * detail::bits_to_float((i + 127) << 23);
}

template <class T>
HEPCAT_HD T log_approx(T x) {
  return std::log(x);
}

/// log(x) for x > 0: x = a 2^e with a in [sqrt(1/2), sqrt(2)), log a = 2 atanh(s), s = (a-1)/(a+1)
/// <= 0.172, by its series to s^11 (truncation below 1e-9). Zero and subnormals give about -88.
template <>
HEPCAT_HD float log_approx<float>(float x) {
  x = x < 1.17549435e-38f ? 1.17549435e-38f : x;
  const std::int32_t bits = detail::float_to_bits(x);
  // Exponent relative to sqrt(1/2) (0x3f3504f3), so that the mantissa lands in [sqrt(1/2),
  // sqrt(2)).
  const std::int32_t e = ((bits - 0x3f3504f3) >> 23);
  const float a = detail::bits_to_float(bits - e * (1 << 23));
  const float s = (a - 1.f) / (a + 1.f);
  const float s2 = s * s;
  const float c[] = {1.f / 11.f, 1.f / 9.f, 1.f / 7.f, 1.f / 5.f, 1.f / 3.f, 1.f};
  return 2.f * s * detail::horner(s2, c) + static_cast<float>(e) * 0.693147181f;
}

/// The logistic function 1 / (1 + e^-t), the soft pass/fail of every method.
template <class T>
HEPCAT_HD T sigmoid(T t) {
  return T(1) / (T(1) + std::exp(-t));
}

/// The logistic function through exp_approx, for the event loops that must vectorise.
template <class T>
HEPCAT_HD T sigmoid_approx(T z) {
#if defined(__CUDA_ARCH__)
  // The fast division is within 2 ulp and returns 0 once the denominator passes 2^126, where the
  // exact sigmoid is below 1e-38 anyway.
  if constexpr (std::is_same_v<T, float>) return __fdividef(1.f, 1.f + exp_approx(-z));
#endif
  return T(1) / (T(1) + exp_approx(-z));
}

}  // namespace hepcat::math
