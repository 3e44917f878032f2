#include <omp.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "hepcat/assign_baseline.hpp"
#include "hepcat/error.hpp"
#include "hepcat/jets.hpp"
#include "tests/backends.hpp"

using Catch::Matchers::Contains;
using hepcat::JetTable;

namespace {

// Random events with n_jets[i] jets, sorted by pt, E >= |p|.
JetTable random_jets(const std::vector<int>& n_jets, std::size_t max_jets, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  JetTable t;
  t.n_events = n_jets.size();
  t.max_jets = max_jets;
  const std::size_t slots = t.n_events * max_jets;
  t.pt.assign(slots, 0.f);
  t.eta.assign(slots, 0.f);
  t.phi.assign(slots, 0.f);
  t.e.assign(slots, 0.f);
  t.mask.assign(slots, 0);
  for (std::size_t i = 0; i < t.n_events; ++i) {
    std::vector<double> pts;
    for (int j = 0; j < n_jets[i]; ++j) pts.push_back(30 + 300 * u(rng));
    std::sort(pts.rbegin(), pts.rend());
    for (int j = 0; j < n_jets[i]; ++j) {
      const std::size_t s = i * max_jets + j;
      t.pt[s] = static_cast<float>(pts[j]);
      t.eta[s] = static_cast<float>(-2.5 + 5 * u(rng));
      t.phi[s] = static_cast<float>(-3.14 + 6.28 * u(rng));
      const double m = 5 + 20 * u(rng), p = pts[j] * std::cosh(t.eta[s]);
      t.e[s] = static_cast<float>(std::sqrt(p * p + m * m));
      t.mask[s] = 1;
    }
  }
  return t;
}

// Naive reference: every assignment of the first n jets to {A, B, neither} with three jets in
// each of A and B (3^n labellings, each split seen twice), masses in double.
struct Ref {
  double asym = 2;
  std::set<int> a, b;
  double ma = 0, mb = 0;
};

double triplet_mass(const JetTable& t, std::size_t i, const std::set<int>& jets) {
  double e = 0, px = 0, py = 0, pz = 0;
  for (int j : jets) {
    const std::size_t s = t.slot(i, j);
    e += t.e[s];
    px += t.pt[s] * std::cos(static_cast<double>(t.phi[s]));
    py += t.pt[s] * std::sin(static_cast<double>(t.phi[s]));
    pz += t.pt[s] * std::sinh(static_cast<double>(t.eta[s]));
  }
  return std::sqrt(std::max(0.0, e * e - px * px - py * py - pz * pz));
}

Ref naive(const JetTable& t, std::size_t i, int n) {
  Ref best;
  int total = 1;
  for (int k = 0; k < n; ++k) total *= 3;
  for (int code = 0; code < total; ++code) {
    std::set<int> a, b;
    int c = code;
    for (int j = 0; j < n; ++j, c /= 3) {
      if (c % 3 == 1) a.insert(j);
      if (c % 3 == 2) b.insert(j);
    }
    if (a.size() != 3 || b.size() != 3) continue;
    const double ma = triplet_mass(t, i, a), mb = triplet_mass(t, i, b);
    const double asym = std::fabs(ma - mb) / (ma + mb);
    if (asym < best.asym) best = {asym, a, b, ma, mb};
  }
  return best;
}

std::set<int> triplet_set(const hepcat::BaselineResult& r, std::size_t i, int which) {
  std::set<int> s;
  for (int k = 0; k < 3; ++k) s.insert(r.triplets[6 * i + 3 * which + k]);
  return s;
}

}  // namespace

