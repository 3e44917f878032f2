// The mass-asymmetry baseline of jet assignment over events of 10 jet slots: the leading six of
// 10 real jets (10 splits per event), and all jets of events with 6 + min(4, Poisson(1.2)) real
// jets (about 7.2 on average, as in SPANet's ttbar sample; 10 to 2,100 splits per event). The
// per-event results come back to the host, as mass_asymmetry_baseline returns them.
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include "bench/bench.hpp"
#include "hepcat/assign_baseline.hpp"
#include "hepcat/jets.hpp"

namespace hepcat::bench {

namespace {

constexpr std::size_t kJets = 10;

// Random jets sorted by pt, all slots real or a ttbar-like multiplicity (the NumPy peer draws the
// same distributions).
JetTable random_jets(std::size_t n, bool all_real) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::poisson_distribution<int> extra(1.2);
  JetTable t;
  t.n_events = n;
  t.max_jets = kJets;
  t.pt.resize(n * kJets);
  t.eta.resize(n * kJets);
  t.phi.resize(n * kJets);
  t.e.resize(n * kJets);
  t.mask.assign(n * kJets, 0);
  for (std::size_t i = 0; i < n; ++i) {
    float pt = 400.f;
    const std::size_t real = all_real ? kJets : 6 + std::min(4, extra(rng));
    for (std::size_t j = 0; j < real; ++j) {
      const std::size_t s = i * kJets + j;
      pt *= 0.7f + 0.3f * u(rng);
      t.pt[s] = pt;
      t.eta[s] = 5.f * u(rng) - 2.5f;
      t.phi[s] = 6.2831853f * u(rng) - 3.1415927f;
      const float m = 10.f * u(rng);
      t.e[s] = std::sqrt(std::pow(pt * std::cosh(t.eta[s]), 2.f) + m * m);
      t.mask[s] = 1;
    }
  }
  return t;
}

Workload baseline_workload(const char* name, std::size_t leading) {
  // Reads pt, eta, phi, E (float) and the mask (byte) of every slot.
  return {
      name, "events", kJets * 17.0, [leading](Context& ctx, std::size_t n) {
        auto jets = std::make_shared<JetSet>(ctx, random_jets(n, leading != 0));
        BaselineOptions o;
        o.leading = leading;
        return std::function<void()>([&ctx, jets, o] { mass_asymmetry_baseline(ctx, *jets, o); });
      }};
}

}  // namespace

Workload assign_baseline_lead6_workload() {
  return baseline_workload("assign_baseline_lead6", 6);
}

Workload assign_baseline_all_workload() {
  return baseline_workload("assign_baseline_all", 0);
}

}  // namespace hepcat::bench
