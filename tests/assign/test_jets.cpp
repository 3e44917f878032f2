#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "hepcat/jets.hpp"
#include "tests/assign/jet_files.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hepcat::JetTable;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(HEPCAT_TEST_TMP) / ("jets_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A small SPANet-layout sample: event i has n_jets[i] real jets of random kinematics, truth
// t1 = jets (0, 1, 2), t2 = (3, 4, -1).
struct Sample {
  std::size_t n = 0, J = 0;
  std::vector<double> pt, eta, phi, mass, mask;
  std::vector<std::vector<double>> truth;  // [6] columns t1/b, t1/q1, t1/q2, t2/b, t2/q1, t2/q2

  Sample(const std::vector<int>& n_jets, std::size_t max_jets) : n(n_jets.size()), J(max_jets) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < J; ++j) {
        const bool real = static_cast<int>(j) < n_jets[i];
        mask.push_back(real);
        pt.push_back(real ? static_cast<float>(30 + 200 * u(rng)) : 0.0);
        eta.push_back(real ? static_cast<float>(-2.5 + 5 * u(rng)) : 0.0);
        phi.push_back(real ? static_cast<float>(-3.1 + 6.2 * u(rng)) : 0.0);
        mass.push_back(real ? static_cast<float>(20 * u(rng)) : 0.0);
      }
    const double t[6] = {0, 1, 2, 3, 4, -1};
    for (double k : t) truth.emplace_back(n, k);
  }

  std::vector<hepcat::test::H5Item> items() const {
    const std::vector<hsize_t> s{n, J};
    std::vector<hepcat::test::H5Item> v = {{"INPUTS/Source/MASK", s, mask, 0},
                                           {"INPUTS/Source/pt", s, pt},
                                           {"INPUTS/Source/eta", s, eta},
                                           {"INPUTS/Source/phi", s, phi},
                                           {"INPUTS/Source/mass", s, mass}};
    const char* names[6] = {"t1/b", "t1/q1", "t1/q2", "t2/b", "t2/q1", "t2/q2"};
    for (int c = 0; c < 6; ++c)
      v.push_back({std::string("TARGETS/") + names[c], {n}, truth[c], H5T_STD_I64LE});
    return v;
  }
};