TEST_CASE("baseline finds the split of smallest mass asymmetry (naive reference)", "[baseline]") {
  const std::string device = GENERATE(from_range(hepcat::test::test_devices()));
  hepcat::Context ctx(device);
  std::vector<int> n_jets;
  for (int i = 0; i < 120; ++i) n_jets.push_back(6 + i % 5);
  n_jets.push_back(4);  // too few jets: no split
  const JetTable t = random_jets(n_jets, 10, 21);
  const hepcat::JetSet jets(ctx, t);
  for (const std::size_t leading : {std::size_t{0}, std::size_t{6}, std::size_t{8}}) {
    hepcat::BaselineOptions o;
    o.leading = leading;
    const hepcat::BaselineResult r = hepcat::mass_asymmetry_baseline(ctx, jets, o);
    REQUIRE(r.n_events == t.n_events);
    for (std::size_t i = 0; i + 1 < t.n_events; ++i) {
      const int n = leading == 0 ? n_jets[i] : std::min<int>(n_jets[i], static_cast<int>(leading));
      const Ref ref = naive(t, i, n);
      const std::set<int> a = triplet_set(r, i, 0), b = triplet_set(r, i, 1);
      CHECK(((a == ref.a && b == ref.b) || (a == ref.b && b == ref.a)));
      CHECK(*a.begin() < *b.begin());
      CHECK(r.asymmetry[i] == Approx(ref.asym).margin(1e-6));
      CHECK(r.m1[i] == Approx(triplet_mass(t, i, a)).epsilon(1e-6));
      CHECK(r.m2[i] == Approx(triplet_mass(t, i, b)).epsilon(1e-6));
      CHECK(r.m_avg[i] == Approx(0.5 * (ref.ma + ref.mb)).epsilon(1e-6));
      for (int j = 0; j < 10; ++j)
        CHECK(r.category[i * 10 + j] == (a.count(j) ? 0 : b.count(j) ? 1 : -1));
    }
    const std::size_t last = t.n_events - 1;
    CHECK(r.asymmetry[last] == -1.f);
    CHECK(r.triplets[6 * last] == -1);
    CHECK(r.m_avg[last] == 0.f);
  }
}

TEST_CASE("baseline results do not depend on the thread count", "[baseline]") {
  hepcat::Context ctx("cpu");
  std::vector<int> n_jets(3000);
  for (std::size_t i = 0; i < n_jets.size(); ++i) n_jets[i] = 6 + static_cast<int>(i % 5);
  const hepcat::JetSet jets(ctx, random_jets(n_jets, 10, 8));
  hepcat::BaselineOptions o;
  o.leading = 0;
  omp_set_num_threads(1);
  const hepcat::BaselineResult one = hepcat::mass_asymmetry_baseline(ctx, jets, o);
  omp_set_num_threads(2);
  const hepcat::BaselineResult two = hepcat::mass_asymmetry_baseline(ctx, jets, o);
  CHECK(one.triplets == two.triplets);
  CHECK(one.m_avg == two.m_avg);
  CHECK(one.category == two.category);
}

TEST_CASE("baseline options out of range", "[baseline]") {
  hepcat::Context ctx("cpu");
  const JetTable t = random_jets({6, 7}, 18, 2);
  const hepcat::JetSet jets(ctx, t);
  hepcat::BaselineOptions o;
  o.leading = 17;
  CHECK_THROWS_WITH(hepcat::mass_asymmetry_baseline(ctx, jets, o), Contains("at most 16 jets"));
  o.leading = 0;
  CHECK_THROWS_WITH(hepcat::mass_asymmetry_baseline(ctx, jets, o), Contains("18 slots"));
  o.leading = 16;
  CHECK(hepcat::mass_asymmetry_baseline(ctx, jets, o).n_events == 2);
}

