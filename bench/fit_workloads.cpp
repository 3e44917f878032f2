// The batched-fit workload: the seed's S+B fit (Gaussian with fixed mass and width on a
// 2nd-order polynomial, 40 bins, 4 free parameters, Neyman chi2) on n Poisson histograms.
#include <memory>
#include <random>

#include "bench/bench.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/fit.hpp"
#include "hepcat/splitfit.hpp"

namespace hepcat::bench {

namespace {

struct FitBatch {
  FitConfig config;
  Buffer<double> initial, histograms, params, errors, objective;
  Buffer<int> state, iterations;
};

}  // namespace

Workload batched_fits_workload() {
  // Reads each histogram (40 doubles) once per fit.
  return {"batched_fits", "fits", 8.0 * 40, [](Context& ctx, std::size_t n) {
            const SplitFitConfig seed;
            auto b = std::make_shared<FitBatch>();
            b->config = splitfit_fit_config(seed, true);
            std::vector<double> mean(seed.n_bins);
            for (int j = 0; j < seed.n_bins; ++j) {
              const double t = (j + 0.5) / seed.n_bins, x = seed.lo + 70 * t;
              mean[j] = 1.75 * (400 - 250 * t + 90 * t * t +
                                300 / (2.5066282746 * 1.7) *
                                    std::exp(-0.5 * (x - 125) * (x - 125) / (1.7 * 1.7)));
            }
            std::mt19937_64 rng(1);
            std::vector<double> h(n * seed.n_bins);
            for (std::size_t i = 0; i < h.size(); ++i)
              h[i] = std::poisson_distribution<int>(mean[i % seed.n_bins])(rng);
            std::vector<double> initial;
            for (std::size_t f = 0; f < n; ++f) {
              const auto p = splitfit_initial(seed, true, h.data() + f * seed.n_bins);
              initial.insert(initial.end(), p.begin(), p.end());
            }
            b->initial = Buffer<double>(ctx, initial);
            b->histograms = Buffer<double>(ctx, h);
            b->params = Buffer<double>(ctx, initial.size());
            b->errors = Buffer<double>(ctx, initial.size());
            b->objective = Buffer<double>(ctx, n);
            b->state = Buffer<int>(ctx, n);
            b->iterations = Buffer<int>(ctx, n);
            return std::function<void()>([&ctx, b, n] {
              // Every step starts from the same initial values (a copy on the backend).
              memory::copy_within(ctx, b->params.data(), b->initial.data(),
                                  b->initial.size() * sizeof(double));
              fit_histograms_on_backend(ctx, b->config, n, b->histograms.data(), nullptr,
                                        b->params.data(), b->errors.data(), b->objective.data(),
                                        b->state.data(), b->iterations.data());
            });
          }};
}

Workload splitfit_step_workload() {
  // One training step of Split-N-Fit: pass/fail histograms (reads mass, weight, score), the
  // four fits, the backward pass (writes dL/ds), then 1000 pseudo-experiments of both regions.
  return {"splitfit_step", "events", 16.0, [](Context& ctx, std::size_t n) {
            std::mt19937 rng(2);
            std::exponential_distribution<float> bkg(1.f / 35.f);
            std::normal_distribution<float> peak(125.f, 1.7f), noise(0.f, 1.f);
            std::vector<float> mass(n), weight(n, 1.f), score(n);
            for (std::size_t i = 0; i < n; ++i) {
              const bool s = i % 100 == 0;
              mass[i] = s ? peak(rng) : 90.f + bkg(rng);
              score[i] = (s ? 1.f : -0.5f) + noise(rng);
            }
            auto m = std::make_shared<Buffer<float>>(ctx, mass);
            auto w = std::make_shared<Buffer<float>>(ctx, weight);
            auto sc = std::make_shared<Buffer<float>>(ctx, score);
            auto grad = std::make_shared<Buffer<float>>(ctx, n);
            return std::function<void()>([&ctx, m, w, sc, grad, n] {
              const SplitFitConfig config;
              const SplitFitResult r =
                  splitfit_loss(ctx, config, m->data(), w->data(), sc->data(), n, grad->data());
              pseudo_experiments(ctx, config, {r.pass, r.fail}, 1000, 1);
            });
          }};
}

}  // namespace hepcat::bench