std::string error_of(const std::string& path) {
  try {
    hepcat::read_jets(path);
  } catch (const hepcat::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

#ifdef HEPCAT_HAVE_HDF5

TEST_CASE("read_jets reads SPANet's layout and computes E from the mass in double", "[jets]") {
  const fs::path dir = scratch("spanet");
  const Sample s({6, 8, 7}, 8);
  const std::string path = (dir / "a.h5").string();
  hepcat::test::write_items(path, s.items());
  const JetTable t = hepcat::read_jets(path);
  REQUIRE(t.n_events == 3);
  REQUIRE(t.max_jets == 8);
  CHECK(t.n_jets(0) == 6);
  CHECK(t.n_jets(1) == 8);
  CHECK(t.n_jets(2) == 7);
  for (std::size_t k = 0; k < 24; ++k) {
    CHECK(t.pt[k] == static_cast<float>(s.pt[k]));
    CHECK(t.mask[k] == s.mask[k]);
    const double p = s.pt[k] * std::cosh(s.eta[k]);
    CHECK(t.e[k] == static_cast<float>(std::sqrt(p * p + s.mass[k] * s.mass[k])));
  }
  CHECK(t.weight.empty());
  REQUIRE(t.parents == std::vector<std::string>{"t1", "t2"});
  REQUIRE(t.daughters == std::vector<std::string>{"b", "q1", "q2"});
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(t.truth_jet(i, 0, 2) == 2);
    CHECK(t.truth_jet(i, 1, 0) == 3);
    CHECK(t.truth_jet(i, 1, 2) == -1);
  }
}

TEST_CASE("read_jets rejects bad SPANet files with one error naming dataset and event", "[jets]") {
  const fs::path dir = scratch("spanet_bad");
  const std::string path = (dir / "bad.h5").string();
  const auto write = [&](const Sample& s) { hepcat::test::write_items(path, s.items()); };
  Sample s({6, 7, 6}, 8);

  SECTION("NaN pt in a real jet") {
    s.pt[1 * 8 + 3] = std::nan("");
    write(s);
    const std::string e = error_of(path);
    CHECK_THAT(e, Contains("INPUTS/Source/pt") && Contains("event 1, jet 3") && Contains("nan"));
  }
  SECTION("NaN in a padded slot is ignored and zeroed") {
    s.pt[0 * 8 + 7] = std::nan("");
    write(s);
    CHECK(hepcat::read_jets(path).pt[7] == 0.f);
  }
  SECTION("infinite eta") {
    s.eta[2 * 8 + 0] = INFINITY;
    write(s);
    CHECK_THAT(error_of(path), Contains("INPUTS/Source/eta") && Contains("event 2, jet 0"));
  }
  SECTION("negative pt") {
    s.pt[5] = -3;
    write(s);
    CHECK_THAT(error_of(path),
               Contains("INPUTS/Source/pt is negative") && Contains("event 0, jet 5"));
  }
  SECTION("NaN mass") {
    s.mass[9] = std::nan("");
    write(s);
    CHECK_THAT(error_of(path), Contains("INPUTS/Source/mass") && Contains("event 1, jet 1"));
  }
  SECTION("mask that is not a prefix") {
    s.mask[2 * 8 + 2] = 0;
    write(s);
    CHECK_THAT(error_of(path), Contains("INPUTS/Source/MASK is not a prefix at event 2"));
  }
  SECTION("fewer than six jets") {
    s.mask[1 * 8 + 5] = s.mask[1 * 8 + 6] = 0;
    write(s);
    CHECK_THAT(error_of(path), Contains("event 1 has 5 jets, at least 6"));
  }
  SECTION("truth index beyond the event's jets") {
    s.truth[5][2] = 6;
    write(s);
    CHECK_THAT(error_of(path), Contains("TARGETS t2/q2 is 6 at event 2"));
  }
  SECTION("truth index below -1") {
    s.truth[0][0] = -5;
    write(s);
    CHECK_THAT(error_of(path), Contains("TARGETS/t1/b is -5 at event 0"));
  }
  SECTION("one jet for two partons") {
    s.truth[4][1] = 1;
    write(s);
    CHECK_THAT(error_of(path), Contains("both give jet 1 at event 1"));
  }
  SECTION("inconsistent shapes") {
    auto items = s.items();
    items[3].shape = {3, 7};
    items[3].values.resize(21);
    hepcat::test::write_items(path, items);
    CHECK_THAT(error_of(path),
               Contains("INPUTS/Source/phi") && Contains("[3, 7], expected [3, 8]"));
  }
  SECTION("truth of another length") {
    auto items = s.items();
    items[6].shape = {2};
    items[6].values.resize(2);
    hepcat::test::write_items(path, items);
    CHECK_THAT(error_of(path), Contains("TARGETS/t1/q1") && Contains("has 2 events, expected 3"));
  }
  SECTION("missing dataset") {
    auto items = s.items();
    items.erase(items.begin() + 2);
    hepcat::test::write_items(path, items);
    CHECK_THAT(error_of(path), Contains("no dataset 'INPUTS/Source/eta'"));
  }
  SECTION("no jets at all") {
    hepcat::test::write_items(path, {{"other", {2}, {1, 2}}});
    CHECK_THAT(error_of(path), Contains("holds no jets"));
  }
  SECTION("not a file") {
    CHECK_THAT(error_of((dir / "absent.h5").string()), Contains("no such file"));
  }
}

TEST_CASE("read_jets reads the ABC code's layout with its units", "[jets]") {
  const fs::path dir = scratch("abc");
  const std::string path = (dir / "abc.h5").string();
  const std::vector<hsize_t> s{2, 7};
  std::vector<double> pt, eta, phi, e;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 7; ++j) {
      const bool real = j < 6 + i;
      pt.push_back(real ? 40000.0 + 1000 * j : 0);  // MeV
      eta.push_back(real ? 0.1 * j : 0);
      phi.push_back(real ? 0.2 * j : 0);
      e.push_back(real ? 100.0 + j : 0);  // GeV
    }
  const auto write = [&](const std::string& pt_unit, const std::string& e_unit) {
    hepcat::test::write_items(path, {{"source/pt", s, pt, H5T_IEEE_F64LE, pt_unit},
                                     {"source/eta", s, eta},
                                     {"source/phi", s, phi},
                                     {"source/e", s, e, H5T_IEEE_F64LE, e_unit}});
  };
  SECTION("published convention: pt in MeV, E in GeV") {
    write("", "");
    const JetTable t = hepcat::read_jets(path);
    CHECK(t.n_jets(0) == 6);
    CHECK(t.n_jets(1) == 7);
    CHECK(t.pt[2] == Approx(42.0));
    CHECK(t.e[2] == Approx(102.0));
    CHECK(!t.has_truth());
  }
  SECTION("unit attributes") {
    pt.assign(pt.size(), 0.0);
    for (std::size_t k = 0; k < pt.size(); ++k) pt[k] = e[k] > 0 ? 50.0 : 0.0;
    for (double& v : e) v *= 1000;
    write("GeV", "MeV");
    const JetTable t = hepcat::read_jets(path);
    CHECK(t.pt[0] == Approx(50.0));
    CHECK(t.e[3] == Approx(103.0));
  }
  SECTION("an option overrides the pt unit") {
    write("", "");
    hepcat::JetReadOptions o;
    o.abc_pt_unit = "GeV";
    CHECK(hepcat::read_jets(path, o).pt[1] == Approx(41000.0));
  }
  SECTION("unknown unit") {
    write("TeV", "");
    CHECK_THAT(error_of(path), Contains("unknown unit 'TeV'"));
  }
  SECTION("negative E") {
    e[3] = -5;
    write("", "");
    CHECK_THAT(error_of(path), Contains("source/e is negative") && Contains("event 0, jet 3"));
  }
  SECTION("a zero-energy slot between jets breaks the prefix") {
    e[2] = 0;
    write("", "");
    CHECK_THAT(error_of(path), Contains("not a prefix at event 0"));
  }
}

