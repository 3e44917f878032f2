#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/cuts.hpp"
#include "hepcat/optim.hpp"
#include "tests/gpu/grids.hpp"
#include "tests/gpu/sizes.hpp"
#include "tests/samples.hpp"

TEST_CASE("CPU and CUDA cut scans agree on loss, gradient, training and hard efficiencies",
          "[gpu][cuts]") {
  const bool learned = GENERATE(false, true);
  const bool grid = GENERATE(false, true);
  const int m = GENERATE(3, 10, 20);
  const hepcat::CutSample train = hepcat::test::gaussian_cut_sample(
                              hepcat::test::sized(200003, 4003), m, 7, true, 1.f),
                          test = hepcat::test::gaussian_cut_sample(hepcat::test::sized(50001, 1001),
                                                                   m, 8, true, 1.f);
  hepcat::CutScanConfig cfg;
  cfg.targets = {0.2, 0.4, 0.5, 0.6, 0.75, 0.9, 0.95};
  cfg.learn_directions = learned;
  if (grid) cfg.grid_edges = {0.0, 0.3, 0.6, 1.0};
  hepcat::Context cpu("cpu"), gpu("cuda");
  hepcat::CutScan a(cpu, cfg, train), b(gpu, cfg, train);
  const hepcat::CutLossTerms la = a.compute_gradient(), lb = b.compute_gradient();
  // Float partial sums in different orders: relative 1e-4 on the loss.
  CHECK(lb.total() == Approx(la.total()).epsilon(1e-4));
  const std::vector<float> ga = a.grads().to_host(cpu), gb = b.grads().to_host(gpu);
  double scale = 0;
  for (float v : ga) scale = std::max(scale, double(std::fabs(v)));
  for (std::size_t q = 0; q < ga.size(); ++q) CHECK(gb[q] == Approx(ga[q]).margin(1e-4 * scale));
  const auto opt = hepcat::OptimizerConfig::parse("sgd");
  a.train(50, opt, hepcat::Schedule(0.5));
  b.train(50, opt, hepcat::Schedule(0.5));
  const auto ca = a.cuts(), cb = b.cuts();
  for (std::size_t s = 0; s < ca.size(); ++s)
    for (int k = 0; k < m; ++k)
      // 50 float SGD steps from different summation orders: 1e-3 in standardised-unit cuts.
      CHECK(cb[s].cuts[k] == Approx(ca[s].cuts[k]).margin(1e-3 * (1 + std::fabs(ca[s].cuts[k]))));
  const auto ea = a.evaluate(test), eb = b.evaluate(test);
  for (std::size_t s = 0; s < ea.sig_eff.size(); ++s) {
    // Events within rounding of a slightly different cut may flip: 2e-3 absolute.
    CHECK(eb.sig_eff[s] == Approx(ea.sig_eff[s]).margin(2e-3));
    CHECK(eb.bkg_eff[s] == Approx(ea.bkg_eff[s]).margin(2e-3));
  }
}

TEST_CASE("the cut scan's loss and gradient on the GPU are the same bytes for any grid",
          "[gpu][cuts]") {
  // Grid cells: each cell's events are chunked on their own, as on the CPU.
  const hepcat::CutSample train =
      hepcat::test::gaussian_cut_sample(hepcat::test::sized(200003, 40009), 10, 7, true, 1.f);
  hepcat::CutScanConfig cfg;
  cfg.targets = {0.2, 0.5, 0.9};
  cfg.learn_directions = true;
  cfg.grid_edges = {0.0, 0.3, 0.6, 1.0};
  hepcat::Context gpu("cuda");
  hepcat::CutScan scan(gpu, cfg, train);
  hepcat::test::require_same_bytes_for_any_grid([&] {
    std::vector<double> v{scan.compute_gradient().total()};
    for (float g : scan.grads().to_host(gpu)) v.push_back(g);
    return v;
  });
}
