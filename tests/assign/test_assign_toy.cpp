#include <omp.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "hepcat/assign_toy.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/assign_kinematics.hpp"

using Catch::Matchers::Contains;
using hepcat::JetTable;
using hepcat::JetToyConfig;
using P4 = hepcat::math::P4<double>;

namespace {

// Independent double-precision helpers written from the definitions.
double mass_of(double e, double px, double py, double pz) {
  return std::sqrt(std::max(0.0, e * e - px * px - py * py - pz * pz));
}

struct Vec {
  double e = 0, px = 0, py = 0, pz = 0;
};

Vec jet_vec(const JetTable& t, std::size_t s) {
  const double pt = t.pt[s], eta = t.eta[s], phi = t.phi[s];
  return {t.e[s], pt * std::cos(phi), pt * std::sin(phi), pt * std::sinh(eta)};
}

Vec sum(const Vec& a, const Vec& b) {
  return {a.e + b.e, a.px + b.px, a.py + b.py, a.pz + b.pz};
}

double mass_of(const Vec& v) {
  return mass_of(v.e, v.px, v.py, v.pz);
}

JetToyConfig ideal(std::size_t events) {
  JetToyConfig c;
  c.events = events;
  c.isr_mean = 0;
  c.stochastic = 0;
  c.constant = 0;
  c.pt_min = 1e-3;
  c.eta_max = 50;
  c.max_jets = 6;
  return c;
}

}  // namespace

TEST_CASE("massless three-body decay reproduces the Dalitz point and conserves momentum",
          "[assign_toy]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int k = 0; k < 1000; ++k) {
    const double M = 50 + 1000 * u(rng);
    double a = u(rng), b = u(rng);
    if (a + b > 1) a = 1 - a, b = 1 - b;
    P4 p[3];
    hepcat::math::massless_three_body(M, M * M * a, M * M * b, 2 * u(rng) - 1, 6.28 * u(rng),
                                      6.28 * u(rng), &p[0], &p[1], &p[2]);
    const double tol = 1e-9 * M;
    CHECK(p[0].px + p[1].px + p[2].px == Approx(0).margin(tol));
    CHECK(p[0].py + p[1].py + p[2].py == Approx(0).margin(tol));
    CHECK(p[0].pz + p[1].pz + p[2].pz == Approx(0).margin(tol));
    CHECK(p[0].e + p[1].e + p[2].e == Approx(M));
    for (int i = 0; i < 3; ++i) CHECK(mass_of(p[i].e, p[i].px, p[i].py, p[i].pz) < 1e-6 * M);
    const auto m2 = [&](int i, int j) {
      const double m =
          mass_of(p[i].e + p[j].e, p[i].px + p[j].px, p[i].py + p[j].py, p[i].pz + p[j].pz);
      return m * m;
    };
    CHECK(m2(0, 1) == Approx(M * M * a).margin(1e-8 * M * M));
    CHECK(m2(1, 2) == Approx(M * M * b).margin(1e-8 * M * M));
  }
}

TEST_CASE("boost_from_rest matches the boost along z and keeps masses", "[assign_toy]") {
  // A frame moving along z with rapidity y: E' = E cosh y + pz sinh y, pz' = pz cosh y + E sinh y.
  const double m = 300, y = 0.7;
  const P4 frame{m * std::cosh(y), 0, 0, m * std::sinh(y)};
  const P4 p{50, 10, -20, 30};
  const P4 q = hepcat::math::boost_from_rest(p, frame);
  CHECK(q.e == Approx(p.e * std::cosh(y) + p.pz * std::sinh(y)));
  CHECK(q.pz == Approx(p.pz * std::cosh(y) + p.e * std::sinh(y)));
  CHECK(q.px == Approx(p.px));
  CHECK(q.py == Approx(p.py));
  // A general frame: the frame's own rest vector boosts onto the frame; masses are kept.
  const P4 g{900, 200, -300, 400};
  const double mg = mass_of(g.e, g.px, g.py, g.pz);
  const P4 r = hepcat::math::boost_from_rest(P4{mg, 0, 0, 0}, g);
  CHECK(r.e == Approx(g.e));
  CHECK(r.px == Approx(g.px));
  CHECK(r.pz == Approx(g.pz));
  const P4 s = hepcat::math::boost_from_rest(p, g);
  CHECK(mass_of(s.e, s.px, s.py, s.pz) == Approx(mass_of(p.e, p.px, p.py, p.pz)));
}

TEST_CASE("ideal toy: each truth triplet has the resonance mass, Dalitz plot is flat",
          "[assign_toy]") {
  for (const double M : {1000.0, 173.0}) {
    JetToyConfig c = ideal(20000);
    c.mass = M;
    const JetTable t = hepcat::generate_jet_toy(c);
    REQUIRE(t.parents == std::vector<std::string>{"g1", "g2"});
    REQUIRE(t.daughters == std::vector<std::string>{"j1", "j2", "j3"});
    // 6 x 6 grid over the unit square of (s12, s23) / M^2; the triangle holds 15 full cells
    // (below the diagonal) whose expected counts are equal.
    std::vector<double> cells(36, 0);
    std::size_t in_triangle_cells = 0;
    for (std::size_t i = 0; i < t.n_events; ++i) {
      REQUIRE(t.n_jets(i) == 6);
      for (std::size_t p = 0; p < 2; ++p) {
        Vec v[3];
        for (std::size_t d = 0; d < 3; ++d) {
          const int k = t.truth_jet(i, p, d);
          REQUIRE(k >= 0);
          v[d] = jet_vec(t, t.slot(i, static_cast<std::size_t>(k)));
        }
        CHECK(mass_of(sum(sum(v[0], v[1]), v[2])) == Approx(M).epsilon(2e-4));
        if (p == 0) {
          const double s12 = std::pow(mass_of(sum(v[0], v[1])), 2) / (M * M);
          const double s23 = std::pow(mass_of(sum(v[1], v[2])), 2) / (M * M);
          const int a = std::min(5, static_cast<int>(s12 * 6)),
                    b = std::min(5, static_cast<int>(s23 * 6));
          if (a + b <= 4) {  // cell entirely inside the triangle
            cells[a * 6 + b] += 1;
            ++in_triangle_cells;
          }
        }
      }
    }
    double chi2 = 0;
    const double expected = static_cast<double>(in_triangle_cells) / 15;
    for (int a = 0; a < 6; ++a)
      for (int b = 0; a + b <= 4; ++b) chi2 += std::pow(cells[a * 6 + b] - expected, 2) / expected;
    // 14 degrees of freedom: p = 0.001 at 36.1.
    CHECK(chi2 < 36.1);
  }
}

