#include "hepcat/optim.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "hepcat/error.hpp"
#include "hepcat/math/optim.hpp"
#include "host/engine/enum_names.hpp"
#include "host/engine/format.hpp"
#include "host/optim/optim_cpu.hpp"
#include "host/optim/optim_step.hpp"

#ifdef HEPCAT_HAVE_CUDA
#include "kernels/optim.hpp"
#endif

namespace hepcat {

// ---- ParamLayout --------------------------------------------------------------------------------

std::size_t ParamLayout::add(const std::string& name, std::size_t count) {
  if (name.empty()) throw Error("parameter layout: a block needs a name");
  if (contains(name)) throw Error("parameter layout: block '" + name + "' is already defined");
  blocks_.push_back(ParamBlock{name, size_, count});
  size_ += count;
  return blocks_.back().offset;
}

bool ParamLayout::contains(const std::string& name) const {
  for (const ParamBlock& b : blocks_)
    if (b.name == name) return true;
  return false;
}

const ParamBlock& ParamLayout::find(const std::string& name) const {
  for (const ParamBlock& b : blocks_)
    if (b.name == name) return b;
  std::string known;
  for (const ParamBlock& b : blocks_) known += (known.empty() ? "" : ", ") + b.name;
  throw Error("parameter layout: no block named '" + name +
              "' (blocks: " + (known.empty() ? "none" : known) + ")");
}

// ---- OptimizerConfig ----------------------------------------------------------------------------

namespace {
const detail::EnumName<OptimizerKind> kOptimizerNames[] = {{OptimizerKind::sgd, "sgd"},
                                                           {OptimizerKind::adam, "adam"},
                                                           {OptimizerKind::rmsprop, "rmsprop"}};
const detail::EnumName<Schedule::Kind> kScheduleNames[] = {
    {Schedule::Kind::constant, "constant"},
    {Schedule::Kind::linear, "linear"},
    {Schedule::Kind::cosine, "cosine"},
    {Schedule::Kind::exponential, "exponential"}};
}  // namespace

const char* to_string(OptimizerKind kind) {
  return detail::enum_to_string(kOptimizerNames, kind);
}

OptimizerConfig OptimizerConfig::parse(const std::string& name) {
  OptimizerConfig config;
  if (name == "sgd") {
    config.kind = OptimizerKind::sgd;
  } else if (name == "adam") {
    config.kind = OptimizerKind::adam;
  } else if (name == "adamw") {
    config.kind = OptimizerKind::adam;
    config.decoupled_weight_decay = true;
    config.weight_decay = 1e-2;
  } else if (name == "rmsprop") {
    config.kind = OptimizerKind::rmsprop;
  } else {
    throw Error("unknown optimizer '" + name + "': expected sgd, adam, adamw or rmsprop");
  }
  return config;
}

namespace {
void require(bool ok, const std::string& what) {
  if (!ok) throw Error(std::string("optimizer: ") + what);
}
}  // namespace

void OptimizerConfig::validate() const {
  const auto finite_nonneg = [](double x) { return std::isfinite(x) && x >= 0; };
  require(finite_nonneg(weight_decay),
          "weight_decay must be finite and >= 0, got " + detail::format_number(weight_decay));
  require(finite_nonneg(eps), "eps must be finite and >= 0, got " + detail::format_number(eps));
  switch (kind) {
    case OptimizerKind::sgd:
      require(finite_nonneg(momentum),
              "momentum must be finite and >= 0, got " + detail::format_number(momentum));
      require(std::isfinite(dampening),
              "dampening must be finite, got " + detail::format_number(dampening));
      require(!nesterov || (momentum > 0 && dampening == 0),
              "nesterov momentum needs momentum > 0 and dampening 0");
      break;
    case OptimizerKind::adam:
      require(beta1 >= 0 && beta1 < 1,
              "beta1 must be in [0, 1), got " + detail::format_number(beta1));
      require(beta2 >= 0 && beta2 < 1,
              "beta2 must be in [0, 1), got " + detail::format_number(beta2));
      break;
    case OptimizerKind::rmsprop:
      require(finite_nonneg(momentum),
              "momentum must be finite and >= 0, got " + detail::format_number(momentum));
      require(alpha >= 0 && alpha <= 1,
              "alpha must be in [0, 1], got " + detail::format_number(alpha));
      break;
  }
}

// ---- Optimizer ----------------------------------------------------------------------------------

namespace {
math::UpdateRule rule_of(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::sgd:
      return math::UpdateRule::sgd;
    case OptimizerKind::adam:
      return math::UpdateRule::adam;
    case OptimizerKind::rmsprop:
      break;
  }
  return math::UpdateRule::rmsprop;
}
}  // namespace

