#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "hepcat/buffer.hpp"
#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/optim.hpp"
#include "hepcat/optim.hpp"
#include "host/optim/optim_step.hpp"
#include "tests/backends.hpp"

using Catch::Matchers::Contains;
using hepcat::OptimizerConfig;
using hepcat::OptimizerKind;
using hepcat::Schedule;
using hepcat::test::test_devices;

namespace {

// The fixed problem of tests/reference/optim_reference.py: 5 parameters, 20 steps, a gradient
// sequence and learning rates that are exact in float, so float buffers see the same inputs.
constexpr int kParams = 5;
constexpr int kSteps = 20;
const std::vector<double> kInitial{1.5, -2.0, 0.75, -1.25, 3.0};

double gradient(int t, int i) {
  return (((7 * t + 13 * i + 3) % 17) - 8) / 8.0 * (1.0 + i / 4.0);
}
double learning_rate(double base, int t) {
  return base * (1.0 - 0.02 * t);
}

struct TorchCase {
  std::string name;
  OptimizerConfig config;
  double base_lr;
  std::vector<double> expected;  // torch.optim in float64 after kSteps steps
};

OptimizerConfig config(OptimizerKind kind) {
  OptimizerConfig c;
  c.kind = kind;
  return c;
}

std::vector<TorchCase> torch_cases() {
  std::vector<TorchCase> cases;
  // Values printed by tests/reference/optim_reference.py (torch 1.13, float64).
  cases.push_back(
      {"sgd",
       config(OptimizerKind::sgd),
       0.05,
       {1.5606249999999995, -2.0634375000000005, 0.7490624999999997, -1.30096875, 3.07175}});
  OptimizerConfig sgd_momentum = config(OptimizerKind::sgd);
  sgd_momentum.momentum = 0.9;
  sgd_momentum.dampening = 0.1;
  sgd_momentum.weight_decay = 0.01;
  sgd_momentum.maximize = true;
  cases.push_back({"sgd momentum dampening weight decay maximize",
                   sgd_momentum,
                   0.05,
                   {1.1010266396987163, -1.6664082404278266, 0.829503608695165, -0.7985823500119231,
                    2.6391858735986222}});
  OptimizerConfig nesterov = config(OptimizerKind::sgd);
  nesterov.momentum = 0.9;
  nesterov.nesterov = true;
  nesterov.weight_decay = 0.01;
  cases.push_back({"sgd nesterov weight decay",
                   nesterov,
                   0.05,
                   {1.7958017348834743, -2.1658681651271796, 0.6315978520070894,
                    -1.6337341705004327, 3.119951307994143}});
  cases.push_back({"adam",
                   config(OptimizerKind::adam),
                   0.01,
                   {1.537308357220132, -2.0236826486740607, 0.7362729260505153, -1.274013203870152,
                    3.0203401824998797}});
  OptimizerConfig amsgrad = config(OptimizerKind::adam);
  amsgrad.beta1 = 0.8;
  amsgrad.beta2 = 0.99;
  amsgrad.weight_decay = 0.1;
  amsgrad.amsgrad = true;
  cases.push_back({"adam l2 amsgrad",
                   amsgrad,
                   0.01,
                   {1.4936532807759395, -1.9841544961288524, 0.7277761752981521,
                    -1.2417289672719178, 2.980366340014751}});
  OptimizerConfig adamw = config(OptimizerKind::adam);
  adamw.decoupled_weight_decay = true;
  adamw.weight_decay = 0.1;
  cases.push_back({"adamw",
                   adamw,
                   0.01,
                   {1.5127284551480347, -1.991212507382451, 0.7244215103131871, -1.2536358829151533,
                    2.971832780310303}});
  cases.push_back({"rmsprop",
                   config(OptimizerKind::rmsprop),
                   0.01,
                   {1.6296024797883477, -2.0835724935373454, 0.6898063203688959,
                    -1.3308347440096435, 3.083257440531875}});
  OptimizerConfig centered = config(OptimizerKind::rmsprop);
  centered.alpha = 0.9;
  centered.eps = 1e-6;
  centered.momentum = 0.5;
  centered.centered = true;
  centered.weight_decay = 0.05;
  cases.push_back({"rmsprop centered momentum weight decay",
                   centered,
                   0.01,
                   {1.5303116622003614, -2.006000763875198, 0.6947117907677756, -1.218985548125046,
                    3.002582263187181}});
  return cases;
}

std::vector<float> to_float(const std::vector<double>& x) {
  return {x.begin(), x.end()};
}

}  // namespace

