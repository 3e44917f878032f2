// Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11): the numbers depend only on
// (seed, counter), so a seed gives the same stream on any backend and any thread count. Event i
// of a generator uses counter (i, stream, 0, 0) and gets four 32-bit words per call.
#pragma once

#include <cmath>
#include <cstdint>

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

struct Philox4x32 {
  std::uint32_t v[4];
};

namespace detail {
HEPCAT_HD std::uint32_t mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t* hi) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  *hi = static_cast<std::uint32_t>(p >> 32);
  return static_cast<std::uint32_t>(p);
}
}  // namespace detail

/// Ten rounds of Philox4x32 on `counter` with the 64-bit `key`.
HEPCAT_HD Philox4x32 philox4x32(Philox4x32 counter, std::uint64_t key) {
  constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  std::uint32_t k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  Philox4x32 c = counter;
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, hi1;
    const std::uint32_t lo0 = detail::mulhilo(kMul0, c.v[0], &hi0);
    const std::uint32_t lo1 = detail::mulhilo(kMul1, c.v[2], &hi1);
    c = Philox4x32{{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return c;
}

/// Uniform in (0, 1]: never 0, so log() is safe. 24 random bits.
template <class T>
HEPCAT_HD T uniform_open0(std::uint32_t bits) {
  return (static_cast<T>(bits >> 8) + T(1)) * T(1.0 / 16777216.0);
}

/// Two independent standard normals from two words (Box-Muller).
template <class T>
HEPCAT_HD void normal_pair(std::uint32_t a, std::uint32_t b, T* z0, T* z1) {
  const T r = std::sqrt(T(-2) * std::log(uniform_open0<T>(a)));
  const T phi = T(6.283185307179586) * uniform_open0<T>(b);
  *z0 = r * std::cos(phi);
  *z1 = r * std::sin(phi);
}

/// The four words for item `index` of stream `stream` under `seed`.
HEPCAT_HD Philox4x32 random_words(std::uint64_t seed, std::uint64_t index, std::uint32_t stream) {
  return philox4x32(Philox4x32{{static_cast<std::uint32_t>(index),
                                static_cast<std::uint32_t>(index >> 32), stream, 0u}},
                    seed);
}

}  // namespace hepcat::math
