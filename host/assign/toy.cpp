// The jet-assignment toy: pair-produced resonances decaying to three partons, and multijets.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "hepcat/assign_toy.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/assign_kinematics.hpp"
#include "hepcat/math/poisson.hpp"

namespace hepcat {

namespace {

using math::P4;
constexpr double kTwoPi = 6.283185307179586;
constexpr int kMaxAttempts = 10000;
constexpr std::size_t kMaxSlots = 64;

struct Jet {
  float pt, eta, phi;
  int truth;  // parent * 3 + daughter, -1 for ISR and background jets
};

void check(const JetToyConfig& c) {
  const auto need = [](bool ok, const std::string& what) {
    if (!ok) throw Error("jet toy: " + what);
  };
  const auto finite = [](double v) { return std::isfinite(v); };
  need(c.events >= 1, "events must be at least 1");
  need(finite(c.mass) && c.mass > 0, "mass must be positive");
  need(finite(c.pair_momentum) && c.pair_momentum >= 0, "pair momentum must be >= 0");
  need(finite(c.pair_rapidity) && c.pair_rapidity >= 0, "pair rapidity width must be >= 0");
  need(finite(c.isr_mean) && c.isr_mean >= 0 && c.isr_mean <= 100, "ISR mean must be in [0, 100]");
  need(finite(c.spectrum_index) && c.spectrum_index > 1, "spectrum index must be > 1");
  need(finite(c.stochastic) && c.stochastic >= 0, "stochastic resolution term must be >= 0");
  need(finite(c.constant) && c.constant >= 0, "constant resolution term must be >= 0");
  need(finite(c.pt_min) && c.pt_min > 0, "pt_min must be positive");
  need(finite(c.eta_max) && c.eta_max > 0, "eta_max must be positive");
  need(finite(c.background_extra_jets) && c.background_extra_jets >= 0 &&
           c.background_extra_jets <= 100,
       "background extra jets must be in [0, 100]");
  need(c.min_jets >= 1, "min_jets must be at least 1");
  need(c.max_jets >= c.min_jets && c.max_jets <= kMaxSlots,
       "max_jets must be in [min_jets, " + std::to_string(kMaxSlots) + "]");
}

double normal(math::UniformStream& u) {
  const double u1 = u.next<double>();
  return math::box_muller(u1, u.next<double>());
}

// A jet from a parton (or ISR four-vector): energy smeared, direction kept; none when the
// smeared energy is not positive or the jet falls outside the acceptance.
void make_jet(const JetToyConfig& c, const P4<double>& p, int truth, math::UniformStream& u,
              std::vector<Jet>& jets) {
  const double sigma = math::energy_resolution(p.e, c.stochastic, c.constant);
  const double scale = 1.0 + sigma * normal(u);
  if (!(scale > 0)) return;
  const P4<double> q{p.e * scale, p.px * scale, p.py * scale, p.pz * scale};
  const double pt = math::transverse_momentum(q);
  if (!(pt > c.pt_min)) return;
  const double eta = math::pseudorapidity(q);
  if (!(std::fabs(eta) < c.eta_max)) return;
  jets.push_back({static_cast<float>(pt), static_cast<float>(eta),
                  static_cast<float>(math::azimuth(q)), truth});
}

// A massless jet of falling pt, uniform in eta within the acceptance and in phi.
P4<double> spectrum_jet(const JetToyConfig& c, math::UniformStream& u) {
  const double pt = math::power_law(c.pt_min, c.spectrum_index, u.next<double>());
  const double eta = c.eta_max * (2 * u.next<double>() - 1);
  const double phi = kTwoPi * u.next<double>();
  return math::jet_p4(pt, eta, phi, math::jet_energy(pt, eta, 0.0));
}

void signal_attempt(const JetToyConfig& c, math::UniformStream& u, std::vector<Jet>& jets) {
  const double M = c.mass;
  // ISR first: the pair recoils against it.
  const auto n_isr = math::poisson_variate(c.isr_mean, u);
  std::vector<P4<double>> isr;
  double rx = 0, ry = 0;
  for (std::int64_t k = 0; k < n_isr; ++k) {
    isr.push_back(spectrum_jet(c, u));
    rx += isr.back().px;
    ry += isr.back().py;
  }
  // The pair: back-to-back resonances in its rest frame, then boosted to the lab.
  const double pstar = c.pair_momentum * M * std::sqrt(-2 * std::log(u.next<double>()));
  const double e_star = std::sqrt(M * M + pstar * pstar);
  const double m_pair = 2 * e_star;
  const double y = c.pair_rapidity * normal(u);
  const double mt = std::sqrt(m_pair * m_pair + rx * rx + ry * ry);
  const P4<double> pair{mt * std::cosh(y), -rx, -ry, mt * std::sinh(y)};
  const double ct = 2 * u.next<double>() - 1, st = std::sqrt(1 - ct * ct);
  const double ph = kTwoPi * u.next<double>();
  const double n[3] = {st * std::cos(ph), st * std::sin(ph), ct};
  for (int parent = 0; parent < 2; ++parent) {
    const double sign = parent == 0 ? 1 : -1;
    const P4<double> rest{e_star, sign * pstar * n[0], sign * pstar * n[1], sign * pstar * n[2]};
    const P4<double> res = math::boost_from_rest(rest, pair);
    // Flat Dalitz plot: uniform in the triangle s12, s23 >= 0, s12 + s23 <= M^2.
    double a = u.next<double>(), b = u.next<double>();
    if (a + b > 1) {
      a = 1 - a;
      b = 1 - b;
    }
    const double cos_theta = 2 * u.next<double>() - 1;
    const double phi = kTwoPi * u.next<double>(), psi = kTwoPi * u.next<double>();
    P4<double> q[3];
    math::massless_three_body(M, M * M * a, M * M * b, cos_theta, phi, psi, &q[0], &q[1], &q[2]);
    for (int d = 0; d < 3; ++d)
      make_jet(c, math::boost_from_rest(q[d], res), parent * 3 + d, u, jets);
  }
  for (const P4<double>& p : isr) make_jet(c, p, -1, u, jets);
}

void background_attempt(const JetToyConfig& c, math::UniformStream& u, std::vector<Jet>& jets) {
  const auto n = std::min<std::int64_t>(
      static_cast<std::int64_t>(c.min_jets) + math::poisson_variate(c.background_extra_jets, u),
      static_cast<std::int64_t>(c.max_jets));
  for (std::int64_t k = 0; k < n; ++k) {
    const P4<double> p = spectrum_jet(c, u);
    jets.push_back({static_cast<float>(math::transverse_momentum(p)),
                    static_cast<float>(math::pseudorapidity(p)),
                    static_cast<float>(math::azimuth(p)), -1});
  }
}

}  // namespace

JetTable generate_jet_toy(const JetToyConfig& c) {
  check(c);
  // Four float columns and a mask byte per jet slot, six truth indices per event.
  require_host_memory("the jet toy with " + std::to_string(c.events) + " events",
                      static_cast<double>(c.events) * (17.0 * c.max_jets + 24));
  JetTable t;
  t.n_events = c.events;
  t.max_jets = c.max_jets;
  const std::size_t slots = c.events * c.max_jets;
  t.pt.assign(slots, 0.f);
  t.eta.assign(slots, 0.f);
  t.phi.assign(slots, 0.f);
  t.e.assign(slots, 0.f);
  t.mask.assign(slots, 0);
  if (!c.background) {
    t.parents = {"g1", "g2"};
    t.daughters = {"j1", "j2", "j3"};
    t.truth.assign(c.events * 6, -1);
  }
  std::atomic<bool> failed{false};
  const auto n = static_cast<std::int64_t>(c.events);
#pragma omp parallel
  {
    std::vector<Jet> jets;
#pragma omp for schedule(dynamic, 1024)
    for (std::int64_t i = 0; i < n; ++i) {
      const std::uint64_t index = c.first_event + static_cast<std::uint64_t>(i);
      bool ok = false;
      for (int attempt = 0; attempt < kMaxAttempts && !ok; ++attempt) {
        jets.clear();
        math::UniformStream u(c.seed, index, 2u * attempt + (c.background ? 1u : 0u));
        if (c.background)
          background_attempt(c, u, jets);
        else
          signal_attempt(c, u, jets);
        ok = jets.size() >= c.min_jets;
      }
      if (!ok) {
        failed = true;
        continue;
      }
      std::stable_sort(jets.begin(), jets.end(),
                       [](const Jet& a, const Jet& b) { return a.pt > b.pt; });
      const std::size_t kept = std::min(jets.size(), c.max_jets);
      for (std::size_t k = 0; k < kept; ++k) {
        const std::size_t s = t.slot(static_cast<std::size_t>(i), k);
        t.pt[s] = jets[k].pt;
        t.eta[s] = jets[k].eta;
        t.phi[s] = jets[k].phi;
        t.e[s] = static_cast<float>(math::jet_energy<double>(jets[k].pt, jets[k].eta, 0.0));
        t.mask[s] = 1;
        if (jets[k].truth >= 0)
          t.truth[static_cast<std::size_t>(i) * 6 + jets[k].truth] = static_cast<std::int32_t>(k);
      }
    }
  }
  if (failed)
    throw Error("jet toy: an event did not reach " + std::to_string(c.min_jets) + " jets in " +
                std::to_string(kMaxAttempts) +
                " attempts (raise the mass or lower pt_min, eta cuts or min_jets)");
  return t;
}

}  // namespace hepcat