TEST_CASE("optimiser steps reproduce torch.optim on a fixed gradient sequence", "[optim]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  for (const TorchCase& c : torch_cases()) {
    INFO(c.name << " on " << device);
    hepcat::Optimizer opt(ctx, c.config, kParams);
    hepcat::Buffer<float> params(ctx, to_float(kInitial));
    hepcat::Buffer<float> grads(ctx, kParams);
    for (int t = 0; t < kSteps; ++t) {
      std::vector<float> g(kParams);
      for (int i = 0; i < kParams; ++i) g[i] = static_cast<float>(gradient(t, i));
      grads.upload(ctx, g);
      opt.step(params, grads, learning_rate(c.base_lr, t));
    }
    CHECK(opt.steps() == kSteps);
    const std::vector<float> got = params.to_host(ctx);
    // Float state and parameters over 20 steps: about 20 roundings of half an ulp (6e-8) each.
    for (int i = 0; i < kParams; ++i) CHECK(got[i] == Approx(c.expected[i]).epsilon(1e-6));
  }
}

TEST_CASE("the shared update formulas in double match torch.optim to rounding", "[optim]") {
  for (const TorchCase& c : torch_cases()) {
    INFO(c.name);
    const OptimizerConfig& k = c.config;
    std::vector<double> p = kInitial, s0(kParams, 0), s1(kParams, 0), s2(kParams, 0);
    for (int t = 0; t < kSteps; ++t) {
      // The scalars and slots hepcat::Optimizer hands to the update, in double.
      const hepcat::math::StepScalars<double> s =
          hepcat::detail::step_scalars<double>(k, t, learning_rate(c.base_lr, t));
      const std::array<bool, 3> used = hepcat::detail::used_slots(k);
      double* slot0 = used[0] ? s0.data() : nullptr;
      double* slot1 = used[1] ? s1.data() : nullptr;
      double* slot2 = used[2] ? s2.data() : nullptr;
      std::vector<double> g(kParams);
      for (int i = 0; i < kParams; ++i) g[i] = gradient(t, i);
      for (int i = 0; i < kParams; ++i)
        hepcat::math::optimizer_update(s, i, p.data(), g.data(), slot0, slot1, slot2);
    }
    // Same operations in the same order as torch, in double: only rounding may differ.
    for (int i = 0; i < kParams; ++i) CHECK(p[i] == Approx(c.expected[i]).epsilon(1e-12));
  }
}

