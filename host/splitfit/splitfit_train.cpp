// Training a logistic score for Split-N-Fit: supervised pre-training by cross-entropy and
// fine-tuning on unlabelled events by the Split-N-Fit loss, with the engine's optimisers.
#include <cmath>
#include <cstdint>
#include <string>

#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/splitfit.hpp"
#include "hepcat/optim.hpp"
#include "hepcat/splitfit.hpp"
#include "host/engine/communicator_reduce.hpp"
#include "host/engine/reduce.hpp"

namespace hepcat {

namespace {

void check_features(const std::vector<std::vector<float>>& features, std::size_t n,
                    const char* what) {
  if (features.empty()) throw Error(std::string(what) + ": no feature columns");
  for (std::size_t j = 0; j < features.size(); ++j) {
    const auto& f = features[j];
    if (f.size() != n)
      throw Error(std::string(what) + ": feature columns and events differ in length (" +
                  std::to_string(f.size()) + " vs " + std::to_string(n) + ")");
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(f[i]))
        throw Error(std::string(what) + ": feature " + std::to_string(j) +
                    " has a non-finite value at event " + std::to_string(i));
  }
}

void check_finite(const std::vector<float>& values, const char* what, const char* name) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw Error(std::string(what) + ": " + name + " has a non-finite value at event " +
                  std::to_string(i));
}

void check_model(const LinearScore& m, std::size_t d, const char* what) {
  if (m.weights.size() != d || m.centre.size() != d || m.spread.size() != d)
    throw Error(std::string(what) + ": the score model has " + std::to_string(m.weights.size()) +
                " features, the events " + std::to_string(d));
}

// Gradient of sum_i c_i s_i in (weights, bias) for per-event coefficients c_i = dL/ds_i.
std::vector<float> parameter_gradient(const LinearScore& m,
                                      const std::vector<std::vector<float>>& x,
                                      const std::vector<double>& c) {
  const std::size_t d = x.size(), n = c.size();
  std::vector<float> g(d + 1);
  for (std::size_t j = 0; j < d; ++j) {
    const double s = cpu::sum_events(
        n, [&](std::size_t i) { return c[i] * (x[j][i] - m.centre[j]) / m.spread[j]; });
    g[j] = static_cast<float>(s);
  }
  g[d] = static_cast<float>(cpu::sum_events(n, [&](std::size_t i) { return c[i]; }));
  return g;
}

// One optimiser run: `loss_and_coefficients` returns the loss and fills dL/ds_i for the
// current model; the optimiser steps (weights, bias) on the context's backend.
template <class F>
std::vector<double> optimise(Context& ctx, LinearScore& m, const std::vector<std::vector<float>>& x,
                             const ScoreTraining& t, F&& loss_and_coefficients) {
  if (t.steps < 1) throw Error("training needs at least one step");
  const std::size_t d = m.weights.size();
  Optimizer opt(ctx, OptimizerConfig::parse(t.optimizer), d + 1);
  std::vector<float> host(d + 1);
  for (std::size_t j = 0; j < d; ++j) host[j] = static_cast<float>(m.weights[j]);
  host[d] = static_cast<float>(m.bias);
  std::vector<double> history, c;
  const auto set_model = [&] {
    for (std::size_t j = 0; j < d; ++j) m.weights[j] = host[j];
    m.bias = host[d];
  };
  Checkpoint saved;
  if (t.checkpoints.load(saved)) {
    if (saved.parameters.size() != d + 1 || saved.epoch > t.steps ||
        saved.history.size() != static_cast<std::size_t>(saved.epoch))
      throw Error("checkpoint '" + t.checkpoints.resume + "' (" +
                  std::to_string(saved.parameters.size()) + " parameters, " +
                  std::to_string(saved.epoch) + " steps) does not fit this score (" +
                  std::to_string(d + 1) + " parameters, " + std::to_string(t.steps) + " steps)");
    host = saved.parameters;
    set_model();
    opt.restore(saved.optimizer_state, saved.optimizer_steps);
    history = saved.history;
  }
  Buffer<float> params(ctx, host), grads(ctx, d + 1);
  for (int step = static_cast<int>(history.size()); step < t.steps; ++step) {
    history.push_back(loss_and_coefficients(c));
    if (t.progress) t.progress(step + 1, history.back());
    grads.upload(ctx, parameter_gradient(m, x, c));
    opt.step(params, grads, t.learning_rate);
    host = params.to_host(ctx);
    set_model();
    t.checkpoints.save_if_due(step + 1, t.steps, [&] {
      Checkpoint state;
      state.parameters = host;
      state.optimizer_steps = opt.steps();
      state.optimizer_state = opt.state();
      state.last_loss = {history.back()};
      state.history = history;
      return state;
    });
  }
  return history;
}

}  // namespace

