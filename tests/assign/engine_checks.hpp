// Checks of AssignEngine on one backend against the host forward and backward in double (the
// reference the fixture tests validate against the published code): every intermediate of the
// soft forward, the hard outputs away from near ties, gradients, one training step, batch
// independence. The CPU suite runs them on the CPU engine, the GPU suite on CUDA. Events: the
// pair-production toy (M = 500 GeV); model: torch's initialisation with the sample's input
// statistics, as training starts.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/assign_toy.hpp"
#include "hepcat/context.hpp"
#include "hepcat/jets.hpp"
#include "hepcat/optim.hpp"

namespace hepcat::test {

struct EngineCase {
  AssignModel model;
  std::vector<float> x;
  std::vector<double> xd;
  std::size_t events = 0, jets = 0;
};

inline EngineCase engine_case(int categories, std::size_t events, std::uint64_t seed) {
  JetToyConfig toy;
  toy.events = events;
  toy.mass = 500;
  toy.seed = seed;
  const JetTable t = generate_jet_toy(toy);
  AssignConfig cfg;
  cfg.categories = categories;
  EngineCase k{AssignModel(cfg), {}, {}, t.n_events, t.max_jets};
  k.x = assign_inputs(t.pt.data(), t.eta.data(), t.phi.data(), t.e.data(), t.n_events, t.max_jets);
  k.xd.assign(k.x.begin(), k.x.end());
  k.model.initialise(seed);
  std::vector<double> mean(5, 0.0), var(5, 0.0);
  const double rows = static_cast<double>(k.x.size() / 5);
  for (std::size_t i = 0; i < k.x.size(); ++i) mean[i % 5] += k.x[i] / rows;
  for (std::size_t i = 0; i < k.x.size(); ++i)
    var[i % 5] += (k.x[i] - mean[i % 5]) * (k.x[i] - mean[i % 5]) / rows;
  k.model.set_normalisation(mean, var);
  return k;
}

/// Relative (to max(1, |reference|)) tolerance of a float forward against the double one, by
/// kind of tensor: the fixture README's float32 spreads of the published (T = 2) code with a
/// margin. With T = 3 every candidate sums more soft-chosen jets: 1e-4 for activations (the
/// CPU's own float forward reaches 7e-5 there). With T = 2, 3e-5: the CPU's float forward, its
/// LayerNorm sums in eight lanes, reaches 2.0e-5 in the last block's candidate attention.
inline double float_tolerance(const std::string& name, int categories) {
  if (name.find("mass") != std::string::npos || name.find("p4") != std::string::npos) return 3e-2;
  if (name.find("loss") != std::string::npos) return 2e-4;
  return categories == 2 ? 3e-5 : 1e-4;
}

inline double worst_relative(const std::vector<double>& got, const std::vector<double>& ref) {
  double worst = 0;
  for (std::size_t i = 0; i < ref.size(); ++i)
    worst = std::max(worst, std::abs(got[i] - ref[i]) / std::max(1.0, std::abs(ref[i])));
  return worst;
}

/// Every intermediate the engine records in the soft forward (at least `min_names`), against the
/// double host forward (all but the final argmax).
inline void check_soft_intermediates(Context& ctx, int categories, std::size_t events,
                                     std::size_t min_names) {
  const EngineCase k = engine_case(categories, events, 3);
  AssignTrace ref, got;
  assign_forward(k.model, k.xd.data(), k.events, k.jets, AssignChoice::soft, &ref);
  AssignEngine engine(ctx, k.model);
  engine.forward(k.x.data(), k.events, k.jets, AssignChoice::soft, &got);
  CHECK(got.size() >= min_names);
  for (const auto& [name, values] : got) {
    // The final argmax flips at near ties; check_hard_outputs compares categories away from them.
    if (name == "hard_assignment") continue;
    INFO("T = " << categories << ", " << name);
    REQUIRE(ref.count(name) == 1);
    REQUIRE(values.size() == ref.at(name).size());
    const double worst = worst_relative(values, ref.at(name));
    INFO("worst relative difference " << worst);
    CHECK(worst <= float_tolerance(name, categories));
  }
}

/// Hard forward: categories identical, masses and losses within the float tolerances, in every
/// event whose logits at all five choice points are more than 1e-3 from a tie (at least half).
inline void check_hard_outputs(Context& ctx, int categories, std::size_t events) {
  const EngineCase k = engine_case(categories, events, 4);
  AssignTrace ref;
  const AssignOutput<double> want =
      assign_forward(k.model, k.xd.data(), k.events, k.jets, AssignChoice::hard, &ref);
  AssignEngine engine(ctx, k.model);
  const AssignOutput<float> got = engine.forward(k.x.data(), k.events, k.jets, AssignChoice::hard);
  const int t = categories;
  std::vector<std::string> points{"jet_logits_final"};
  for (int b = 0; b < k.model.config().blocks; ++b)
    points.push_back("block" + std::to_string(b) + "_jet_logits");
  std::size_t clear = 0;
  for (std::size_t b = 0; b < k.events; ++b) {
    bool tie = false;
    for (const std::string& name : points)
      for (std::size_t j = 0; j < k.jets && !tie; ++j) {
        const std::size_t r = b * k.jets + j;
        if (k.xd[r * 5] == 0) continue;  // padding
        const double* l = &ref.at(name)[r * t];
        std::vector<double> s(l, l + t);
        std::sort(s.rbegin(), s.rend());
        tie = s[0] - s[1] <= 1e-3;
      }
    if (tie) continue;
    ++clear;
    INFO("event " << b);
    for (std::size_t j = 0; j < k.jets; ++j)
      CHECK(got.category[b * k.jets + j] == want.category[b * k.jets + j]);
    for (int c = 0; c < t; ++c)
      CHECK(std::abs(got.mass[b * t + c] - want.mass[b * t + c]) <=
            3e-2 * std::max(1.0, want.mass[b * t + c]));
    CHECK(std::abs(got.loss[b] - want.loss[b]) <= 2e-4 * std::max(1.0, want.loss[b]));
  }
  CHECK(clear * 2 >= k.events);
}

/// Per parameter block: max |g - ref| <= 2e-4 of the block's largest |ref| (the CPU's own float
/// backward reaches 1.1e-4 on this freshly initialised model; 1e-4 holds for the published
/// weights, tests/assign/test_model_fixture.cpp).
template <class R>
void check_gradient(const AssignModel& model, const std::vector<float>& got,
                    const std::vector<R>& ref) {
  REQUIRE(got.size() == ref.size());
  for (const ParamBlock& b : model.layout().blocks()) {
    if (!model.trainable(b.name)) continue;
    INFO(b.name);
    double scale = 0, worst = 0;
    for (std::size_t i = b.offset; i < b.offset + b.count; ++i) {
      scale = std::max(scale, std::abs(static_cast<double>(ref[i])));
      worst = std::max(worst, std::abs(static_cast<double>(got[i]) - static_cast<double>(ref[i])));
    }
    INFO("max |difference| " << worst << " against block scale " << scale);
    CHECK(worst <= 2e-4 * std::max(scale, 1e-6));
  }
}

/// The gradient without dropout against the double host backward, for both loss variants; with
/// dropout (the same keep factors from the same counters) against the float host backward.
inline void check_gradients(Context& ctx, int categories, std::size_t events) {
  const EngineCase k = engine_case(categories, events, 5);
  AssignEngine engine(ctx, k.model);
  std::vector<float> got;
  std::vector<double> ref;
  const double loss = engine.gradient(k.x.data(), k.events, k.jets, AssignLoss(), got);
  const double want = assign_gradient(k.model, k.xd.data(), k.events, k.jets, AssignLoss(), ref);
  CHECK(loss == Approx(want).epsilon(2e-5));
  check_gradient(k.model, got, ref);
  std::vector<float> ref32;
  const double loss_d = engine.gradient(k.x.data(), k.events, k.jets, AssignLoss(), got, 11, true);
  const double want_d =
      assign_gradient(k.model, k.x.data(), k.events, k.jets, AssignLoss(), ref32, 11, true);
  CHECK(loss_d == Approx(want_d).epsilon(2e-5));
  CHECK(loss_d != Approx(loss).epsilon(1e-6));  // dropout did act
  check_gradient(k.model, got, ref32);
  // The four-term loss (its random assignment drawn from the seed on either backend).
  const AssignLoss four = AssignLoss::parse("four-term");
  const double loss_f = engine.gradient(k.x.data(), k.events, k.jets, four, got, 13);
  const double want_f = assign_gradient(k.model, k.xd.data(), k.events, k.jets, four, ref, 13);
  CHECK(loss_f == Approx(want_f).epsilon(2e-5));
  check_gradient(k.model, got, ref);
}

/// One training step (dropout, clipping, Adam) on `ctx` and on the CPU: the same loss and, for
/// every parameter whose gradient is not rounding noise, the same update.
inline void check_training_step(Context& ctx, std::size_t events) {
  const EngineCase k = engine_case(2, events, 6);
  Context cpu("cpu");
  AssignEngine a(ctx, k.model), b(cpu, k.model);
  Optimizer oa(ctx, OptimizerConfig(), a.parameter_count());
  Optimizer ob(cpu, OptimizerConfig(), b.parameter_count());
  std::vector<float> g;
  b.gradient(k.x.data(), k.events, k.jets, AssignLoss(), g, 9, true);
  const double la =
      a.train_step(k.x.data(), k.events, k.jets, AssignLoss(), 9, 0, true, 0.1, oa, 1e-3);
  const double lb =
      b.train_step(k.x.data(), k.events, k.jets, AssignLoss(), 9, 0, true, 0.1, ob, 1e-3);
  CHECK(la == Approx(lb).epsilon(2e-5));
  const std::vector<float> pa = a.parameters(), pb = b.parameters();
  const std::vector<float>& p0 = k.model.parameters();
  for (const ParamBlock& blk : k.model.layout().blocks()) {
    double scale = 0;
    for (std::size_t i = blk.offset; i < blk.offset + blk.count; ++i)
      scale = std::max(scale, std::abs(static_cast<double>(g[i])));
    INFO(blk.name);
    for (std::size_t i = blk.offset; i < blk.offset + blk.count; ++i) {
      CHECK(std::abs(pa[i] - p0[i]) <= 1.01e-3);  // Adam's first step moves by at most lr
      if (std::abs(g[i]) > 1e-2 * scale) CHECK(std::abs(pa[i] - pb[i]) <= 1e-6);
    }
  }
}

/// Each of the first `singles` events run alone gives what it gives in the whole batch.
inline void check_batch_independence(Context& ctx, std::size_t events, std::size_t singles) {
  const EngineCase k = engine_case(2, events, 8);
  AssignEngine engine(ctx, k.model);
  for (AssignChoice choice : {AssignChoice::hard, AssignChoice::soft}) {
    const AssignOutput<float> all = engine.forward(k.x.data(), k.events, k.jets, choice);
    for (std::size_t b = 0; b < singles; ++b) {
      const AssignOutput<float> one =
          engine.forward(k.x.data() + b * k.jets * 5, 1, k.jets, choice);
      for (std::size_t j = 0; j < k.jets; ++j)
        if (std::abs(one.logit_gap[j]) > 1e-3f)
          CHECK(one.category[j] == all.category[b * k.jets + j]);
      CHECK(one.loss[0] == Approx(all.loss[b]).epsilon(1e-4));
      // Masses cancel in m^2 = E^2 - p^2: the README's 8e-3 GeV spread, with a margin.
      for (int t = 0; t < 2; ++t)
        CHECK(std::abs(one.mass[t] - all.mass[b * 2 + t]) <= 0.02 + 1e-5 * all.mass[b * 2 + t]);
    }
  }
}

}  // namespace hepcat::test
