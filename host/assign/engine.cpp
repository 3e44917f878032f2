// AssignEngine: the model's parameters resident on the context's backend and the forward, gradient
// and training step dispatched to the host network (model_network.cpp) or the device network
// (model_device.cpp).
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/assign.hpp"
#include "host/assign/model_network.hpp"
#include "host/assign/model_output.hpp"

#ifdef HEPCAT_HAVE_CUDA
#include "host/assign/model_device.hpp"
#endif

namespace hepcat {

struct AssignEngine::Impl {
  const Context& ctx;
  AssignConfig config;
  assign::Architecture arch;
  Buffer<float> params, grads;
  assign::BatchWorkspace<float> ws;  // the CPU backend's: a batch in parts over the threads
#ifdef HEPCAT_HAVE_CUDA
  std::unique_ptr<assign::DeviceNetwork> device;
#endif

  Impl(const Context& c, const AssignModel& model)
      : ctx(c),
        config(model.config()),
        arch(model),
        params(c, model.parameters()),
        grads(c, model.parameters().size()) {
#ifdef HEPCAT_HAVE_CUDA
    if (c.is_cuda()) device = std::make_unique<assign::DeviceNetwork>(c, arch);
#endif
  }

  assign::Dropout dropout(bool on, std::uint64_t seed, std::uint32_t step) const {
    assign::Dropout d;
    d.on = on && config.attn_dropout > 0;
    d.seed = seed;
    d.stream = step;
    d.p = config.attn_dropout;
    return d;
  }

  /// The soft or hard forward without dropout on the engine's backend.
  void run_forward(const float* x, std::size_t events, std::size_t jets, bool soft,
                   const AssignLoss& loss, std::uint64_t loss_seed, AssignTrace* trace) {
    if (events == 0) throw Error("assign: no events");
#ifdef HEPCAT_HAVE_CUDA
    if (device) {
      device->forward(params.data(), device->upload(x, events, jets), events, jets, soft, loss,
                      assign::Dropout{}, loss_seed, trace);
      return;
    }
#endif
    assign::host_forward(arch, params.data(), x, events, jets, soft, loss, loss_seed, ws, trace);
  }

  /// The per-event results of the last forward.
  AssignOutput<float> output([[maybe_unused]] const float* x, std::size_t events, std::size_t jets,
                             AssignTrace* trace) {
#ifdef HEPCAT_HAVE_CUDA
    if (device) {
      std::vector<float> logits, cp4, m2;
      device->results(logits, cp4, m2);
      std::vector<std::uint8_t> pad(events * jets);
      for (std::size_t r = 0; r < pad.size(); ++r) pad[r] = math::is_padding(x + 5 * r) ? 1 : 0;
      return assign::make_output(config, events, jets, logits.data(), config.categories, pad.data(),
                                 std::move(cp4), m2, device->event_losses(), trace);
    }
#endif
    return assign::batch_output(config, events, jets, ws, trace);
  }

  double batch_loss() const {
#ifdef HEPCAT_HAVE_CUDA
    if (device) return device->loss();
#endif
    return ws.loss;
  }

  /// The soft forward and backward on the engine's backend, the gradient into `grads`.
  void run_gradient(const float* x, std::size_t events, std::size_t jets, const AssignLoss& loss,
                    const assign::Dropout& drop, std::uint64_t loss_seed) {
    if (events == 0) throw Error("assign: no events");
#ifdef HEPCAT_HAVE_CUDA
    if (device) {
      device->forward(params.data(), device->upload(x, events, jets), events, jets, true, loss,
                      drop, loss_seed, nullptr);
      device->backward(params.data(), loss, grads.data(), grads.size());
      return;
    }
#endif
    assign::gradient_batch(arch, params.data(), x, events, jets, loss, drop, loss_seed, ws,
                           grads.data());
  }

  void clip(double clip_norm) {
    if (clip_norm <= 0) return;
#ifdef HEPCAT_HAVE_CUDA
    if (device) {
      device->clip(grads.data(), grads.size(), clip_norm);
      return;
    }
#endif
    float* g = grads.data();
    double norm2 = 0;
    for (std::size_t i = 0; i < grads.size(); ++i) norm2 += static_cast<double>(g[i]) * g[i];
    const double coef = clip_norm / (std::sqrt(norm2) + 1e-6);
    if (coef < 1)
      for (std::size_t i = 0; i < grads.size(); ++i) g[i] = static_cast<float>(g[i] * coef);
  }
};

AssignEngine::AssignEngine(const Context& ctx, const AssignModel& model)
    : impl_(std::make_unique<Impl>(ctx, model)) {}
AssignEngine::~AssignEngine() = default;
AssignEngine::AssignEngine(AssignEngine&&) noexcept = default;
AssignEngine& AssignEngine::operator=(AssignEngine&&) noexcept = default;

AssignOutput<float> AssignEngine::forward(const float* x, std::size_t events, std::size_t jets,
                                          AssignChoice choice, AssignTrace* trace) {
  impl_->run_forward(x, events, jets, choice == AssignChoice::soft, AssignLoss(), 0, trace);
  return impl_->output(x, events, jets, trace);
}

double AssignEngine::gradient(const float* x, std::size_t events, std::size_t jets,
                              const AssignLoss& loss, std::vector<float>& grad, std::uint64_t seed,
                              bool dropout) {
  Impl& m = *impl_;
  m.run_gradient(x, events, jets, loss, m.dropout(dropout, seed, 0), seed);
  grad = m.grads.to_host(m.ctx);
  return m.batch_loss();
}

double AssignEngine::loss(const float* x, std::size_t events, std::size_t jets,
                          const AssignLoss& loss, std::uint64_t seed) {
  Impl& m = *impl_;
  m.run_forward(x, events, jets, true, loss, seed, nullptr);
  return m.batch_loss();
}

double AssignEngine::train_step(const float* x, std::size_t events, std::size_t jets,
                                const AssignLoss& loss, std::uint64_t seed, std::uint32_t step,
                                bool dropout, double clip_norm, Optimizer& optimizer, double lr) {
  Impl& m = *impl_;
  m.run_gradient(x, events, jets, loss, m.dropout(dropout, seed, step),
                 seed ^ (static_cast<std::uint64_t>(step) << 20));
  m.clip(clip_norm);
  optimizer.step(m.params, m.grads, lr);
  return m.batch_loss();
}

std::vector<float> AssignEngine::parameters() const {
  return impl_->params.to_host(impl_->ctx);
}

void AssignEngine::set_parameters(const std::vector<float>& values) {
  if (values.size() != impl_->params.size())
    throw Error("assign engine: " + std::to_string(values.size()) +
                " parameters given, the model has " + std::to_string(impl_->params.size()));
  impl_->params.upload(impl_->ctx, values);
}

std::size_t AssignEngine::parameter_count() const {
  return impl_->params.size();
}

}  // namespace hepcat