LinearScore standardised_linear_score(const std::vector<std::vector<float>>& features) {
  if (features.empty() || features.front().empty())
    throw Error("score model: no features or no events");
  LinearScore m;
  // Under MPI the features are this rank's shard: the moments are those of all ranks' events.
  const double n = static_cast<double>(detail::rows_over_ranks(features.front().size()));
  for (const auto& f : features) {
    double moments[2];
    cpu::reduce_events(f.size(), 2, moments, [&](std::size_t i, double* p) {
      p[0] += f[i];
      p[1] += double(f[i]) * f[i];
    });
    const double mean = moments[0] / n, var = moments[1] / n - mean * mean;
    m.centre.push_back(mean);
    m.spread.push_back(var > 0 ? std::sqrt(var) : 1.0);
    m.weights.push_back(0.0);
  }
  return m;
}

std::vector<float> linear_scores(const LinearScore& m, const std::vector<std::vector<float>>& x) {
  const std::size_t n = x.empty() ? 0 : x.front().size();
  check_features(x, n, "linear_scores");
  check_model(m, x.size(), "linear_scores");
  std::vector<float> s(n);
  cpu::for_each_index(n, [&](std::size_t i) {
    double v = m.bias;
    for (std::size_t j = 0; j < x.size(); ++j)
      v += m.weights[j] * (x[j][i] - m.centre[j]) / m.spread[j];
    s[i] = static_cast<float>(v);
  });
  return s;
}

std::vector<double> train_supervised(Context& ctx, LinearScore& m,
                                     const std::vector<std::vector<float>>& x,
                                     const std::vector<float>& labels,
                                     const std::vector<float>& weights, const ScoreTraining& t) {
  const std::size_t n = labels.size();
  check_features(x, n, "train_supervised");
  check_model(m, x.size(), "train_supervised");
  if (!weights.empty() && weights.size() != n)
    throw Error("train_supervised: weights and labels differ in length");
  check_finite(weights, "train_supervised", "weight");
  for (std::size_t i = 0; i < n; ++i)
    if (labels[i] != 0.f && labels[i] != 1.f)
      throw Error("train_supervised: label of event " + std::to_string(i) + " is not 0 or 1");
  // Classes weighted to equal totals, so a rare signal is not ignored; the loss is the mean
  // weighted cross-entropy.
  double total[2];
  cpu::reduce_events(n, 2, total, [&](std::size_t i, double* p) {
    p[labels[i] > 0.5f] += weights.empty() ? 1.0 : weights[i];
  });
  if (!(total[0] > 0 && total[1] > 0))
    throw Error("train_supervised: both classes need positive total weight");
  return optimise(ctx, m, x, t, [&](std::vector<double>& c) {
    const std::vector<float> s = linear_scores(m, x);
    c.resize(n);
    return cpu::sum_events(n, [&](std::size_t i) {
      const int y = labels[i] > 0.5f;
      const double w = (weights.empty() ? 1.0 : weights[i]) / (2 * total[y]);
      const double p = math::sigmoid<double>(s[i]);
      // -log sigmoid(+-s) = softplus(-+s), computed without overflow
      const double z = y ? -s[i] : s[i];
      c[i] = w * (p - y);
      return w * (z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)));
    });
  });
}

std::vector<double> train_splitfit(Context& ctx, LinearScore& m,
                                   const std::vector<std::vector<float>>& x,
                                   const std::vector<float>& mass,
                                   const std::vector<float>& weights, const SplitFitConfig& config,
                                   const ScoreTraining& t) {
  check_features(x, mass.size(), "train_splitfit");
  check_model(m, x.size(), "train_splitfit");
  check_finite(mass, "train_splitfit", "mass");
  check_finite(weights, "train_splitfit", "weight");
  std::vector<float> grad;
  return optimise(ctx, m, x, t, [&](std::vector<double>& c) {
    const SplitFitResult r = splitfit_loss(ctx, config, mass, weights, linear_scores(m, x), &grad);
    c.assign(grad.begin(), grad.end());
    return r.loss;
  });
}

PseudoExperiments cut_significance(Context& ctx, const SplitFitConfig& config,
                                   const std::vector<float>& mass,
                                   const std::vector<float>& weights,
                                   const std::vector<float>& scores, int n_toys,
                                   std::uint64_t seed) {
  if (scores.size() != mass.size() || (!weights.empty() && weights.size() != mass.size()))
    throw Error("cut_significance: mass, weights and scores need one value per event");
  std::vector<double> pass(config.n_bins);
  const double inv_width = config.n_bins / (config.hi - config.lo);
  cpu::reduce_events(mass.size(), pass.size(), pass.data(), [&](std::size_t i, double* p) {
    if (!(scores[i] > 0)) return;
    const int b = math::fit_range_bin<double>(mass[i], config.lo, inv_width, config.n_bins);
    if (b >= 0) p[b] += weights.empty() ? 1.0 : weights[i];
  });
  return pseudo_experiments(ctx, config, {pass}, n_toys, seed);
}

}  // namespace hepcat
