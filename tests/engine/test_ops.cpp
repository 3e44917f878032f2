#include <omp.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/event_set.hpp"
#include "hepcat/ops.hpp"
#include "host/engine/parallel.hpp"
#include "tests/backends.hpp"
#include "tests/samples.hpp"

using hepcat::test::test_devices;

TEST_CASE("weighted bin sums equal a naive double-precision histogram, negative weights included",
          "[ops]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const std::size_t n = 100003;  // not a multiple of any block size
  const int n_proc = 3, n_bins = 7;
  const float lo = -1.f, hi = 2.f;
  const hepcat::test::WeightedEvents sample = hepcat::test::weighted_events(n, n_proc, 42);
  const std::vector<float>&x = sample.x, &w = sample.w;
  const std::vector<std::int32_t>& p = sample.process;
  std::vector<double> ref_w(n_proc * n_bins, 0.0), ref_w2(n_proc * n_bins, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    // Independent reference: bin by comparing against each edge, clamped at both ends.
    int b = 0;
    for (int e = 1; e < n_bins; ++e)
      if (double(x[i]) >= lo + (hi - lo) * double(e) / n_bins) b = e;
    ref_w[p[i] * n_bins + b] += w[i];
    ref_w2[p[i] * n_bins + b] += double(w[i]) * w[i];
  }
  hepcat::EventSet events(ctx, {"x"}, {x}, w, p);
  const hepcat::BinSums sums = hepcat::weighted_bin_sums(ctx, events, 0, n_bins, lo, hi);
  REQUIRE(sums.n_processes == n_proc);
  for (int c = 0; c < n_proc * n_bins; ++c) {
    // Float partial sums on the GPU: relative 1e-5 of the cell's absolute weight scale.
    CHECK(sums.sum_w[c] == Approx(ref_w[c]).margin(1e-5 * ref_w2[c] + 1e-3));
    CHECK(sums.sum_w2[c] == Approx(ref_w2[c]).epsilon(1e-5));
  }
}

TEST_CASE("light passes stay on one thread until each thread gets a grain of elements", "[ops]") {
  const int before = omp_get_max_threads();
  omp_set_num_threads(4);
  CHECK(hepcat::cpu::threads_for(100000, hepcat::cpu::kLightGrain) == 1);
  CHECK(hepcat::cpu::threads_for(2 * hepcat::cpu::kLightGrain, hepcat::cpu::kLightGrain) == 2);
  CHECK(hepcat::cpu::threads_for(100 * hepcat::cpu::kLightGrain, hepcat::cpu::kLightGrain) == 4);
  CHECK(hepcat::cpu::threads_for(10, 0) == 4);
  omp_set_num_threads(before);
}

TEST_CASE("weighted bin sums are the same bytes on 1, 2 and 3 threads, below and above the grain",
          "[ops][determinism]") {
  hepcat::Context ctx("cpu");
  const int before = omp_get_max_threads();
  // 1e5 events run on one thread whatever the count; 7e5 split over the threads asked for.
  for (std::size_t n : {std::size_t(100000), std::size_t(700001)}) {
    const hepcat::test::WeightedEvents sample = hepcat::test::weighted_events(n, 5, 7);
    hepcat::EventSet events(ctx, {"x"}, {sample.x}, sample.w, sample.process);
    omp_set_num_threads(1);
    const hepcat::BinSums one = hepcat::weighted_bin_sums(ctx, events, 0, 9, 0.f, 1.f);
    for (int threads : {2, 3}) {
      omp_set_num_threads(threads);
      const hepcat::BinSums many = hepcat::weighted_bin_sums(ctx, events, 0, 9, 0.f, 1.f);
      INFO(n << " events on " << threads << " threads");
      CHECK(many.sum_w == one.sum_w);
      CHECK(many.sum_w2 == one.sum_w2);
    }
  }
  omp_set_num_threads(before);
}

TEST_CASE("weighted bin sums preserve each process's total weight", "[ops]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  // Values far outside the range are clamped into the edge bins, never dropped.
  const std::vector<float> x{-100.f, 0.f, 0.25f, 0.5f, 1.f, 100.f};
  const std::vector<float> w{1.f, -2.f, 4.f, 8.f, 16.f, 32.f};
  const std::vector<std::int32_t> p{0, 1, 0, 1, 0, 1};
  hepcat::EventSet events(ctx, {"x"}, {x}, w, p);
  const hepcat::BinSums sums = hepcat::weighted_bin_sums(ctx, events, 0, 4, 0.f, 1.f);
  CHECK(sums.sum_w == std::vector<double>{1, 4, 0, 16, -2, 0, 8, 32});
  CHECK(sums.sum_w2 == std::vector<double>{1, 16, 0, 256, 4, 0, 64, 1024});
}

TEST_CASE("weighted bin sums reject a bad range or bin count", "[ops]") {
  hepcat::Context ctx("cpu");
  hepcat::EventSet events(ctx, {"x"}, {{0.f, 1.f}}, {}, {});
  CHECK_THROWS_AS(hepcat::weighted_bin_sums(ctx, events, 0, 0, 0.f, 1.f), hepcat::Error);
  CHECK_THROWS_AS(hepcat::weighted_bin_sums(ctx, events, 0, 4, 1.f, 1.f), hepcat::Error);
  CHECK_THROWS_AS(hepcat::weighted_bin_sums(ctx, events, 1, 4, 0.f, 1.f), hepcat::Error);
}
