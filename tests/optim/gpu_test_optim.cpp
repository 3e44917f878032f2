#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "hepcat/buffer.hpp"
#include "hepcat/context.hpp"
#include "hepcat/optim.hpp"
#include "tests/gpu/sizes.hpp"

using hepcat::OptimizerConfig;
using hepcat::OptimizerKind;

namespace {

std::vector<OptimizerConfig> configurations() {
  std::vector<OptimizerConfig> out;
  OptimizerConfig c;
  c.kind = OptimizerKind::sgd;
  out.push_back(c);
  c.momentum = 0.9;
  c.nesterov = true;
  c.weight_decay = 1e-3;
  out.push_back(c);
  c = OptimizerConfig();
  out.push_back(c);  // Adam
  c.amsgrad = true;
  c.weight_decay = 1e-2;
  out.push_back(c);
  c = OptimizerConfig::parse("adamw");
  out.push_back(c);
  c = OptimizerConfig::parse("rmsprop");
  out.push_back(c);
  c.centered = true;
  c.momentum = 0.5;
  c.weight_decay = 1e-3;
  out.push_back(c);
  return out;
}

}  // namespace

TEST_CASE("CPU and CUDA optimisers give the same parameters after 100 steps", "[optim][gpu]") {
  hepcat::Context cpu("cpu"), gpu("cuda");
  const std::size_t n = hepcat::test::sized<std::size_t>(100003, 4099);
  const int steps = 100;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> unit(-1.f, 1.f);
  std::vector<float> p0(n);
  for (float& x : p0) x = 2.f * unit(rng);
  const hepcat::Schedule lr(hepcat::Schedule::Kind::cosine, 1e-2, 1e-4, steps);
  for (const OptimizerConfig& c : configurations()) {
    INFO(hepcat::to_string(c.kind)
         << " momentum " << c.momentum << " amsgrad " << c.amsgrad << " centered " << c.centered);
    hepcat::Optimizer cpu_opt(cpu, c, n), gpu_opt(gpu, c, n);
    hepcat::Buffer<float> cpu_p(cpu, p0), gpu_p(gpu, p0);
    hepcat::Buffer<float> cpu_g(cpu, n), gpu_g(gpu, n);
    std::vector<float> g(n);
    for (int t = 0; t < steps; ++t) {
      // A gradient that depends on the parameters (a quadratic bowl plus noise), as in training.
      const std::vector<float> p = cpu_p.to_host(cpu);
      for (std::size_t i = 0; i < n; ++i) g[i] = 0.5f * p[i] + 0.1f * unit(rng);
      cpu_g.upload(cpu, g);
      gpu_g.upload(gpu, g);
      cpu_opt.step(cpu_p, cpu_g, lr.at(t));
      gpu_opt.step(gpu_p, gpu_g, lr.at(t));
    }
    const std::vector<float> a = cpu_p.to_host(cpu), b = gpu_p.to_host(gpu);
    double worst = 0;
    for (std::size_t i = 0; i < n; ++i)
      worst = std::max(worst, std::abs(double(a[i]) - b[i]) / (std::abs(double(a[i])) + 1e-2));
    // Fused multiply-adds on the GPU round differently: a few ulp per step over 100 steps.
    CHECK(worst < 1e-4);
  }
}