TEST_CASE("toy events depend only on seed and event index", "[assign_toy]") {
  JetToyConfig c;
  c.events = 3000;
  c.seed = 9;
  omp_set_num_threads(1);
  const JetTable one = hepcat::generate_jet_toy(c);
  omp_set_num_threads(2);
  const JetTable two = hepcat::generate_jet_toy(c);
  CHECK(one.pt == two.pt);
  CHECK(one.eta == two.eta);
  CHECK(one.truth == two.truth);
  c.first_event = 1000;
  c.events = 500;
  const JetTable part = hepcat::generate_jet_toy(c);
  CHECK(std::vector<float>(one.pt.begin() + 1000 * 10, one.pt.begin() + 1500 * 10) == part.pt);
  CHECK(std::vector<std::int32_t>(one.truth.begin() + 1000 * 6, one.truth.begin() + 1500 * 6) ==
        part.truth);
  c.seed = 10;
  CHECK(hepcat::generate_jet_toy(c).pt != part.pt);
}

TEST_CASE("toy jets pass the acceptance, are sorted, and truth points at the right jets",
          "[assign_toy]") {
  JetToyConfig c;
  c.events = 5000;
  c.mass = 500;
  const JetTable t = hepcat::generate_jet_toy(c);
  hepcat::validate_jets(t, "toy", 6);
  std::size_t lost = 0, isr_events = 0;
  double mass_sum = 0;
  std::size_t complete = 0;
  for (std::size_t i = 0; i < t.n_events; ++i) {
    const std::size_t n = t.n_jets(i);
    REQUIRE(n >= 6);
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t s = t.slot(i, j);
      CHECK(t.pt[s] > c.pt_min);
      CHECK(std::fabs(t.eta[s]) < c.eta_max);
      if (j > 0) CHECK(t.pt[s] <= t.pt[s - 1]);
      CHECK(t.e[s] == static_cast<float>(t.pt[s] * std::cosh(static_cast<double>(t.eta[s]))));
    }
    std::size_t matched = 0;
    for (std::size_t p = 0; p < 2; ++p) {
      Vec v;
      bool all = true;
      for (std::size_t d = 0; d < 3; ++d) {
        const int k = t.truth_jet(i, p, d);
        lost += k < 0;
        all = all && k >= 0;
        matched += k >= 0;
        if (k >= 0) v = sum(v, jet_vec(t, t.slot(i, static_cast<std::size_t>(k))));
      }
      if (all) {
        mass_sum += mass_of(v);
        ++complete;
      }
    }
    isr_events += n > matched;
  }
  // Smearing moves the triplet masses around M; ISR and lost partons happen but are not the rule.
  CHECK(mass_sum / complete == Approx(500).epsilon(0.05));
  CHECK(lost > 0);
  CHECK(isr_events > t.n_events / 4);
  CHECK(complete > t.n_events);
}

TEST_CASE("multijet background: falling spectrum, no truth", "[assign_toy]") {
  JetToyConfig c;
  c.events = 20000;
  c.background = true;
  const JetTable t = hepcat::generate_jet_toy(c);
  CHECK(!t.has_truth());
  std::size_t jets = 0, above = 0;
  for (std::size_t i = 0; i < t.n_events; ++i) {
    const std::size_t n = t.n_jets(i);
    CHECK(n >= 6);
    jets += n;
    for (std::size_t j = 0; j < n; ++j) above += t.pt[t.slot(i, j)] > 2 * c.pt_min;
  }
  // pt ~ pt^-4 above pt_min: P(pt > 2 pt_min) = 2^-3; jets per event 6 + Poisson(1.5), capped.
  CHECK(static_cast<double>(above) / jets == Approx(0.125).margin(0.006));
  CHECK(static_cast<double>(jets) / t.n_events == Approx(7.5).margin(0.1));
}

TEST_CASE("toy parameters out of range are rejected by name", "[assign_toy]") {
  JetToyConfig c;
  c.events = 10;
  c.mass = -1;
  CHECK_THROWS_WITH(hepcat::generate_jet_toy(c), Contains("mass must be positive"));
  c.mass = 1000;
  c.spectrum_index = 1;
  CHECK_THROWS_WITH(hepcat::generate_jet_toy(c), Contains("spectrum index"));
  c.spectrum_index = 4;
  c.max_jets = 4;
  CHECK_THROWS_WITH(hepcat::generate_jet_toy(c), Contains("max_jets"));
  c.max_jets = 10;
  c.mass = 10;
  c.pt_min = 200;
  c.isr_mean = 0;
  CHECK_THROWS_WITH(hepcat::generate_jet_toy(c), Contains("did not reach 6 jets"));
}