TEST_CASE("an optimiser step over millions of parameters equals the update done in double",
          "[optim]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const std::size_t n = 2000003;  // not a multiple of any block or vector width
  const int steps = 3;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> unit(-1.f, 1.f), p_size(0.5f, 2.f), g_size(0.25f, 1.f);
  const auto random_sign = [&] { return unit(rng) < 0 ? -1.f : 1.f; };
  std::vector<float> p0(n);
  for (float& x : p0) x = random_sign() * p_size(rng);
  // |g| >= 0.25 exceeds any weight decay term (at most 0.1 * 2), so g + wd p never nearly
  // cancels: that cancellation is ill-conditioned in float whatever the implementation.
  std::vector<std::vector<float>> g(steps, std::vector<float>(n));
  for (auto& gs : g)
    for (float& x : gs) x = random_sign() * g_size(rng);

  OptimizerConfig adam = config(OptimizerKind::adam);
  adam.weight_decay = 0.1;
  adam.amsgrad = true;
  OptimizerConfig rmsprop = config(OptimizerKind::rmsprop);
  rmsprop.centered = true;
  rmsprop.momentum = 0.5;
  rmsprop.weight_decay = 0.01;
  OptimizerConfig sgd = config(OptimizerKind::sgd);
  sgd.momentum = 0.9;
  sgd.nesterov = true;
  const double lr = 1e-3;

  for (const OptimizerConfig& c : {adam, rmsprop, sgd}) {
    INFO(hepcat::to_string(c.kind) << " on " << device);
    // Naive double reference, written from torch.optim's documented algorithms.
    std::vector<double> p(p0.begin(), p0.end()), a(n, 0), b(n, 0), m(n, 0);
    for (int t = 1; t <= steps; ++t) {
      for (std::size_t i = 0; i < n; ++i) {
        double gi = g[t - 1][i];
        if (c.kind == OptimizerKind::adam) {
          gi += c.weight_decay * p[i];
          a[i] = 0.9 * a[i] + 0.1 * gi;
          b[i] = 0.999 * b[i] + 0.001 * gi * gi;
          m[i] = std::max(m[i], b[i]);
          const double mhat = a[i] / (1 - std::pow(0.9, t));
          const double vhat = m[i] / (1 - std::pow(0.999, t));
          p[i] -= lr * mhat / (std::sqrt(vhat) + 1e-8);
        } else if (c.kind == OptimizerKind::rmsprop) {
          gi += c.weight_decay * p[i];
          a[i] = 0.99 * a[i] + 0.01 * gi * gi;
          m[i] = 0.99 * m[i] + 0.01 * gi;
          b[i] = 0.5 * b[i] + gi / (std::sqrt(a[i] - m[i] * m[i]) + 1e-8);
          p[i] -= lr * b[i];
        } else {
          a[i] = t == 1 ? gi : 0.9 * a[i] + gi;
          p[i] -= lr * (gi + 0.9 * a[i]);
        }
      }
    }
    hepcat::Optimizer opt(ctx, c, n);
    hepcat::Buffer<float> params(ctx, p0);
    hepcat::Buffer<float> grads(ctx, n);
    for (int t = 0; t < steps; ++t) {
      grads.upload(ctx, g[t]);
      opt.step(params, grads, lr);
    }
    const std::vector<float> got = params.to_host(ctx);
    std::size_t bad = 0;
    // |p| >= 0.5 - 3 updates of at most ~1e-2: float rounding stays near 1e-7 relative.
    for (std::size_t i = 0; i < n; ++i)
      if (std::abs(got[i] - p[i]) > 1e-6 * std::abs(p[i])) ++bad;
    CHECK(bad == 0);
  }
}

TEST_CASE("reset returns an optimiser to its freshly constructed state", "[optim]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  OptimizerConfig c = config(OptimizerKind::sgd);
  c.momentum = 0.9;
  hepcat::Optimizer opt(ctx, c, 3);
  const std::vector<float> start{1.f, 2.f, 3.f};
  const std::vector<float> g{0.5f, -1.f, 2.f};
  hepcat::Buffer<float> grads(ctx, g);
  hepcat::Buffer<float> params(ctx, start);
  opt.step(params, grads, 0.1);
  opt.step(params, grads, 0.1);
  const std::vector<float> two_steps = params.to_host(ctx);
  opt.reset();
  CHECK(opt.steps() == 0);
  params.upload(ctx, start);
  opt.step(params, grads, 0.1);
  opt.step(params, grads, 0.1);
  CHECK(params.to_host(ctx) == two_steps);
  // By hand: the buffer starts at g, then 0.9 g + g, so p = start - 0.1 (g + 1.9 g).
  for (int i = 0; i < 3; ++i) CHECK(two_steps[i] == Approx(start[i] - 0.29 * g[i]));
}

