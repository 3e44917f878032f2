// The mass-asymmetry baseline of jet assignment (SCIENCE.md section 5), batched over events on
// the context's backend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/context.hpp"
#include "hepcat/jets.hpp"

namespace hepcat {

struct BaselineOptions {
  /// Jets considered per event: the leading `leading` (pt order); 0 means all of them. At most
  /// 16 are considered (80,080 splits per event).
  std::size_t leading = 6;
};

/// Per event: the two triplets (jet indices, the first holding the lower index; -1 for an event
/// with fewer than 6 jets), their masses, m_avg = (m1 + m2) / 2 and the asymmetry
/// |m1 - m2| / (m1 + m2) (-1 without a split), and the per-jet categories (0 = first triplet,
/// 1 = second, -1 = neither) that score_assignment takes.
struct BaselineResult {
  std::size_t n_events = 0, max_jets = 0;
  std::vector<std::int8_t> triplets;  ///< [n_events][2][3]
  std::vector<float> m1, m2, m_avg, asymmetry;
  std::vector<std::int8_t> category;  ///< [n_events][max_jets]
};

/// Runs the baseline over every event of `jets` on the context's backend (an OpenMP loop on
/// the CPU, one CUDA thread per event on the GPU), in double precision; the per-event outputs
/// come back to the host. Throws Error when `leading` is 0 and max_jets > 16, or `leading` > 16.
HEPCAT_API BaselineResult mass_asymmetry_baseline(const Context& ctx, const JetSet& jets,
                                                  const BaselineOptions& options = {});

}  // namespace hepcat
