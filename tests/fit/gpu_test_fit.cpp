#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/fit.hpp"
#include "hepcat/splitfit.hpp"
#include "tests/gpu/sizes.hpp"

TEST_CASE("CPU and CUDA batched fits agree on parameters, objectives, states and covariances",
          "[gpu][fit]") {
  hepcat::Context cpu("cpu"), gpu("cuda");
  hepcat::SplitFitConfig seed;
  std::vector<double> mean(40);
  for (int j = 0; j < 40; ++j) {
    const double t = (j + 0.5) / 40, x = 90 + 70 * t;
    mean[j] = 1.75 * (400 - 250 * t + 90 * t * t +
                      300 / (2.5066282746 * 1.7) * std::exp(-0.5 * (x - 125) * (x - 125) / 2.89));
  }
  std::mt19937_64 rng(4);
  const int n = hepcat::test::sized(5000, 200);
  std::vector<double> h(n * 40);
  for (std::size_t i = 0; i < h.size(); ++i)
    h[i] = std::poisson_distribution<int>(mean[i % 40])(rng);
  for (auto est :
       {hepcat::Estimator::neyman, hepcat::Estimator::pearson, hepcat::Estimator::poisson}) {
    seed.estimator = est;
    for (bool with_signal : {true, false}) {
      auto config = hepcat::splitfit_fit_config(seed, with_signal);
      if (with_signal) config.fixed[4] = false;  // the mean free too: a nonlinear fit
      std::vector<double> init;
      for (int f = 0; f < n; ++f) {
        auto p = hepcat::splitfit_initial(seed, with_signal, h.data() + f * 40);
        if (with_signal) p[3] = 100;
        init.insert(init.end(), p.begin(), p.end());
      }
      const auto a = hepcat::fit_histograms(cpu, config, h, init);
      const auto b = hepcat::fit_histograms(gpu, config, h, init);
      for (int f = 0; f < n; ++f) {
        INFO(hepcat::to_string(est) << " fit " << f);
        CHECK(a.states[f] == b.states[f]);
        CHECK(a.valid[f] == b.valid[f]);
        // Same double-precision code; only FMA contraction and libm differ: 1e-9 relative.
        CHECK(b.objective[f] == Approx(a.objective[f]).epsilon(1e-9));
        for (int k = 0; k < a.n_params; ++k)
          CHECK(b.parameters[f * a.n_params + k] ==
                Approx(a.parameters[f * a.n_params + k])
                    .epsilon(1e-6)
                    .margin(1e-6 * a.errors[f * a.n_params + k]));
        const int np = a.n_params;
        for (int k = 0; k < np; ++k)
          for (int l = 0; l < np; ++l)
            CHECK(b.covariance[(f * np + k) * np + l] ==
                  Approx(a.covariance[(f * np + k) * np + l])
                      .margin(1e-6 * a.errors[f * np + k] * a.errors[f * np + l]));
      }
    }
  }
}

TEST_CASE("CPU and CUDA Split-N-Fit losses and per-event gradients agree on a large event sample",
          "[gpu][splitfit]") {
  const std::size_t n = hepcat::test::sized<std::size_t>(1000000, 20011);
  std::mt19937_64 rng(9);
  std::exponential_distribution<float> bkg(1.f / 35.f);
  std::normal_distribution<float> sig(125.f, 1.7f), noise(0.f, 1.f);
  std::vector<float> mass(n), weight(n), score(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool s = i % 10 == 0;
    mass[i] = s ? sig(rng) : 88.f + bkg(rng);
    weight[i] = 0.5f + 0.1f * noise(rng);
    score[i] = (s ? 1.f : -0.5f) + noise(rng);
  }
  hepcat::Context cpu("cpu"), gpu("cuda");
  hepcat::SplitFitConfig config;
  std::vector<float> ga, gb;
  const auto a = hepcat::splitfit_loss(cpu, config, mass, weight, score, &ga);
  const auto b = hepcat::splitfit_loss(gpu, config, mass, weight, score, &gb);
  // Float sums of at most 4096 events per warp slice on the GPU: 1e-5 relative in the
  // histograms, which moves the fitted chi2s and the loss by about as much.
  for (int j = 0; j < 40; ++j) {
    CHECK(b.pass[j] == Approx(a.pass[j]).epsilon(1e-5));
    CHECK(b.fail[j] == Approx(a.fail[j]).epsilon(1e-5));
  }
  CHECK(b.loss == Approx(a.loss).epsilon(1e-4).margin(1e-3));
  double scale = 0;
  for (float g : ga) scale = std::max(scale, static_cast<double>(std::abs(g)));
  for (std::size_t i = 0; i < n; i += 997) CHECK(gb[i] == Approx(ga[i]).margin(1e-3 * scale));
}