TEST_CASE("score_assignment counts exact triplets in either order, restricted as SPANet does",
          "[baseline]") {
  JetTable t = random_jets({7, 7, 8, 6}, 8, 4);
  t.parents = {"t1", "t2"};
  t.daughters = {"b", "q1", "q2"};
  // Event 0: truth (0,1,2) (3,4,5); event 1: a parton without jet; event 2: truth jet 7 (beyond
  // the leading six); event 3: truth (5,0,1) (2,3,4).
  t.truth = {0, 1, 2, 3, 4, 5, 0, 1, -1, 3, 4, 5, 0, 1, 7, 3, 4, 5, 5, 0, 1, 2, 3, 4};
  std::vector<std::int8_t> cat(4 * 8, -1);
  const auto set = [&](std::size_t i, std::vector<int> a, std::vector<int> b) {
    for (int j : a) cat[i * 8 + j] = 0;
    for (int j : b) cat[i * 8 + j] = 1;
  };
  set(0, {3, 4, 5}, {0, 1, 2});  // swapped: correct
  set(1, {0, 1, 6}, {3, 4, 5});  // t1 incomplete; t2 correct
  set(2, {0, 1, 7}, {3, 4, 5});  // correct, but out of reach 6
  set(3, {5, 0, 2}, {1, 3, 4});  // wrong
  hepcat::AssignmentScore s = hepcat::score_assignment(t, cat);
  CHECK(s.events == 3);
  CHECK(s.events_correct == 2);
  CHECK(s.event_correct == std::vector<std::int8_t>{1, -1, 1, 0});
  CHECK(s.parents == 7);
  CHECK(s.parents_correct == 5);
  CHECK(s.parent_correct == std::vector<std::int8_t>{1, 1, -1, 1, 1, 1, 0, 0});
  s = hepcat::score_assignment(t, cat, 6);
  CHECK(s.events == 2);
  CHECK(s.events_correct == 1);
  CHECK(s.parents == 6);  // event 2's t2 is in reach, its t1 is not
  CHECK(s.parents_correct == 4);
  // Two categories over all jets (the ABC model with T = 2): only the truth jets count.
  std::fill(cat.begin(), cat.end(), 1);
  for (int j : {0, 1, 2, 6}) cat[j] = 0;
  s = hepcat::score_assignment(t, cat);
  CHECK(s.event_correct[0] == 1);
  // The same category for both parents is wrong for both.
  std::fill(cat.begin(), cat.end(), 0);
  CHECK(hepcat::score_assignment(t, cat).parents_correct == 0);
  CHECK_THROWS_WITH(hepcat::score_assignment(t, std::vector<std::int8_t>(5)),
                    Contains("5 categories for 4 events x 8 jets"));
  const std::vector<float> tm = hepcat::truth_masses(t);
  CHECK(tm[0] == Approx(triplet_mass(t, 0, {0, 1, 2})).epsilon(1e-6));
  CHECK(tm[1] == Approx(triplet_mass(t, 0, {3, 4, 5})).epsilon(1e-6));
  CHECK(std::isnan(tm[2]));
  CHECK(tm[7] == Approx(triplet_mass(t, 3, {2, 3, 4})).epsilon(1e-6));
  t.truth.clear();
  CHECK_THROWS_WITH(hepcat::score_assignment(t, cat), Contains("no truth"));
  CHECK_THROWS_WITH(hepcat::truth_masses(t), Contains("no truth"));
}

#ifdef HEPCAT_HAVE_HDF5
TEST_CASE("baseline on the ttbar fixture reproduces the README's leading-six purity",
          "[baseline][fixture]") {
  const std::string path = std::string(HEPCAT_FIXTURES_DIR) + "/assign/ttbar_allhad_a.h5";
  const JetTable t = hepcat::read_jets(path);
  hepcat::Context ctx("cpu");
  const hepcat::JetSet jets(ctx, t);
  const hepcat::BaselineResult r = hepcat::mass_asymmetry_baseline(ctx, jets);
  const hepcat::AssignmentScore s = hepcat::score_assignment(t, r.category, 6);
  // README: 28.7 % of the events whose six truth jets are the leading six (13 % of 5,000).
  CHECK(s.events == Approx(650).margin(25));
  CHECK(s.event_purity() == Approx(0.287).margin(0.0005));
}
#endif