namespace detail {

std::array<bool, 3> used_slots(const OptimizerConfig& c) {
  std::array<bool, 3> used{false, false, false};
  switch (c.kind) {
    case OptimizerKind::sgd:
      used[0] = c.momentum != 0;
      break;
    case OptimizerKind::adam:
      used[0] = used[1] = true;
      used[2] = c.amsgrad;
      break;
    case OptimizerKind::rmsprop:
      used[0] = true;
      used[1] = c.momentum > 0;
      used[2] = c.centered;
      break;
  }
  return used;
}

template <class T>
math::StepScalars<T> step_scalars(const OptimizerConfig& c, long step, double lr) {
  const double t = static_cast<double>(step + 1);
  math::StepScalars<T> s;
  s.rule = rule_of(c.kind);
  s.maximize = c.maximize;
  s.lr = static_cast<T>(lr);
  s.weight_decay = static_cast<T>(c.weight_decay);
  s.momentum = static_cast<T>(c.momentum);
  s.dampening = static_cast<T>(c.dampening);
  s.nesterov = c.nesterov;
  s.first_step = step == 0;
  s.beta1 = static_cast<T>(c.beta1);
  s.beta2 = static_cast<T>(c.beta2);
  s.eps = static_cast<T>(c.eps);
  s.step_size = static_cast<T>(lr / (1.0 - std::pow(c.beta1, t)));
  s.bias2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(c.beta2, t)));
  s.decoupled = c.decoupled_weight_decay;
  s.decay_factor = static_cast<T>(1.0 - lr * c.weight_decay);
  s.alpha = static_cast<T>(c.alpha);
  return s;
}
template math::StepScalars<float> step_scalars<float>(const OptimizerConfig&, long, double);
template math::StepScalars<double> step_scalars<double>(const OptimizerConfig&, long, double);

}  // namespace detail

struct Optimizer::Impl {
  Context* ctx;
  OptimizerConfig config;
  std::size_t n;
  Buffer<float> state;  // the used slots back to back, n values each
  float* slots[3] = {nullptr, nullptr, nullptr};
  long steps = 0;
};

Optimizer::Optimizer(Context& ctx, OptimizerConfig config, std::size_t n_params)
    : impl_(std::make_unique<Impl>()) {
  config.validate();
  const std::array<bool, 3> used = detail::used_slots(config);
  const std::size_t n_slots = used[0] + used[1] + used[2];
  impl_->ctx = &ctx;
  impl_->config = config;
  impl_->n = n_params;
  impl_->state = Buffer<float>(ctx, n_slots * n_params);
  std::size_t next = 0;
  for (int k = 0; k < 3; ++k)
    if (used[k]) impl_->slots[k] = impl_->state.data() + n_params * next++;
  reset();
}

Optimizer::~Optimizer() = default;
Optimizer::Optimizer(Optimizer&&) noexcept = default;
Optimizer& Optimizer::operator=(Optimizer&&) noexcept = default;

void Optimizer::step(Buffer<float>& params, const Buffer<float>& grads, double lr) {
  Impl& m = *impl_;
  if (params.size() != m.n || grads.size() != m.n)
    throw Error("optimizer step: expected " + std::to_string(m.n) +
                " parameters and gradients, got " + std::to_string(params.size()) + " and " +
                std::to_string(grads.size()));
  if (params.backend() != m.ctx->backend() || grads.backend() != m.ctx->backend())
    throw Error("optimizer step: parameters and gradients must live on the optimizer's backend (" +
                std::string(to_string(m.ctx->backend())) + ")");
  if (!(std::isfinite(lr) && lr >= 0))
    throw Error("optimizer step: learning rate must be finite and >= 0, got " +
                detail::format_number(lr));
  const math::StepScalars<float> s = detail::step_scalars<float>(m.config, m.steps, lr);
#ifdef HEPCAT_HAVE_CUDA
  if (m.ctx->is_cuda()) {
    cuda::launch_optimizer_step(s, params.data(), grads.data(), m.slots[0], m.slots[1], m.slots[2],
                                m.n, static_cast<cudaStream_t>(m.ctx->stream()));
  }
#endif
  if (!m.ctx->is_cuda())
    cpu::optimizer_step(s, params.data(), grads.data(), m.slots[0], m.slots[1], m.slots[2], m.n);
  ++m.steps;
}

void Optimizer::reset() {
  impl_->state.zero(*impl_->ctx);
  impl_->steps = 0;
}