TEST_CASE("write_jets round-trips through read_jets", "[jets]") {
  const fs::path dir = scratch("roundtrip");
  const std::string in = (dir / "in.h5").string(), out = (dir / "out.h5").string();
  const Sample s({6, 8, 7, 9}, 9);
  hepcat::test::write_items(in, s.items());
  JetTable t = hepcat::read_jets(in);
  t.weight = {1.f, -0.5f, 2.f, 3.f};
  hepcat::write_jets(out, t);
  const JetTable r = hepcat::read_jets(out);
  REQUIRE(r.n_events == t.n_events);
  REQUIRE(r.max_jets == t.max_jets);
  CHECK(r.pt == t.pt);
  CHECK(r.eta == t.eta);
  CHECK(r.phi == t.phi);
  CHECK(r.mask == t.mask);
  CHECK(r.weight == t.weight);
  CHECK(r.parents == t.parents);
  CHECK(r.daughters == t.daughters);
  CHECK(r.truth == t.truth);
  for (std::size_t k = 0; k < t.e.size(); ++k) CHECK(r.e[k] == Approx(t.e[k]).epsilon(1e-5));

  SECTION("an invalid table leaves no file") {
    t.pt[0] = -1.f;
    const std::string bad = (dir / "bad.h5").string();
    CHECK_THROWS_WITH(hepcat::write_jets(bad, t), Contains("pt is negative"));
    CHECK(!fs::exists(bad));
  }
}

TEST_CASE("the ttbar fixture reads as the fixture README describes it", "[jets][fixture]") {
  const std::string path = std::string(HEPCAT_FIXTURES_DIR) + "/assign/ttbar_allhad_a.h5";
  const JetTable t = hepcat::read_jets(path);
  REQUIRE(t.n_events == 5000);
  REQUIRE(t.max_jets == 10);
  REQUIRE(t.parents == std::vector<std::string>{"t1", "t2"});
  REQUIRE(t.daughters == std::vector<std::string>{"b", "q1", "q2"});
  std::size_t jets = 0, matched = 0, leading = 0;
  for (std::size_t i = 0; i < t.n_events; ++i) {
    jets += t.n_jets(i);
    bool all = true, lead = true;
    for (std::size_t p = 0; p < 2; ++p)
      for (std::size_t d = 0; d < 3; ++d) {
        const int k = t.truth_jet(i, p, d);
        all = all && k >= 0;
        lead = lead && k >= 0 && k < 6;
      }
    matched += all;
    leading += lead;
  }
  CHECK(static_cast<double>(jets) / 5000 == Approx(7.2).margin(0.05));
  CHECK(matched == 1168);
  CHECK(static_cast<double>(leading) / 5000 == Approx(0.13).margin(0.005));
  // E against the file's own mass, read by the generic array reader, in double.
  const auto pt = hepcat::read_hdf5_array(path + ":/INPUTS/Source", "pt").values;
  const auto eta = hepcat::read_hdf5_array(path + ":/INPUTS/Source", "eta").values;
  const auto m = hepcat::read_hdf5_array(path + ":/INPUTS/Source", "mass").values;
  for (std::size_t k = 0; k < 200; ++k) {
    const double p = pt[k] * std::cosh(eta[k]);
    CHECK(t.e[k] == static_cast<float>(std::sqrt(p * p + m[k] * m[k])));
  }
}

#endif

TEST_CASE("JetSet uploads a validated table", "[jets]") {
  JetTable t;
  t.n_events = 2;
  t.max_jets = 3;
  t.pt = {10, 20, 0, 30, 40, 50};
  t.eta = {0, 1, 0, -1, 0.5f, 2};
  t.phi = {0, 1, 0, 2, 3, -3};
  t.e = {11, 40, 0, 50, 45, 200};
  t.mask = {1, 1, 0, 1, 1, 1};
  hepcat::Context ctx("cpu");
  const hepcat::JetSet set(ctx, t);
  CHECK(set.size() == 2);
  CHECK(set.max_jets() == 3);
  CHECK(set.weight_sum() == 2.0);
  CHECK(set.truth() == nullptr);
  CHECK(std::vector<float>(set.e(), set.e() + 6) == t.e);
  CHECK(std::vector<float>(set.weight(), set.weight() + 2) == std::vector<float>{1.f, 1.f});

  t.mask[4] = 0;
  CHECK_THROWS_WITH(hepcat::JetSet(ctx, t), Contains("mask is not a prefix at event 1"));
  t.mask[4] = 1;
  t.weight = {1.f};
  CHECK_THROWS_WITH(hepcat::JetSet(ctx, t), Contains("weight has 1 values, expected 2"));
}
