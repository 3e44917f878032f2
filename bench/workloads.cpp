// The foundation's workloads: the memory-bound per-bin sums every objective stands on, and one
// optimiser step over a contiguous parameter buffer.
#include <cstdint>
#include <memory>
#include <random>

#include "bench/bench.hpp"
#include "hepcat/binning.hpp"
#include "hepcat/event_set.hpp"
#include "hepcat/ops.hpp"
#include "hepcat/optim.hpp"

namespace hepcat::bench {

namespace {

std::shared_ptr<EventSet> random_events(const Context& ctx, std::size_t n, int n_processes) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> x(n), w(n);
  std::vector<std::int32_t> p(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = u(rng);
    w[i] = u(rng);
    p[i] = static_cast<std::int32_t>(i % n_processes);
  }
  return std::make_shared<EventSet>(ctx, std::vector<std::string>{"x"},
                                    std::vector<std::vector<float>>{x}, w, p, n_processes);
}

Workload bin_sums_workload() {
  // Reads x, w (float) and the process id (int32) of each event once.
  return {"weighted_bin_sums", "events", 12.0, [](Context& ctx, std::size_t n) {
            auto events = random_events(ctx, n, 7);
            return std::function<void()>(
                [&ctx, events] { weighted_bin_sums(ctx, *events, 0, 16, 0.f, 1.f); });
          }};
}

Workload optimizer_step_workload() {
  // Adam reads p, g, m, v and writes p, m, v: 28 bytes per parameter.
  return {"optimizer_step", "parameters", 28.0, [](Context& ctx, std::size_t n) {
            struct State {
              Buffer<float> params, grads;
              Optimizer adam;
            };
            std::mt19937 rng(2);
            std::normal_distribution<float> g(0.f, 1.f);
            std::vector<float> grads(n);
            for (float& v : grads) v = g(rng);
            auto state = std::make_shared<State>(
                State{Buffer<float>(ctx, std::vector<float>(n, 0.f)), Buffer<float>(ctx, grads),
                      Optimizer(ctx, OptimizerConfig{}, n)});
            return std::function<void()>(
                [state] { state->adam.step(state->params, state->grads, 1e-3); });
          }};
}

// One GATO training step (both passes, the objective on the host, one RMSprop update) on events
// with three N(0, 1) features, unit weights and process = i mod 7 (signals 0 and 1), as
// bench/peers/gato_torch.py does it for the GMM.
Workload gato_step_workload(bool gmm) {
  // Two reads of the used features, the weight and the process id per event.
  const double bytes = gmm ? 2 * (3 * 4.0 + 8.0) : 2 * (4.0 + 8.0);
  return {
      gmm ? "gato_gmm_step" : "gato_sigmoid_step", "events", bytes,
      [gmm](Context& ctx, std::size_t n) {
        std::mt19937 rng(3);
        std::normal_distribution<float> g(0.f, 1.f);
        std::vector<std::vector<float>> f(3, std::vector<float>(n));
        for (auto& c : f)
          for (float& v : c) v = g(rng);
        std::vector<std::int32_t> p(n);
        for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::int32_t>(i % 7);
        auto events = std::make_shared<EventSet>(ctx, std::vector<std::string>{"x", "y", "z"}, f,
                                                 std::vector<float>(n, 1.f), p, 7);
        const BinningModel model =
            gmm ? BinningModel::gmm(16, 3, MeanParametrisation::box, {-3, -3, -3}, {3, 3, 3}, 0.5)
                : BinningModel::sigmoid({10}, {-3.0}, {3.0});
        BinningObjective objective;
        objective.signals = {0, 1};
        objective.settings.background_min = 10;
        objective.settings.lambda_low = 0.01;
        struct State {
          std::shared_ptr<EventSet> events;
          SoftBinning binning;
          Buffer<float> params, grads;
          Optimizer optimizer;
        };
        const std::vector<int> features = gmm ? std::vector<int>{0, 1, 2} : std::vector<int>{0};
        auto state = std::make_shared<State>(State{
            events, SoftBinning(ctx, *events, features, model, objective),
            Buffer<float>(ctx, model.initial_parameters(1)), Buffer<float>(ctx, model.n_params()),
            Optimizer(ctx, OptimizerConfig::parse("rmsprop"), model.n_params())});
        // GMM: temperature 0.5; sigmoid: steepness 50 per unit of the 6-wide range.
        const double sharpness = gmm ? 2.0 : 50.0 / 6.0;
        return std::function<void()>([state, sharpness] {
          state->binning.step(state->params, sharpness, &state->grads);
          state->optimizer.step(state->params, state->grads, 0.01);
        });
      }};
}

}  // namespace

std::vector<Workload> all_workloads() {
  return {bin_sums_workload(),
          optimizer_step_workload(),
          gato_step_workload(true),
          gato_step_workload(false),
          cut_scan_workload(),
          batched_fits_workload(),
          splitfit_step_workload(),
          assign_baseline_lead6_workload(),
          assign_baseline_all_workload(),
          assign_train_step_workload(),
          assign_inference_workload(),
          rank_exchange_workload()};
}

}  // namespace hepcat::bench
