// Per-event results of a forward pass from its final logits, candidates and losses, the same for
// every backend.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/math/assign.hpp"
#include "host/assign/model_network.hpp"

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

/// make_output over the parts of a batch in ws (forward_batch's), in event order.
template <class T>
AssignOutput<T> batch_output(const AssignConfig& c, std::size_t events, std::size_t jets,
                             const BatchWorkspace<T>& ws, AssignTrace* trace) {
  const int t = c.categories, e = c.embed_dim;
  std::vector<T> logits, cp4, m2, loss;
  std::vector<std::uint8_t> pad;
  logits.reserve(events * jets * t);
  for (const ForwardCache<T>& part : ws.parts) {
    for (std::size_t r = 0; r < part.events * part.jets; ++r)
      logits.insert(logits.end(), &part.x_final[r * e], &part.x_final[r * e] + t);
    pad.insert(pad.end(), part.pad.begin(), part.pad.end());
    cp4.insert(cp4.end(), part.cp4.begin(), part.cp4.end());
    m2.insert(m2.end(), part.m2.begin(), part.m2.end());
    loss.insert(loss.end(), part.loss_event.begin(), part.loss_event.end());
  }
  return make_output(c, events, jets, logits.data(), t, pad.data(), std::move(cp4), m2,
                     std::move(loss), trace);
}

/// The forward without dropout on the host into ws: with a trace in one piece (the intermediates
/// of the whole batch), otherwise in parts over the threads (forward_batch). ws.loss is the batch
/// mean loss afterwards; batch_output gives the per-event results.
template <class T>
void host_forward(const Architecture& arch, const T* params, const T* x, std::size_t events,
                  std::size_t jets, bool soft, const AssignLoss& loss, std::uint64_t loss_seed,
                  BatchWorkspace<T>& ws, AssignTrace* trace) {
  if (!trace) {
    forward_batch(arch, params, x, events, jets, soft, loss, Dropout{}, loss_seed, ws);
    return;
  }
  ws.parts.resize(1);
  ws.parts[0].part = BatchPart{};
  forward(arch, params, x, events, jets, soft, loss, Dropout{}, loss_seed, ws.parts[0], trace);
  ws.loss = ws.parts[0].loss;
}

}  // namespace hepcat::assign
