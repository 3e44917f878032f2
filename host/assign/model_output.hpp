// Per-event results of a forward pass from its final logits, candidates and losses, the same for
// every backend.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/math/assign.hpp"

namespace hepcat::assign {

/// logits: row r's T final logits at logits + r * stride; pad [rows]; cp4 [B][T][4], m2 [B][T]
/// and loss [B] as the forward computed them. With `trace`, records hard_assignment and
/// jet_softprob_final.
template <class T>
AssignOutput<T> make_output(const AssignConfig& c, std::size_t events, std::size_t jets,
                            const T* logits, int stride, const std::uint8_t* pad,
                            std::vector<T> cp4, const std::vector<T>& m2, std::vector<T> loss,
                            AssignTrace* trace) {
  const int t = c.categories;
  AssignOutput<T> out;
  out.events = events;
  out.jets = jets;
  out.categories = t;
  out.category.resize(events * jets);
  out.probability.resize(events * jets * t);
  out.logit_gap.resize(events * jets);
  // Rows are independent: any thread count gives the same bytes.
#pragma omp parallel for schedule(static)
  for (std::int64_t ri = 0; ri < static_cast<std::int64_t>(events * jets); ++ri) {
    const auto r = static_cast<std::size_t>(ri);
    const T* l = logits + r * stride;
    const int best = math::argmax(l, t);
    out.category[r] = pad[r] ? -1 : best;
    T second = -INFINITY;
    for (int k = 0; k < t; ++k)
      if (k != best && l[k] > second) second = l[k];
    out.logit_gap[r] = l[best] - second;
    math::soft_choice(l, t, T(c.temperature), &out.probability[r * t]);
  }
  out.candidates_p4 = std::move(cp4);
  out.mass.resize(events * t);
  for (std::size_t i = 0; i < events * t; ++i) out.mass[i] = std::sqrt(m2[i]);
  out.loss = std::move(loss);
  if (trace) {
    std::vector<double> hard(events * jets);
    for (std::size_t r = 0; r < hard.size(); ++r) hard[r] = out.category[r];
    (*trace)["hard_assignment"] = hard;
    (*trace)["jet_softprob_final"] =
        std::vector<double>(out.probability.begin(), out.probability.end());
  }
  return out;
}

}  // namespace hepcat::assign