TEST_CASE("optimiser configuration and steps reject bad inputs with clear messages", "[optim]") {
  CHECK(OptimizerConfig::parse("sgd").kind == OptimizerKind::sgd);
  CHECK(OptimizerConfig::parse("rmsprop").alpha == 0.99);
  const OptimizerConfig adam = OptimizerConfig::parse("adam");
  CHECK(adam.kind == OptimizerKind::adam);
  CHECK(adam.eps == 1e-8);
  CHECK(!adam.decoupled_weight_decay);
  const OptimizerConfig adamw = OptimizerConfig::parse("adamw");
  CHECK(adamw.decoupled_weight_decay);
  CHECK(adamw.weight_decay == 0.01);
  CHECK_THROWS_WITH(OptimizerConfig::parse("lbfgs"), Contains("'lbfgs'") && Contains("rmsprop"));
  CHECK_THROWS_AS(OptimizerConfig::parse(""), hepcat::Error);

  hepcat::Context ctx("cpu");
  OptimizerConfig nesterov = config(OptimizerKind::sgd);
  nesterov.nesterov = true;
  CHECK_THROWS_WITH(hepcat::Optimizer(ctx, nesterov, 4), Contains("nesterov"));
  OptimizerConfig beta = config(OptimizerKind::adam);
  beta.beta2 = 1.0;
  CHECK_THROWS_WITH(hepcat::Optimizer(ctx, beta, 4), Contains("beta2"));
  OptimizerConfig decay = config(OptimizerKind::rmsprop);
  decay.weight_decay = -1;
  CHECK_THROWS_WITH(hepcat::Optimizer(ctx, decay, 4), Contains("weight_decay"));

  hepcat::Optimizer opt(ctx, config(OptimizerKind::adam), 4);
  hepcat::Buffer<float> params(ctx, 4), grads(ctx, 4), short_grads(ctx, 3);
  params.zero(ctx);
  grads.zero(ctx);
  CHECK_THROWS_WITH(opt.step(params, short_grads, 0.1), Contains("expected 4"));
  CHECK_THROWS_WITH(opt.step(params, grads, -0.1), Contains("learning rate"));
  CHECK_THROWS_WITH(opt.step(params, grads, std::nan("")), Contains("learning rate"));
  CHECK(opt.steps() == 0);
}

TEST_CASE("a parameter layout names contiguous blocks of one buffer", "[optim]") {
  hepcat::ParamLayout layout;
  CHECK(layout.add("boundaries", 4) == 0);
  CHECK(layout.add("means", 9) == 4);
  CHECK(layout.add("empty", 0) == 13);
  CHECK(layout.add("logits", 3) == 13);
  CHECK(layout.size() == 16);
  CHECK(layout.find("means").offset == 4);
  CHECK(layout.find("means").count == 9);
  CHECK(layout.contains("logits"));
  CHECK(!layout.contains("sigma"));
  CHECK(layout.blocks().size() == 4);
  CHECK_THROWS_WITH(layout.find("sigma"), Contains("'sigma'") && Contains("means"));
  CHECK_THROWS_WITH(layout.add("means", 2), Contains("already"));
  CHECK_THROWS_AS(layout.add("", 2), hepcat::Error);
}

