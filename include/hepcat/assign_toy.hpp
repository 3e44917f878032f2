// Toy jet events for jet assignment (SCIENCE.md section 5): pair production of two identical
// resonances each decaying to three partons, and a multijet background.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hepcat/api.hpp"
#include "hepcat/jets.hpp"

namespace hepcat {

/// The toy's parameters (energies and momenta in GeV).
///
/// Signal: two resonances of mass `mass` are produced back to back in the pair rest frame with
/// momentum p* drawn from a Rayleigh distribution of scale `pair_momentum` x mass, isotropic;
/// the pair has rapidity ~ Normal(0, `pair_rapidity`) and recoils against the initial-state
/// radiation. Each resonance decays to three massless partons uniformly in phase space (flat
/// Dalitz plot, isotropic orientation). ISR: Poisson(`isr_mean`) jets with pt ~
/// pt^-`spectrum_index` above `pt_min`, uniform in eta within the acceptance and in phi. Every
/// parton and ISR jet is smeared in energy (direction kept, massless) with sigma_E/E =
/// `stochastic`/sqrt(E) (+) `constant` in quadrature; a jet survives when pt > `pt_min` and |eta| <
/// `eta_max`. Jets are sorted by pt and cut to `max_jets`; truth indices follow (-1 for a parton
/// without a jet).
///
/// Background: `min_jets` + Poisson(`background_extra_jets`) jets (at most `max_jets`), pt ~
/// pt^-`spectrum_index` above `pt_min`, uniform in eta within the acceptance and in phi, no truth.
///
/// Events with fewer than `min_jets` jets are redrawn (a fresh attempt of the same event), so every
/// event has at least min_jets jets. Event i depends only on (seed, first_event + i, sample):
/// any range can be generated on its own and the output does not depend on the thread count.
struct JetToyConfig {
  std::size_t events = 100000;
  std::uint64_t first_event = 0;
  std::uint64_t seed = 1;
  bool background = false;  ///< the multijet background instead of the signal
  double mass = 1000.0;
  double pair_momentum = 0.5;
  double pair_rapidity = 0.8;
  double isr_mean = 1.0;
  double spectrum_index = 4.0;
  double stochastic = 0.6;  ///< GeV^(1/2)
  double constant = 0.05;
  double pt_min = 25.0;
  double eta_max = 2.5;
  double background_extra_jets = 1.5;
  std::size_t max_jets = 10;
  std::size_t min_jets = 6;
};

/// Generates the toy in SPANet's shape: truth parents {"g1", "g2"}, daughters {"j1", "j2", "j3"}
/// for the signal, no truth for the background; jets massless. Throws Error for a parameter out
/// of range (naming it) and when an event fails to reach min_jets jets in 10,000 attempts.
HEPCAT_API JetTable generate_jet_toy(const JetToyConfig& config);

}  // namespace hepcat
