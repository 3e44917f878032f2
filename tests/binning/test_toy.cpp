#include <catch2/catch.hpp>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "hepcat/error.hpp"
#include "hepcat/toy.hpp"

using hepcat::EventTable;
using hepcat::GatoToyConfig;

namespace {

// The toy as SCIENCE.md section 1 specifies it, written out independently of the generator.
const double kSigma[7] = {0.5, 0.1, 100, 80, 50, 20, 10};
const double kMeans1[7][3] = {{0.4, -0.4, 1.0}, {-0.4, 0.4, 1.0}, {0.0, 0.0, -0.5},
                              {-0.2, 0.0, 0.0}, {0.1, 0.4, -0.3}, {-0.1, 0.6, -0.2},
                              {-0.2, 0.1, -0.1}};
const double kMeans2[7][3] = {{0.9, -0.9, 1.0}, {-0.9, 0.9, 1.0}, {0.2, 0.2, 0.5},
                              {-0.2, 0.0, 0.0}, {0.1, 0.4, -0.3}, {-0.1, 0.6, -0.2},
                              {-0.2, 0.1, -0.1}};

// Covariance I + 0.2 (1 - I) = 0.8 I + 0.2 J; its inverse is 1.25 (I - J / 7).
double gaussian(const double* x, const double* mu) {
  double r[3], sum = 0, q = 0;
  for (int a = 0; a < 3; ++a) sum += r[a] = x[a] - mu[a];
  for (int a = 0; a < 3; ++a) q += r[a] * r[a];
  q = 1.25 * (q - sum * sum / 7.0);
  return std::exp(-0.5 * q) / std::sqrt(std::pow(2 * M_PI, 3) * 0.896);
}

GatoToyConfig config(int scenario, std::int64_t events, std::uint64_t seed = 1, double lumi = 100) {
  GatoToyConfig c;
  c.scenario = scenario;
  c.events = events;
  c.seed = seed;
  c.lumi = lumi;
  return c;
}

std::vector<int> process_ids(const EventTable& t) {
  std::vector<int> p;
  for (float v : t.column("process")) p.push_back(static_cast<int>(v));
  return p;
}

}  // namespace

TEST_CASE("gato toy columns are x, y, z, d, s1, s2, sb, weight, process", "[toy]") {
  const EventTable t = hepcat::generate_gato_toy(config(1, 1000));
  CHECK(t.names ==
        std::vector<std::string>{"x", "y", "z", "d", "s1", "s2", "sb", "weight", "process"});
  CHECK(t.rows() == 1000);
}

TEST_CASE("gato toy weights of each process sum to cross section times luminosity", "[toy]") {
  const int scenario = GENERATE(1, 2);
  const double lumi = GENERATE(100.0, 37.5);
  const EventTable t = hepcat::generate_gato_toy(config(scenario, 100003, 9, lumi));
  const std::vector<int> p = process_ids(t);
  const auto& w = t.column("weight");
  std::vector<double> sum(7, 0.0);
  for (std::size_t i = 0; i < p.size(); ++i) sum[p[i]] += w[i];
  double background = 0;
  for (int k = 0; k < 7; ++k) {
    // n_p copies of one float weight: off by its rounding, at most 6e-8 relative.
    CHECK(sum[k] == Approx(kSigma[k] * lumi).epsilon(1e-6));
    if (k >= 2) background += sum[k];
  }
  if (lumi == 100.0) {
    CHECK(sum[0] == Approx(50).epsilon(1e-6));
    CHECK(sum[1] == Approx(10).epsilon(1e-6));
    CHECK(background == Approx(26000).epsilon(1e-6));
  }
}

TEST_CASE("gato toy features of each process have the specified mean and covariance", "[toy]") {
  const int scenario = GENERATE(1, 2);
  const EventTable t = hepcat::generate_gato_toy(config(scenario, 1000000, 4));
  const auto& means = scenario == 1 ? kMeans1 : kMeans2;
  const std::vector<int> p = process_ids(t);
  const std::vector<float>* x[3] = {&t.column("x"), &t.column("y"), &t.column("z")};
  for (int k = 0; k < 7; ++k) {
    double n = 0, m[3] = {0, 0, 0}, c[3][3] = {};
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] != k) continue;
      n += 1;
      for (int a = 0; a < 3; ++a) m[a] += (*x[a])[i];
    }
    for (double& v : m) v /= n;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] != k) continue;
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) c[a][b] += ((*x[a])[i] - m[a]) * ((*x[b])[i] - m[b]);
    }
    INFO("scenario " << scenario << " process " << k << " with " << n << " events");
    // Standard errors: 1/sqrt(n) for a mean, at most sqrt(2/n) for a covariance entry of
    // this matrix; allow 5 of them.
    for (int a = 0; a < 3; ++a) {
      CHECK(std::abs(m[a] - means[k][a]) < 5 / std::sqrt(n));
      for (int b = 0; b < 3; ++b)
        CHECK(std::abs(c[a][b] / (n - 1) - (a == b ? 1.0 : 0.2)) < 5 * std::sqrt(2 / n));
    }
  }
}