TEST_CASE("schedules follow their closed forms and hold the end value after the last step",
          "[optim]") {
  const double pi = std::acos(-1.0);
  const Schedule cosine(Schedule::Kind::cosine, 0.1, 0.001, 100);
  CHECK(cosine.at(0) == Approx(0.1).epsilon(1e-14));
  CHECK(cosine.at(25) == Approx(0.001 + 0.099 * (1 + std::sqrt(0.5)) / 2).epsilon(1e-14));
  CHECK(cosine.at(50) == Approx(0.0505).epsilon(1e-14));
  CHECK(cosine.at(100) == Approx(0.001).epsilon(1e-14));
  CHECK(cosine.at(250) == Approx(0.001).epsilon(1e-14));
  CHECK(cosine.at(-3) == Approx(0.1).epsilon(1e-14));
  // Annealed steepness as in the published sigmoid examples: 50 -> 10000.
  const Schedule steep(Schedule::Kind::cosine, 50, 10000, 7);
  CHECK(steep.at(3) == Approx(10000 - 9950 * (1 + std::cos(3 * pi / 7)) / 2).epsilon(1e-14));

  const Schedule exponential(Schedule::Kind::exponential, 1.0, 0.01, 100);
  CHECK(exponential.at(25) == Approx(std::sqrt(0.1)).epsilon(1e-14));
  CHECK(exponential.at(50) == Approx(0.1).epsilon(1e-14));
  CHECK(exponential.at(100) == Approx(0.01).epsilon(1e-14));
  CHECK(exponential.at(1000) == Approx(0.01).epsilon(1e-14));

  const Schedule linear(Schedule::Kind::linear, 2, 4, 10);
  CHECK(linear.at(3) == Approx(2.6).epsilon(1e-14));
  CHECK(linear.at(10) == Approx(4).epsilon(1e-14));

  const Schedule constant(0.25);
  CHECK(constant.at(0) == 0.25);
  CHECK(constant.at(1000000) == 0.25);
}

TEST_CASE("schedules parse from text and reject malformed or invalid text", "[optim]") {
  const Schedule plain = Schedule::parse("0.01", 50);
  CHECK(plain.kind() == Schedule::Kind::constant);
  CHECK(plain.at(17) == 0.01);
  const Schedule cosine = Schedule::parse("cosine:0.1:0.001", 250);
  CHECK(cosine.kind() == Schedule::Kind::cosine);
  CHECK(cosine.steps() == 250);
  CHECK(cosine.at(125) == Approx(0.0505).epsilon(1e-14));
  CHECK(Schedule::parse("exponential:1:0.05", 10).at(10) == Approx(0.05).epsilon(1e-14));
  CHECK(Schedule::parse("linear:1e-3:0", 4).at(2) == Approx(5e-4).epsilon(1e-14));
  CHECK(Schedule::parse("constant:3", 4).at(2) == 3);
  // to_string reads back as the same schedule.
  const Schedule round = Schedule::parse(cosine.to_string(), 250);
  CHECK(round.kind() == cosine.kind());
  CHECK(round.start() == cosine.start());
  CHECK(round.end() == cosine.end());
  CHECK(Schedule::parse(Schedule(0.1).to_string(), 1).at(0) == 0.1);

  CHECK_THROWS_WITH(Schedule::parse("cosine:0.1", 10), Contains("cosine:START:END"));
  CHECK_THROWS_WITH(Schedule::parse("cosine:abc:0.1", 10), Contains("'abc' is not a number"));
  CHECK_THROWS_WITH(Schedule::parse("sigmoid:1:2", 10), Contains("unknown kind 'sigmoid'"));
  CHECK_THROWS_WITH(Schedule::parse("exponential:0:1", 10), Contains("positive"));
  CHECK_THROWS_WITH(Schedule::parse("exponential:1:-0.5", 10), Contains("positive"));
  CHECK_THROWS_WITH(Schedule::parse("cosine:0.1:0.001", 0), Contains("at least one step"));
  CHECK_THROWS_WITH(Schedule::parse("linear:inf:1", 10), Contains("finite"));
  CHECK_THROWS_WITH(Schedule::parse("", 10), Contains("not a number"));
  CHECK_THROWS_WITH(Schedule::parse("0.1x", 10), Contains("'0.1x'"));
  CHECK_THROWS_WITH(Schedule::parse("cosine:0.1:0.01:5", 10), Contains("cosine:START:END"));
  CHECK_THROWS_AS(Schedule(Schedule::Kind::exponential, -1, 1, 10), hepcat::Error);
}
