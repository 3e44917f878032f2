// Poisson variates from counter-based random words (math/random.hpp), the same on every backend
// and thread count: item `index` of stream `stream` under `seed` draws from its own counters.
// Small means by inversion of the cumulative distribution (one uniform); large means by
// transformed rejection with squeeze (PTRS, Hormann 1993), which needs about 1.1 uniform pairs
// per variate whatever the mean.
#pragma once

#include <cmath>
#include <cstdint>

#include "hepcat/math/hd.hpp"
#include "hepcat/math/random.hpp"

namespace hepcat::math {

/// Uniforms in (0, 1] for one item, four per Philox call, counters advancing with use.
class UniformStream {
 public:
  HEPCAT_HD UniformStream(std::uint64_t seed, std::uint64_t index, std::uint32_t stream)
      : seed_(seed), index_(index), stream_(stream) {}
  template <class T>
  HEPCAT_HD T next() {
    if (used_ == 4) {
      ++block_;
      used_ = 0;
    }
    if (used_ == 0)
      words_ = philox4x32(Philox4x32{{static_cast<std::uint32_t>(index_),
                                      static_cast<std::uint32_t>(index_ >> 32), stream_, block_}},
                          seed_);
    return uniform_open0<T>(words_.v[used_++]);
  }

 private:
  std::uint64_t seed_, index_;
  std::uint32_t stream_, block_ = 0;
  int used_ = 0;
  Philox4x32 words_{};
};

/// Below this mean inversion is used; it takes ~mean steps, PTRS a constant number.
constexpr double kPoissonInversionLimit = 10.0;

template <class T>
HEPCAT_HD std::int64_t poisson_variate(T mean, UniformStream& u) {
  if (!(mean > T(0))) return 0;
  if (mean < T(kPoissonInversionLimit)) {
    const T x = u.next<T>();
    T p = std::exp(-mean), cdf = p;
    std::int64_t k = 0;
    // The cap only guards against x rounding above the summed cdf (tail beyond ~mean + 40 is
    // below double precision).
    while (x > cdf && k < 1000) {
      ++k;
      p *= mean / T(k);
      cdf += p;
    }
    return k;
  }
  const T slam = std::sqrt(mean), loglam = std::log(mean);
  const T b = T(0.931) + T(2.53) * slam;
  const T a = T(-0.059) + T(0.02483) * b;
  const T inv_alpha = T(1.1239) + T(1.1328) / (b - T(3.4));
  const T vr = T(0.9277) - T(3.6224) / (b - T(2));
  for (;;) {
    const T U = u.next<T>() - T(0.5);
    const T V = u.next<T>();
    const T us = T(0.5) - std::abs(U);
    const T k = std::floor((T(2) * a / us + b) * U + mean + T(0.43));
    if (us >= T(0.07) && V <= vr) return static_cast<std::int64_t>(k);
    if (k < T(0) || (us < T(0.013) && V > us)) continue;
    if (std::log(V) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -mean + k * loglam - std::lgamma(k + T(1)))
      return static_cast<std::int64_t>(k);
  }
}

}  // namespace hepcat::math
