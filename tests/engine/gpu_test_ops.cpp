#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/event_set.hpp"
#include "hepcat/ops.hpp"
#include "tests/gpu/grids.hpp"
#include "tests/gpu/sizes.hpp"
#include "tests/samples.hpp"

TEST_CASE("CPU and CUDA weighted bin sums agree on a large event sample", "[gpu][ops]") {
  const std::size_t n = hepcat::test::sized<std::size_t>(2000000, 40009);
  const hepcat::test::WeightedEvents e = hepcat::test::weighted_events(n, 5, 5);
  const std::vector<float>&x = e.x, &w = e.w;
  const std::vector<std::int32_t>& p = e.process;
  hepcat::Context cpu("cpu"), gpu("cuda");
  const hepcat::EventSet on_cpu(cpu, {"x"}, {x}, w, p), on_gpu(gpu, {"x"}, {x}, w, p);
  const auto a = hepcat::weighted_bin_sums(cpu, on_cpu, 0, 40, -3.f, 3.f);
  hepcat::BinSums b;
  // The same bytes with the grid capped at 1 and 7 blocks and uncapped.
  hepcat::test::require_same_bytes_for_any_grid([&] {
    b = hepcat::weighted_bin_sums(gpu, on_gpu, 0, 40, -3.f, 3.f);
    std::vector<double> v = b.sum_w;
    v.insert(v.end(), b.sum_w2.begin(), b.sum_w2.end());
    return v;
  });
  for (std::size_t c = 0; c < a.sum_w.size(); ++c) {
    // Warps add up to 4096 events in float before the double chunk sums: 1e-5 of sum |w|^2 scale.
    CHECK(b.sum_w[c] == Approx(a.sum_w[c]).margin(1e-5 * a.sum_w2[c] + 1e-2));
    CHECK(b.sum_w2[c] == Approx(a.sum_w2[c]).epsilon(1e-5));
  }
}
