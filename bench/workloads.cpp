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

// The workload with its operations per item for the CPU roofline.
Workload counted(Workload w, OpCount ops) {
  ops.counted = true;
  w.ops = ops;
  return w;
}

// The workload whose bytes alone bound it: its operations per item vary (fits: iterations depend
// on the data) or are not counted yet (the jet assignment).
Workload bytes_only(Workload w, bool writes) {
  w.ops.writes = writes;
  return w;
}

}  // namespace

// Operations per item, counted from the formulas in include/hepcat/math (a multiply-add, an
// add or a multiply counts one; comparisons, divisions and square roots are folded in):
// - weighted_bin_sums: reads 12 bytes per event, two double additions into the partials.
// - optimizer_step (Adam): about 10 float operations, one square root and one division per
//   parameter; reads and writes (28 bytes).
// - gato_gmm_step (K = 16, d = 3, float): each of the two passes (sums, gradient) evaluates
//   every component's triangular solve and squared norm (about 12) and one exp for the softmax;
//   the sums add 2 per component and the backward pass about 25 per component: about
//   16 * (2 * 12 + 2 + 25) = 816 multiply-adds and 32 exp per event; reads only.
// - gato_sigmoid_step (10 bins, float): per pass 9 boundary sigmoids (one exp and about 4
//   operations each) and 2 per bin for the sums, the backward pass about 4 per boundary:
//   2 * 9 exp and about 2 * 9 * 4 + 20 + 36 = 128 multiply-adds per event; reads only.
// - cut_scan_epoch (10 features, 13 targets, float): one sigmoid per feature and target (one
//   exp) with about 6 operations for the score, the product and its gradient: 130 exp and 780
//   multiply-adds per event; reads only.
// - splitfit_step: one sigmoid of the score (one exp) and about 10 operations per event for the
//   pass/fail histograms and the backward pass, the pseudo-experiments not counted; writes dL/ds.
std::vector<Workload> all_workloads() {
  return {counted(bin_sums_workload(), {2, 0, 0, true, true, false}),
          counted(optimizer_step_workload(), {10, 0, 0}),
          counted(gato_step_workload(true), {816, 32, 0, false, true, false}),
          counted(gato_step_workload(false), {128, 18, 0, false, true, false}),
          counted(cut_scan_workload(), {780, 130, 0, false, true, false}),
          bytes_only(batched_fits_workload(), true),
          counted(splitfit_step_workload(), {10, 1, 0}),
          bytes_only(assign_baseline_lead6_workload(), true),
          bytes_only(assign_baseline_all_workload(), true),
          bytes_only(assign_train_step_workload(), true),
          bytes_only(assign_inference_workload(), true),
          bytes_only(rank_exchange_workload(), false)};
}

}  // namespace hepcat::bench
