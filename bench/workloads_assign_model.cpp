// The ABC jet-assignment model (SCIENCE.md section 5) at its published size: one training step
// (soft forward with attention dropout, hand-written backward, gradient-norm clipping, Adam over
// the parameter buffer) on a batch of n events of 10 jet slots, and inference (hard forward)
// over n events (2048 and 16,384 events, whatever --min and --max). Events: 6 to 10 jets with pt,
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

struct TrainState {
  AssignModel model;
  std::vector<float> x, grad;
  Buffer<float> params, grads;
  Optimizer adam;
  AssignWorkspace workspace;  // kept between steps, as a training loop keeps it
  long step = 0;
};

}  // namespace

Workload assign_train_step_workload() {
  // One step reads each event's 10 x 5 inputs.
  return {"assign_train_step", "events", kJets * 5 * 4.0,
          [](Context& ctx, std::size_t n) {
            AssignModel model;
            model.initialise(1);
            model.set_normalisation({3.0, 0.0, 0.4, 0.0, 3.4}, {1.0, 1.5, 0.6, 0.4, 1.2});
            const std::size_t size = model.parameters().size();
            auto s =
                std::make_shared<TrainState>(TrainState{model,
                                                        random_events(n),
                                                        {},
                                                        Buffer<float>(ctx, model.parameters()),
                                                        Buffer<float>(ctx, size),
                                                        Optimizer(ctx, OptimizerConfig(), size),
                                                        {}});
            return std::function<void()>([s, &ctx, n] {
              assign_gradient(s->model, s->x.data(), n, kJets, AssignLoss(), s->grad, s->workspace,
                              static_cast<std::uint64_t>(++s->step), true);
              double norm2 = 0;
              for (float g : s->grad) norm2 += double(g) * g;
              const double coef = 0.1 / (std::sqrt(norm2) + 1e-6);
              if (coef < 1)
                for (float& g : s->grad) g = static_cast<float>(g * coef);
              s->grads.upload(ctx, s->grad);
              s->adam.step(s->params, s->grads, 1e-3);
              s->model.parameters() = s->params.to_host(ctx);
            });
          },
          2048};
}

Workload assign_inference_workload() {
  return {"assign_inference", "events", kJets * 5 * 4.0,
          [](Context&, std::size_t n) {
            auto model = std::make_shared<AssignModel>();
            model->initialise(1);
            model->set_normalisation({3.0, 0.0, 0.4, 0.0, 3.4}, {1.0, 1.5, 0.6, 0.4, 1.2});
            auto x = std::make_shared<std::vector<float>>(random_events(n));
            return std::function<void()>([model, x, n] {
              // In batches of 2048 events, as hepcat assign eval does: the forward keeps its
              // intermediates, O(batch).
              for (std::size_t b = 0; b < n; b += 2048)
                assign_forward(*model, x->data() + b * kJets * 5,
                               std::min<std::size_t>(2048, n - b), kJets, AssignChoice::hard);
            });
          },
          16384};
}

}  // namespace hepcat::bench
