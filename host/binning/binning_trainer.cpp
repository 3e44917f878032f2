#include <cmath>
#include <limits>

#include "hepcat/binning.hpp"
#include "hepcat/error.hpp"

namespace hepcat {

struct BinningTrainer::Impl {
  Context* ctx;
  SoftBinning binning;
  BinningTrainingConfig config;
  Optimizer optimizer;
  Buffer<float> params, grads;
  std::vector<EpochRecord> history;
  double best = std::numeric_limits<double>::infinity();
  int stale = 0;
  bool stopped = false;

  // Early stopping: the best loss so far and the epochs since it improved.
  void note_loss(double loss) {
    if (config.patience == 0) return;
    // The first epoch sets the best loss (inf - min_delta * inf would be NaN).
    if (!std::isfinite(best) || loss < best - config.min_delta * std::abs(best)) {
      best = loss;
      stale = 0;
    } else if (++stale >= config.patience) {
      stopped = true;
    }
  }

  Impl(Context& c, SoftBinning b, BinningTrainingConfig cfg, std::size_t n,
       const std::vector<float>& start)
      : ctx(&c),
        binning(std::move(b)),
        config(std::move(cfg)),
        optimizer(c, config.optimizer, n),
        params(c, start),
        grads(c, n) {}
};

BinningTrainer::BinningTrainer(Context& ctx, const EventSet& train, std::vector<int> features,
                               BinningModel model, BinningObjective objective,
                               BinningTrainingConfig config) {
  if (config.epochs < 1)
    throw Error("binning training: epochs must be at least 1, got " +
                std::to_string(config.epochs));
  if (config.patience < 0) throw Error("binning training: patience must be non-negative");
  const std::vector<float> start = model.initial_parameters(config.seed);
  const std::size_t n = model.n_params();
  SoftBinning binning(ctx, train, std::move(features), std::move(model), std::move(objective));
  impl_ = std::make_unique<Impl>(ctx, std::move(binning), std::move(config), n, start);
}

BinningTrainer::~BinningTrainer() = default;
BinningTrainer::BinningTrainer(BinningTrainer&&) noexcept = default;
BinningTrainer& BinningTrainer::operator=(BinningTrainer&&) noexcept = default;

const EpochRecord& BinningTrainer::step() {
  Impl& s = *impl_;
  if (done()) throw Error("binning training: already done");
  const long t = static_cast<long>(s.history.size());
  EpochRecord r;
  r.epoch = static_cast<int>(t);
  r.lr = s.config.lr.at(t);
  const bool gmm = s.binning.model().is_gmm();
  r.temperature = gmm ? s.config.temperature.at(t) : s.config.steepness.at(t);
  if (!(r.temperature > 0))
    throw Error(std::string("binning training: ") + (gmm ? "temperature" : "steepness") +
                " must stay positive, schedule gives " + std::to_string(r.temperature) +
                " at epoch " + std::to_string(t));
  // The sharpness of this epoch goes into this epoch's gradient: the annealing is real.
  double sharpness = gmm ? 1.0 / r.temperature : r.temperature;
  if (!gmm) {
    // steepness is given per unit of the variable's range, so one schedule fits any range
    double range = 0;
    for (std::size_t v = 0; v < s.binning.model().lo().size(); ++v)
      range = std::max(range, s.binning.model().hi()[v] - s.binning.model().lo()[v]);
    sharpness /= range;
  }
  const BinningEvaluation e = s.binning.step(s.params, sharpness, &s.grads);
  r.loss = e.loss;
  r.combined = e.combined;
  r.per_signal = e.per_signal;
  if (!std::isfinite(e.loss))
    throw Error("binning training: the loss became non-finite at epoch " + std::to_string(t));
  s.optimizer.step(s.params, s.grads, r.lr);
  s.note_loss(e.loss);
  s.history.push_back(std::move(r));
  return s.history.back();
}

bool BinningTrainer::done() const {
  return impl_->stopped || static_cast<int>(impl_->history.size()) >= impl_->config.epochs;
}

void BinningTrainer::run(const std::function<void(const EpochRecord&)>& progress) {
  const CheckpointPlan& plan = impl_->config.checkpoints;
  Checkpoint saved;
  if (plan.load(saved)) restore(saved);
  while (!done()) {
    const EpochRecord& r = step();
    if (progress) progress(r);
    // An early stop is the last epoch too.
    const long epoch = r.epoch + 1;
    plan.save_if_due(epoch, done() ? epoch : impl_->config.epochs, [this] { return checkpoint(); });
  }
}

// A record in the checkpoint's history: epoch, lr, temperature, loss, combined, per signal.
constexpr std::size_t kRecordFields = 5;

Checkpoint BinningTrainer::checkpoint() const {
  const Impl& s = *impl_;
  Checkpoint c;
  c.epoch = static_cast<long>(s.history.size());
  c.parameters = s.params.to_host(*s.ctx);
  c.optimizer_steps = s.optimizer.steps();
  c.optimizer_state = s.optimizer.state();
  for (const EpochRecord& r : s.history) {
    c.history.insert(c.history.end(),
                     {static_cast<double>(r.epoch), r.lr, r.temperature, r.loss, r.combined});
    c.history.insert(c.history.end(), r.per_signal.begin(), r.per_signal.end());
  }
  if (!s.history.empty()) c.last_loss = {s.history.back().loss};
  return c;
}

void BinningTrainer::restore(const Checkpoint& c) {
  Impl& s = *impl_;
  const std::size_t epochs = c.epoch > 0 ? static_cast<std::size_t>(c.epoch) : 0;
  const std::size_t width = epochs > 0 ? c.history.size() / epochs : kRecordFields;
  if (c.parameters.size() != s.params.size() || c.epoch > s.config.epochs ||
      width < kRecordFields || width * epochs != c.history.size())
    throw Error("binning training: the checkpoint (" + std::to_string(c.parameters.size()) +
                " parameters, " + std::to_string(c.epoch) + " epochs) does not fit this model (" +
                std::to_string(s.params.size()) + " parameters, " +
                std::to_string(s.config.epochs) + " epochs)");
  s.params.upload(*s.ctx, c.parameters);
  s.optimizer.restore(c.optimizer_state, c.optimizer_steps);
  s.history.clear();
  s.best = std::numeric_limits<double>::infinity();
  s.stale = 0;
  s.stopped = false;
  for (std::size_t t = 0; t < epochs; ++t) {
    const double* v = c.history.data() + t * width;
    EpochRecord r;
    r.epoch = static_cast<int>(v[0]);
    r.lr = v[1];
    r.temperature = v[2];
    r.loss = v[3];
    r.combined = v[4];
    r.per_signal.assign(v + kRecordFields, v + width);
    s.note_loss(r.loss);  // the early stop's state, as the epochs left it
    s.history.push_back(std::move(r));
  }
}

const std::vector<EpochRecord>& BinningTrainer::history() const {
  return impl_->history;
}
std::vector<float> BinningTrainer::parameters() const {
  return impl_->params.to_host(*impl_->ctx);
}
const Buffer<float>& BinningTrainer::parameter_buffer() const {
  return impl_->params;
}
std::vector<float> BinningTrainer::last_gradient() const {
  return impl_->grads.to_host(*impl_->ctx);
}
SoftBinning& BinningTrainer::binning() {
  return impl_->binning;
}

}  // namespace hepcat
