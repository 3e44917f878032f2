// Unsupervised training of the ABC model (SCIENCE.md section 5): Adam through the engine's
// Optimizer over the one parameter buffer, the published learning-rate schedule, gradient-norm
// clipping, attention dropout from counter-based random numbers, early stopping on a validation
// split. Scratch memory is one batch's forward caches, kept between steps.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/random.hpp"
#include "host/assign/model_network.hpp"

namespace hepcat {

double assign_learning_rate(double lr, long step, long total) {
  const long n = static_cast<long>(0.02 * static_cast<double>(total));
  if (n <= 0) return lr;
  if (step < n) return lr * std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(n));
  return lr * std::pow(0.95, std::floor(static_cast<double>(step) / n));
}

namespace {

// A permutation of 0..n-1 from (seed, stream): Fisher-Yates with counter-based draws.
std::vector<std::size_t> permutation(std::size_t n, std::uint64_t seed, std::uint32_t stream) {
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t(0));
  for (std::size_t i = n; i > 1; --i) {
    const math::Philox4x32 w = math::random_words(seed, i, stream);
    const std::uint64_t r = (static_cast<std::uint64_t>(w.v[0]) << 32) | w.v[1];
    std::swap(idx[i - 1], idx[r % i]);
  }
  return idx;
}

void gather(const std::vector<float>& x, const std::vector<std::size_t>& order, std::size_t begin,
            std::size_t count, std::size_t jets, std::vector<float>& out) {
  const std::size_t w = jets * 5;
  out.resize(count * w);
  for (std::size_t i = 0; i < count; ++i)
    std::copy_n(x.begin() + order[begin + i] * w, w, out.begin() + i * w);
}

void validate(const AssignTrainConfig& c, std::size_t events) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw Error("assign train: " + what);
  };
  require(c.epochs > 0, "epochs must be positive");
  require(c.batch_size > 0, "batch size must be positive");
  require(std::isfinite(c.learning_rate) && c.learning_rate > 0,
          "learning rate must be finite and positive");
  require(std::isfinite(c.clip_norm) && c.clip_norm >= 0, "clip norm must be finite and >= 0");
  require(c.validation_fraction > 0 && c.validation_fraction < 1,
          "validation fraction must be in (0, 1)");
  require(c.patience > 0, "patience must be positive");
  const auto n_val = static_cast<std::size_t>(std::llround(c.validation_fraction * events));
  require(n_val >= 1 && events - n_val >= 1,
          "need at least one training and one validation event, got " + std::to_string(events) +
              " events");
}

// The layout of an assignment checkpoint: parameters are the current ones followed by the best
// epoch's; history starts with the initial and best validation loss, the best epoch and the
// epochs since it, then per epoch: epoch, train loss, validation loss, learning rate, seconds.
constexpr std::size_t kHeader = 4, kRecord = 5;

void restore_training(const Checkpoint& c, AssignEngine& engine, Optimizer& optimizer,
                      std::vector<float>& best, double& best_val, int& since_best,
                      AssignTrainResult& result) {
  const std::size_t n = engine.parameters().size();
  const std::size_t epochs = c.epoch > 0 ? static_cast<std::size_t>(c.epoch) : 0;
  if (c.parameters.size() != 2 * n || c.history.size() != kHeader + kRecord * epochs)
    throw Error("assign train: the checkpoint (" + std::to_string(c.parameters.size()) +
                " parameter values, " + std::to_string(c.epoch) +
                " epochs) does not fit this model (" + std::to_string(n) + " parameters)");
  engine.set_parameters(std::vector<float>(c.parameters.begin(), c.parameters.begin() + n));
  best.assign(c.parameters.begin() + n, c.parameters.end());
  optimizer.restore(c.optimizer_state, c.optimizer_steps);
  result.initial_validation_loss = c.history[0];
  best_val = c.history[1];
  result.best_epoch = static_cast<int>(c.history[2]);
  since_best = static_cast<int>(c.history[3]);
  for (std::size_t k = 0; k < epochs; ++k) {
    const double* r = c.history.data() + kHeader + kRecord * k;
    result.epochs.push_back({static_cast<int>(r[0]), r[1], r[2], r[3], r[4]});
  }
}

}  // namespace

