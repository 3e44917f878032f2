// The ABC jet-assignment model (SCIENCE.md section 5) at its published size, on the context's
// backend (AssignEngine): one training step (soft forward with attention dropout, hand-written
// backward, gradient-norm clipping, Adam over the parameter buffer) on a batch of n events of 10
// jet slots, and inference (hard forward, per-event results back on the host) over n events
// (2048 and 16,384 events, whatever --min and --max). Events: 6 to 10 jets with pt,
// eta, phi and E drawn at random.
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "bench/bench.hpp"
#include "hepcat/assign.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/optim.hpp"

namespace hepcat::bench {

namespace {

constexpr std::size_t kJets = 10;

std::vector<float> random_events(std::size_t n) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> pt(n * kJets, 0.f), eta(pt.size(), 0.f), phi(pt.size(), 0.f),
      e(pt.size(), 0.f);
  for (std::size_t b = 0; b < n; ++b) {
    const std::size_t real = 6 + b % 5;
    for (std::size_t j = 0; j < real; ++j) {
      const std::size_t i = b * kJets + j;
      pt[i] = 250.f / (1.f + j) + 20.f * u(rng);
      eta[i] = 4.f * u(rng) - 2.f;
      phi[i] = 6.28f * u(rng) - 3.14f;
      e[i] = pt[i] * std::cosh(eta[i]) + 5.f;
    }
  }
  return assign_inputs(pt.data(), eta.data(), phi.data(), e.data(), n, kJets);
}

AssignModel bench_model() {
  AssignModel model;
  model.initialise(1);
  model.set_normalisation({3.0, 0.0, 0.4, 0.0, 3.4}, {1.0, 1.5, 0.6, 0.4, 1.2});
  return model;
}

struct TrainState {
  std::vector<float> x;
  AssignEngine engine;
  Optimizer adam;
  std::uint32_t step = 0;
};

}  // namespace

Workload assign_train_step_workload() {
  // One step reads each event's 10 x 5 inputs.
  return {"assign_train_step", "events", kJets * 5 * 4.0,
          [](Context& ctx, std::size_t n) {
            AssignEngine engine(ctx, bench_model());
            Optimizer adam(ctx, OptimizerConfig(), engine.parameter_count());
            auto s = std::make_shared<TrainState>(
                TrainState{random_events(n), std::move(engine), std::move(adam)});
            // Parameters, gradients and Adam's moments stay on the backend; the batch loss is the
            // one value each step copies back.
            return std::function<void()>([s, n] {
              s->engine.train_step(s->x.data(), n, kJets, AssignLoss(), 1, s->step++, true, 0.1,
                                   s->adam, 1e-3);
            });
          },
          2048};
}

Workload assign_inference_workload() {
  return {"assign_inference", "events", kJets * 5 * 4.0,
          [](Context& ctx, std::size_t n) {
            auto engine = std::make_shared<AssignEngine>(ctx, bench_model());
            auto x = std::make_shared<std::vector<float>>(random_events(n));
            // In batches, as hepcat assign eval does: the forward keeps its intermediates,
            // O(batch). 2048 events on the CPU, 16,384 on a GPU.
            const std::size_t batch = ctx.is_cuda() ? 16384 : 2048;
            return std::function<void()>([engine, x, n, batch] {
              for (std::size_t b = 0; b < n; b += batch)
                engine->forward(x->data() + b * kJets * 5, std::min(batch, n - b), kJets,
                                AssignChoice::hard);
            });
          },
          16384};
}

}  // namespace hepcat::bench
