// The foundation's workloads: the memory-bound per-bin sums every objective stands on, and one
// optimiser step over a contiguous parameter buffer.
#include <cstdint>
#include <memory>
#include <random>

#include "bench/bench.hpp"
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

}  // namespace

std::vector<Workload> all_workloads() {
  return {bin_sums_workload(), optimizer_step_workload(), batched_fits_workload(),
          splitfit_step_workload()};
}

}  // namespace hepcat::bench