long Optimizer::steps() const {
  return impl_->steps;
}
std::vector<float> Optimizer::state() const {
  return impl_->state.to_host(*impl_->ctx);
}
void Optimizer::restore(const std::vector<float>& state, long steps) {
  if (state.size() != impl_->state.size() || steps < 0)
    throw Error("optimizer restore: the saved state holds " + std::to_string(state.size()) +
                " values after " + std::to_string(steps) + " steps, this optimizer needs " +
                std::to_string(impl_->state.size()));
  impl_->state.upload(*impl_->ctx, state.data(), state.size());
  impl_->steps = steps;
}
std::size_t Optimizer::size() const {
  return impl_->n;
}
const OptimizerConfig& Optimizer::config() const {
  return impl_->config;
}

// ---- Schedule -----------------------------------------------------------------------------------

const char* to_string(Schedule::Kind kind) {
  return detail::enum_to_string(kScheduleNames, kind);
}

Schedule::Schedule(double value) : Schedule(Kind::constant, value, value, 1) {}

namespace {
// Empty when the schedule is well defined, else what is wrong with it.
std::string schedule_problem(Schedule::Kind kind, double start, double end, long steps) {
  if (!std::isfinite(start) || !std::isfinite(end))
    return "values must be finite, got " + detail::format_number(start) + " and " +
           detail::format_number(end);
  if (kind != Schedule::Kind::constant && steps < 1)
    return "needs at least one step, got " + std::to_string(steps);
  if (kind == Schedule::Kind::exponential && !(start > 0 && end > 0))
    return "an exponential schedule needs a positive start and end, got " +
           detail::format_number(start) + " and " + detail::format_number(end);
  return {};
}
}  // namespace

Schedule::Schedule(Kind kind, double start, double end, long steps)
    : kind_(kind), start_(start), end_(kind == Kind::constant ? start : end), steps_(steps) {
  const std::string problem = schedule_problem(kind_, start_, end_, steps_);
  if (!problem.empty())
    throw Error(std::string("schedule ") + hepcat::to_string(kind) + ": " + problem);
}

namespace {
double parse_number(const std::string& field, const std::string& text) {
  const char* begin = field.c_str();
  char* stop = nullptr;
  const double x = std::strtod(begin, &stop);
  if (field.empty() || stop != begin + field.size())
    throw Error("schedule '" + text + "': '" + field + "' is not a number");
  return x;
}
}  // namespace

Schedule Schedule::parse(const std::string& text, long steps) {
  std::vector<std::string> fields;
  std::size_t from = 0;
  for (std::size_t colon; (colon = text.find(':', from)) != std::string::npos; from = colon + 1)
    fields.push_back(text.substr(from, colon - from));
  fields.push_back(text.substr(from));
  if (fields.size() == 1) return Schedule(parse_number(fields[0], text));
  const std::string& name = fields[0];
  const detail::EnumName<Kind>* named = detail::find_enum(kScheduleNames, name);
  if (!named)
    throw Error("schedule '" + text + "': unknown kind '" + name + "' (expected " +
                detail::enum_choices(kScheduleNames) + ")");
  const Kind kind = named->value;
  const std::size_t expected = kind == Kind::constant ? 2 : 3;
  if (fields.size() != expected)
    throw Error("schedule '" + text + "': expected " +
                (kind == Kind::constant ? std::string("constant:VALUE") : name + ":START:END"));
  const double start = parse_number(fields[1], text);
  const double end = kind == Kind::constant ? start : parse_number(fields[2], text);
  const std::string problem = schedule_problem(kind, start, end, steps);
  if (!problem.empty()) throw Error("schedule '" + text + "': " + problem);
  return Schedule(kind, start, end, steps);
}

double Schedule::at(long step) const {
  if (kind_ == Kind::constant) return start_;
  const long t = step < 0 ? 0 : (step > steps_ ? steps_ : step);
  const double u = static_cast<double>(t) / static_cast<double>(steps_);
  switch (kind_) {
    case Kind::linear:
      return math::anneal_linear(start_, end_, u);
    case Kind::cosine:
      return math::anneal_cosine(start_, end_, u);
    case Kind::exponential:
      return math::anneal_exponential(start_, end_, u);
    case Kind::constant:
      break;
  }
  return start_;
}

std::string Schedule::to_string() const {
  if (kind_ == Kind::constant) return detail::format_number(start_);
  return std::string(hepcat::to_string(kind_)) + ":" + detail::format_number(start_) + ":" +
         detail::format_number(end_);
}

}  // namespace hepcat
