// The Split-N-Fit histograms on the device do not depend on the grid (kernels/chunk_sums.cuh);
// tests/fit/gpu_test_fit.cpp compares them with the CPU's.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/splitfit.hpp"
#include "tests/gpu/grids.hpp"
#include "tests/gpu/sizes.hpp"

TEST_CASE("the Split-N-Fit loss and its gradient on the GPU are the same bytes for any grid",
          "[gpu][splitfit]") {
  const std::size_t n = hepcat::test::sized<std::size_t>(100003, 17011);
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> m(100.f, 180.f), s(-3.f, 3.f), w(0.5f, 1.5f);
  std::vector<float> mass(n), scores(n), weights(n);
  for (std::size_t i = 0; i < n; ++i) {
    mass[i] = m(rng);
    scores[i] = s(rng);
    weights[i] = w(rng);
  }
  hepcat::Context ctx("cuda");
  hepcat::SplitFitConfig config;
  hepcat::test::require_same_bytes_for_any_grid([&] {
    std::vector<float> grad;
    const hepcat::SplitFitResult r =
        hepcat::splitfit_loss(ctx, config, mass, weights, scores, &grad);
    std::vector<double> v{r.loss};
    v.insert(v.end(), grad.begin(), grad.end());
    return v;
  });
}