TEST_CASE("gato toy d and the 3-class scores equal the exact likelihood ratios", "[toy]") {
  const int scenario = GENERATE(1, 2);
  const EventTable t = hepcat::generate_gato_toy(config(scenario, 20000, 11));
  const auto& means = scenario == 1 ? kMeans1 : kMeans2;
  const double sigma_bkg = 100 + 80 + 50 + 20 + 10;
  double d_min = 1, d_max = 0, d_err = 0, s_err = 0, sum_err = 0;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    const double x[3] = {t.column("x")[i], t.column("y")[i], t.column("z")[i]};
    const double p1 = gaussian(x, means[0]), p2 = gaussian(x, means[1]);
    double pb = 0;
    for (int b = 2; b < 7; ++b) pb += kSigma[b] / sigma_bkg * gaussian(x, means[b]);
    const double ratio = p1 / pb, total = p1 + p2 + pb;
    const double s1 = t.column("s1")[i], s2 = t.column("s2")[i], sb = t.column("sb")[i];
    const double d = t.column("d")[i];
    d_err = std::max(d_err, std::abs(d - ratio / (1 + ratio)));
    s_err = std::max(
        {s_err, std::abs(s1 - p1 / total), std::abs(s2 - p2 / total), std::abs(sb - pb / total)});
    sum_err = std::max(sum_err, std::abs(s1 + s2 + sb - 1));
    d_min = std::min(d_min, d);
    d_max = std::max(d_max, d);
  }
  // Stored as float: 6e-8 relative rounding each, plus double evaluation error.
  CHECK(d_err < 1e-6);
  CHECK(s_err < 1e-6);
  CHECK(sum_err < 3e-7);
  CHECK(d_min >= 0);
  CHECK(d_max <= 1);
  // The discriminant spans most of [0, 1].
  CHECK(d_min < 0.01);
  CHECK(d_max > 0.9);
}

TEST_CASE("gato toy output depends on the seed, not on the thread count", "[toy]") {
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const EventTable one = hepcat::generate_gato_toy(config(2, 50001, 77));
  omp_set_num_threads(2);
  const EventTable two = hepcat::generate_gato_toy(config(2, 50001, 77));
  const EventTable other = hepcat::generate_gato_toy(config(2, 50001, 78));
  omp_set_num_threads(threads);
  CHECK(one.names == two.names);
  CHECK(one.columns == two.columns);
  CHECK(other.column("process") == one.column("process"));
  CHECK(other.column("weight") == one.column("weight"));
  for (const char* c : {"x", "y", "z", "d"}) CHECK(other.column(c) != one.column(c));
}

TEST_CASE("gato toy populates both signals even with very few events", "[toy]") {
  for (std::int64_t n = 2; n <= 30; ++n) {
    const EventTable t = hepcat::generate_gato_toy(config(1, n));
    std::vector<int> count(7, 0);
    for (int p : process_ids(t)) ++count[p];
    INFO(n << " events");
    CHECK(count[0] >= 1);
    CHECK(count[1] >= 1);
    CHECK(count[0] >= 0.05 * n);
    CHECK(t.rows() == static_cast<std::size_t>(n));
    if (n >= 7) CHECK(*std::min_element(count.begin(), count.end()) >= 1);
  }
  const EventTable single = hepcat::generate_gato_toy(config(1, 1));
  CHECK(single.column("process") == std::vector<float>{0.f});
  CHECK(single.column("weight") == std::vector<float>{50.f});
}

TEST_CASE("gato toy backgrounds share their events in proportion to cross section", "[toy]") {
  const std::int64_t n = 1000003;
  const std::vector<std::int64_t> counts = hepcat::gato_toy_counts(n);
  REQUIRE(counts.size() == 7);
  std::int64_t total = 0, bkg = 0;
  for (int k = 0; k < 7; ++k) total += counts[k];
  for (int k = 2; k < 7; ++k) bkg += counts[k];
  CHECK(total == n);
  CHECK(counts[0] == (n + 19) / 20);  // the 5% floor, rounded up
  CHECK(counts[1] == (n + 19) / 20);
  for (int k = 2; k < 7; ++k)
    // One guaranteed event plus a rounded share of the rest: within 2 of the exact share.
    CHECK(std::abs(static_cast<double>(counts[k]) - bkg * kSigma[k] / 260.0) <= 2.0);
}

TEST_CASE("gato toy interleaves processes: any leading block holds each in its share", "[toy]") {
  const std::int64_t n = 200000;
  const EventTable t = hepcat::generate_gato_toy(config(1, n));
  const std::vector<int> p = process_ids(t);
  const std::vector<std::int64_t> counts = hepcat::gato_toy_counts(n);
  for (const double fraction : {0.01, 0.1, 0.5, 0.8}) {
    std::vector<double> seen(7, 0);
    const auto rows = static_cast<std::size_t>(fraction * n);
    for (std::size_t i = 0; i < rows; ++i) ++seen[p[i]];
    for (int k = 0; k < 7; ++k) {
      INFO("first " << rows << " rows, process " << k);
      // A random order would be off by sqrt(count), the interleaving by far less.
      CHECK(std::abs(seen[k] - fraction * counts[k]) < 0.002 * counts[k] + 20);
    }
  }
}

TEST_CASE("gato toy rejects invalid settings", "[toy]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(hepcat::generate_gato_toy(config(1, 0)), Contains("at least 1 event"));
  CHECK_THROWS_WITH(hepcat::generate_gato_toy(config(3, 10)), Contains("scenario must be 1 or 2"));
  CHECK_THROWS_WITH(hepcat::generate_gato_toy(config(1, 10, 1, 0.0)), Contains("luminosity"));
  CHECK_THROWS_WITH(hepcat::generate_gato_toy(config(1, 10, 1, std::nan(""))),
                    Contains("luminosity"));
  CHECK_THROWS_AS(hepcat::gato_toy_processes(0), hepcat::Error);
}
