// The mass-asymmetry baseline of jet assignment (SCIENCE.md section 5) for one event: every split
// of the considered jets into two disjoint triplets (the others left out), keeping the one with
// the smallest |m1 - m2| / (m1 + m2). Called by the CPU loop and the CUDA kernel alike.
#pragma once

#include <cstdint>

#include "hepcat/math/assign_kinematics.hpp"
#include "hepcat/math/hd.hpp"

namespace hepcat::math {

/// Most jets the baseline considers in one event (C(16,3) C(13,3) / 2 = 80,080 splits).
constexpr int kBaselineMaxJets = 16;

/// One event: jets [0, max_jets) of the event with `mask` (real jets a prefix), of which the
/// first min(n real, leading) are considered (`leading` <= kBaselineMaxJets). Writes the two
/// triplets' jet indices to triplet[0..2] (the triplet holding the lowest index) and
/// triplet[3..5], their masses to *m1, *m2 and the asymmetry to *asymmetry. Splits are visited in
/// lexicographic order of (first triplet, second triplet) and only a strictly smaller asymmetry
/// replaces the best, so ties keep the first. Fewer than 6 jets: triplets -1, masses 0,
/// asymmetry -1. Arithmetic in T.
template <class T>
HEPCAT_HD void mass_asymmetry_split(const float* pt, const float* eta, const float* phi,
                                    const float* e, const std::uint8_t* mask, int max_jets,
                                    int leading, std::int8_t* triplet, float* m1, float* m2,
                                    float* asymmetry) {
  int n = 0;
  while (n < max_jets && n < leading && mask[n]) ++n;
  for (int k = 0; k < 6; ++k) triplet[k] = -1;
  *m1 = *m2 = 0.f;
  *asymmetry = -1.f;
  if (n < 6) return;
  P4<T> jet[kBaselineMaxJets];
  for (int k = 0; k < n; ++k) jet[k] = jet_p4<T>(pt[k], eta[k], phi[k], e[k]);
  T best = T(2), best_ma = T(0), best_mb = T(0);
  int best_a[3] = {0, 0, 0}, best_b[3] = {0, 0, 0};
  // The first triplet holds the lowest jet index of the six, so each split is visited once.
  for (int a0 = 0; a0 < n; ++a0)
    for (int a1 = a0 + 1; a1 < n; ++a1) {
      const P4<T> pa01 = jet[a0] + jet[a1];
      for (int a2 = a1 + 1; a2 < n; ++a2) {
        const T ma = invariant_mass(pa01 + jet[a2]);
        for (int b0 = a0 + 1; b0 < n; ++b0) {
          if (b0 == a1 || b0 == a2) continue;
          for (int b1 = b0 + 1; b1 < n; ++b1) {
            if (b1 == a1 || b1 == a2) continue;
            const P4<T> pb01 = jet[b0] + jet[b1];
            for (int b2 = b1 + 1; b2 < n; ++b2) {
              if (b2 == a1 || b2 == a2) continue;
              const T mb = invariant_mass(pb01 + jet[b2]);
              const T asym = mass_asymmetry(ma, mb);
              if (asym < best) {
                best = asym;
                best_ma = ma;
                best_mb = mb;
                best_a[0] = a0, best_a[1] = a1, best_a[2] = a2;
                best_b[0] = b0, best_b[1] = b1, best_b[2] = b2;
              }
            }
          }
        }
      }
    }
  for (int k = 0; k < 3; ++k) {
    triplet[k] = static_cast<std::int8_t>(best_a[k]);
    triplet[3 + k] = static_cast<std::int8_t>(best_b[k]);
  }
  *m1 = static_cast<float>(best_ma);
  *m2 = static_cast<float>(best_mb);
  *asymmetry = static_cast<float>(best);
}

}  // namespace hepcat::math
