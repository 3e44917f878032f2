#include <catch2/catch.hpp>

#include <cmath>

#include "hepcat/math/random.hpp"

using hepcat::math::Philox4x32;
using hepcat::math::philox4x32;

TEST_CASE("Philox4x32-10 reproduces the Random123 known-answer vectors", "[random]") {
  // Known-answer vectors published with Random123 (counter words, key = k1:k0, output).
  const Philox4x32 zero = philox4x32(Philox4x32{{0, 0, 0, 0}}, 0);
  CHECK(zero.v[0] == 0x6627e8d5u);
  CHECK(zero.v[1] == 0xe169c58du);
  CHECK(zero.v[2] == 0xbc57ac4cu);
  CHECK(zero.v[3] == 0x9b00dbd8u);
  const Philox4x32 ones = philox4x32(
      Philox4x32{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffffffffffull);
  CHECK(ones.v[0] == 0x408f276du);
  CHECK(ones.v[1] == 0x41c83b0eu);
  CHECK(ones.v[2] == 0xa20bc7c6u);
  CHECK(ones.v[3] == 0x6d5451fdu);
  const Philox4x32 pi = philox4x32(Philox4x32{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}},
                                   0x299f31d0a4093822ull);
  CHECK(pi.v[0] == 0xd16cfe09u);
  CHECK(pi.v[1] == 0x94fdccebu);
  CHECK(pi.v[2] == 0x5001e420u);
  CHECK(pi.v[3] == 0x24126ea1u);
}

TEST_CASE("Box-Muller normals from Philox have mean 0 and variance 1", "[random]") {
  const int n = 200000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const Philox4x32 r = hepcat::math::random_words(7, i, 0);
    double z0, z1;
    hepcat::math::normal_pair<double>(r.v[0], r.v[1], &z0, &z1);
    s += z0 + z1;
    s2 += z0 * z0 + z1 * z1;
  }
  const double mean = s / (2 * n), var = s2 / (2 * n) - mean * mean;
  // 4e5 samples: standard error of the mean 1.6e-3, of the variance 2.2e-3; allow 5 sigma.
  CHECK(std::abs(mean) < 8e-3);
  CHECK(std::abs(var - 1) < 1.2e-2);
}