AssignTrainResult assign_train(AssignModel& model, const std::vector<float>& x, std::size_t events,
                               std::size_t jets, const AssignTrainConfig& config, Context& ctx,
                               const std::function<void(const AssignEpoch&)>& progress) {
  validate(config, events);
  if (x.size() != events * jets * 5)
    throw Error("assign train: the input holds " + std::to_string(x.size()) +
                " values, expected events x jets x 5 = " + std::to_string(events * jets * 5));

  const std::vector<std::size_t> order = permutation(events, config.seed, 0xab0001u);
  const auto n_val = static_cast<std::size_t>(std::llround(config.validation_fraction * events));
  const std::size_t n_train = events - n_val;
  std::vector<std::size_t> train(order.begin(), order.begin() + n_train);
  const std::vector<std::size_t> val(order.begin() + n_train, order.end());

  // Fixed input statistics from the training part, over every slot (padding included, as the
  // published BatchNorm's running statistics were).
  {
    std::vector<double> mean(5, 0.0), var(5, 0.0);
    const double n = static_cast<double>(n_train * jets);
    for (std::size_t i : train)
      for (std::size_t j = 0; j < jets; ++j)
        for (int f = 0; f < 5; ++f) mean[f] += x[(i * jets + j) * 5 + f];
    for (double& m : mean) m /= n;
    for (std::size_t i : train)
      for (std::size_t j = 0; j < jets; ++j)
        for (int f = 0; f < 5; ++f) {
          const double d = x[(i * jets + j) * 5 + f] - mean[f];
          var[f] += d * d;
        }
    for (double& v : var) v /= n;
    model.set_normalisation(mean, var);
  }

  // The parameters and gradients live on the context's backend; each step runs there.
  AssignEngine engine(ctx, model);
  OptimizerConfig adam;  // torch.optim.Adam defaults, weight decay 0
  Optimizer optimizer(ctx, adam, engine.parameter_count());

  const std::size_t steps_per_epoch = (n_train + config.batch_size - 1) / config.batch_size;
  const long total_steps = static_cast<long>(steps_per_epoch) * config.epochs;
  std::vector<float> batch;

  // Mean per-event loss over the validation part, soft choice without dropout.
  const auto validation_loss = [&] {
    double sum = 0;
    for (std::size_t begin = 0; begin < n_val; begin += config.batch_size) {
      const std::size_t count = std::min(config.batch_size, n_val - begin);
      gather(x, val, begin, count, jets, batch);
      sum += engine.loss(batch.data(), count, jets, config.loss, config.seed ^ 0xfeedULL) *
             static_cast<double>(count);
    }
    return sum / static_cast<double>(n_val);
  };

  AssignTrainResult result;
  std::vector<float> best = model.parameters();
  double best_val = INFINITY;
  int since_best = 0;
  Checkpoint saved;
  if (config.checkpoints.load(saved))
    restore_training(saved, engine, optimizer, best, best_val, since_best, result);
  else
    result.initial_validation_loss = validation_loss();
  long step = static_cast<long>(result.epochs.size() * steps_per_epoch);
  const auto checkpoint = [&] {
    Checkpoint c;
    c.parameters = engine.parameters();
    c.parameters.insert(c.parameters.end(), best.begin(), best.end());
    c.optimizer_steps = optimizer.steps();
    c.optimizer_state = optimizer.state();
    c.rng_counter = static_cast<std::uint64_t>(step);
    c.last_loss = {result.epochs.back().validation_loss};
    c.history = {result.initial_validation_loss, best_val, static_cast<double>(result.best_epoch),
                 static_cast<double>(since_best)};
    for (const AssignEpoch& e : result.epochs)
      c.history.insert(c.history.end(), {static_cast<double>(e.epoch), e.train_loss,
                                         e.validation_loss, e.learning_rate, e.seconds});
    return c;
  };
  bool stopped = since_best >= config.patience;
  for (int epoch = static_cast<int>(result.epochs.size()) + 1; epoch <= config.epochs && !stopped;
       ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<std::size_t> shuffle =
        permutation(n_train, config.seed, 0xab1000u + static_cast<std::uint32_t>(epoch));
    std::vector<std::size_t> epoch_order(n_train);
    for (std::size_t i = 0; i < n_train; ++i) epoch_order[i] = train[shuffle[i]];
    double train_sum = 0;
    double lr = 0;
    for (std::size_t s = 0; s < steps_per_epoch; ++s, ++step) {
      const std::size_t begin = s * config.batch_size;
      const std::size_t count = std::min(config.batch_size, n_train - begin);
      gather(x, epoch_order, begin, count, jets, batch);
      lr = assign_learning_rate(config.learning_rate, step, total_steps);
      train_sum += engine.train_step(batch.data(), count, jets, config.loss, config.seed,
                                     static_cast<std::uint32_t>(step), config.dropout,
                                     config.clip_norm, optimizer, lr) *
                   static_cast<double>(count);
    }
    AssignEpoch rec;
    rec.epoch = epoch;
    rec.train_loss = train_sum / static_cast<double>(n_train);
    rec.validation_loss = validation_loss();
    rec.learning_rate = lr;
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.epochs.push_back(rec);
    if (progress) progress(rec);
    if (rec.validation_loss < best_val) {
      best_val = rec.validation_loss;
      best = engine.parameters();
      result.best_epoch = epoch;
      if (!config.best_model.empty()) {
        AssignModel snapshot = model;
        snapshot.parameters() = best;
        snapshot.save(config.best_model);
      }
      since_best = 0;
    } else {
      stopped = ++since_best >= config.patience;
    }
    // An early stop is the last epoch too.
    config.checkpoints.save_if_due(epoch, stopped ? epoch : config.epochs, checkpoint);
  }
  result.stopped_early = stopped && result.epochs.size() < static_cast<std::size_t>(config.epochs);
  result.steps = step;
  result.best_validation_loss = best_val;
  model.parameters() = best;
  return result;
}

}  // namespace hepcat
