#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/event_set.hpp"
#include "hepcat/merge.hpp"
#include "tests/gpu/sizes.hpp"
#include "tests/samples.hpp"

TEST_CASE("CPU and GPU nonlocal mergers take the same sequence of merges", "[merge][gpu]") {
  hepcat::Context cpu("cpu"), gpu("cuda");
  for (int n_hyp : {2, 3, 8}) {
    for (auto metric : {hepcat::MergeMetric::determinant, hepcat::MergeMetric::loc_length}) {
      const int bins = hepcat::test::sized(3000, 120);
      const hepcat::Histogram hist = hepcat::test::random_histogram(n_hyp, bins, 17 + n_hyp, -0.2);
      hepcat::MergeOptions o;
      o.metric = metric;
      o.comp_to_first = n_hyp == 8;
      // The partition after every tenth merge: equal partitions at every step mean equal merges.
      std::vector<int> targets;
      for (int t = bins - 1; t >= 1; t -= 10) targets.push_back(t);
      const auto a = hepcat::merge_nonlocal(cpu, hist, targets, o);
      const auto b = hepcat::merge_nonlocal(gpu, hist, targets, o);
      INFO(n_hyp << " hypotheses, " << to_string(metric));
      for (std::size_t k = 0; k < targets.size(); ++k) REQUIRE(a[k].groups == b[k].groups);
    }
  }
}

TEST_CASE("CPU and GPU place events in the same merged bins", "[merge][gpu]") {
  hepcat::Context cpu("cpu"), gpu("cuda");
  const std::vector<std::vector<double>> edges{{0, 0.1, 0.5, 1}, {-1, 0, 1}};
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(-1.5f, 1.5f);
  const std::size_t n = hepcat::test::sized<std::size_t>(100000, 5000);
  std::vector<float> x(n), y(n);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = u(rng);
    y[i] = u(rng);
  }
  const std::vector<int> map{0, 1, 2, 2, 1, 0};
  const hepcat::EventSet ec(cpu, {"x", "y"}, {x, y}, {}, {}), eg(gpu, {"x", "y"}, {x, y}, {}, {});
  CHECK(hepcat::place_events(cpu, map, edges, ec, {0, 1}) ==
        hepcat::place_events(gpu, map, edges, eg, {0, 1}));
}

TEST_CASE("CPU and GPU nonlocal mergers break ties between equal scores alike", "[merge][gpu]") {
  // Counts of 0 to 3: many pairs score exactly alike, so the selection's order rules (score,
  // stale first, lowest pair) decide, and stale partners are frequent.
  hepcat::Context cpu("cpu"), gpu("cuda");
  const int bins = hepcat::test::sized(2000, 100);
  std::mt19937 rng(23);
  hepcat::Histogram hist;
  hist.n_hyp = 2;
  hist.n_bins = bins;
  for (int k = 0; k < 2 * bins; ++k) hist.counts.push_back(static_cast<double>(rng() % 4));
  for (auto metric : {hepcat::MergeMetric::determinant, hepcat::MergeMetric::loc_length}) {
    hepcat::MergeOptions o;
    o.metric = metric;
    std::vector<int> targets;
    for (int t = bins - 1; t >= 1; t -= 7) targets.push_back(t);
    const auto a = hepcat::merge_nonlocal(cpu, hist, targets, o);
    const auto b = hepcat::merge_nonlocal(gpu, hist, targets, o);
    INFO(to_string(metric));
    for (std::size_t k = 0; k < targets.size(); ++k) REQUIRE(a[k].groups == b[k].groups);
  }
}
