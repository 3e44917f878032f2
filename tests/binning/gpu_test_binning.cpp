// The CUDA soft-binning kernels against the CPU twin on the same events and parameters.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hepcat/binning.hpp"
#include "hepcat/context.hpp"
#include "hepcat/event_set.hpp"
#include "tests/gpu/grids.hpp"
#include "tests/gpu/sizes.hpp"

namespace {

struct Sample {
  std::vector<std::vector<float>> features;
  std::vector<float> weights;
  std::vector<std::int32_t> process;
};

Sample make_sample(std::size_t n, int dim, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 0.5f), w(-0.1f, 1.f);
  Sample s;
  s.features.assign(dim, std::vector<float>(n));
  for (auto& c : s.features)
    for (auto& x : c) x = u(rng);
  s.weights.resize(n);
  for (auto& x : s.weights) x = w(rng);
  s.process.resize(n);
  for (std::size_t i = 0; i < n; ++i) s.process[i] = static_cast<std::int32_t>(i % 5);
  return s;
}

std::vector<float> random_params(const hepcat::BinningModel& m, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 0.5f);
  std::vector<float> p(m.n_params());
  for (auto& x : p) x = g(rng);
  return p;
}

// A model, the features it reads and the signals of its objective. Pass 1 keeps 2 x groups x K
// cells per thread in shared memory while the table fits the shared budget (up to 320 cells)
// and scatters events in lane order into per-slice tables beyond it: these shapes have 128
// cells (a 64 KiB table, past the default 48 KiB), 384 and 640.
struct Shape {
  hepcat::BinningModel model;
  std::vector<int> features, signals;
};
std::vector<Shape> table_layout_shapes() {
  return {{hepcat::BinningModel::gmm(16, 3, hepcat::MeanParametrisation::box, {0, 0, 0},
                                     {0.5, 0.5, 0.5}, 0.1),
           {0, 1, 2},
           {0, 1, 2}},
          {hepcat::BinningModel::sigmoid({8, 8}, {0.0, 0.0}, {0.5, 0.5}), {0, 1}, {0, 1}},
          {hepcat::BinningModel::sigmoid({8, 8}, {0.0, 0.0}, {0.5, 0.5}), {0, 2}, {0, 1, 2, 3}}};
}

}  // namespace

TEST_CASE("CPU and GPU agree on soft memberships, per-bin sums, loss, gradients and hard yields",
          "[binning][gpu]") {
  // Not a multiple of a warp or block.
  const std::size_t n = hepcat::test::sized<std::size_t>(200003, 5003);
  const Sample s = make_sample(n, 2, 5);
  hepcat::BinningObjective obj;
  obj.signals = {0, 1};
  obj.settings.lambda_low = 0.01;
  obj.settings.background_min = 5000;
  obj.settings.lambda_unc = 1.0;
  obj.settings.max_rel_unc = 0.001;
  const auto gmm =
      hepcat::BinningModel::gmm(8, 2, hepcat::MeanParametrisation::simplex, {}, {}, 0.2);
  const auto sig = hepcat::BinningModel::sigmoid({4, 3}, {0.0, 0.0}, {0.5, 0.5});
  for (const auto& model : {gmm, sig}) {
    INFO(model.name());
    const double sharpness = model.is_gmm() ? 1.0 / 0.3 : 30.0;
    const std::vector<float> start = random_params(model, 6);
    struct Result {
      std::vector<float> gamma, grad;
      hepcat::BinningEvaluation eval;
      hepcat::BinSums hard;
    };
    auto run = [&](const std::string& device) {
      hepcat::Context ctx(device);
      hepcat::EventSet events(ctx, {"a", "b"}, s.features, s.weights, s.process);
      hepcat::SoftBinning sb(ctx, events, {0, 1}, model, obj);
      const hepcat::Buffer<float> params(ctx, start);
      hepcat::Buffer<float> grads(ctx, model.n_params());
      Result r;
      r.gamma = sb.soft_memberships(params, sharpness);
      r.eval = sb.step(params, sharpness, &grads);
      r.grad = grads.to_host(ctx);
      r.hard = sb.hard_yields(params);
      return r;
    };
    const Result cpu = run("cpu"), gpu = run("cuda");
    // Same float math on both sides; only the order of the sums and exp/log rounding differ.
    for (std::size_t i = 0; i < cpu.gamma.size(); ++i)
      REQUIRE(gpu.gamma[i] == Approx(cpu.gamma[i]).margin(1e-5));
    for (std::size_t c = 0; c < cpu.eval.sums.size(); ++c)
      CHECK(gpu.eval.sums[c] == Approx(cpu.eval.sums[c]).epsilon(1e-4).margin(1e-2));
    CHECK(gpu.eval.loss == Approx(cpu.eval.loss).epsilon(1e-4));
    CHECK(gpu.eval.combined == Approx(cpu.eval.combined).epsilon(1e-4));
    double scale = 0;
    for (float g : cpu.grad) scale = std::max(scale, double(std::abs(g)));
    for (std::size_t i = 0; i < cpu.grad.size(); ++i)
      CHECK(gpu.grad[i] == Approx(cpu.grad[i]).margin(1e-3 * scale));
    // Hard categories can differ only for events on a boundary to float rounding: compare totals
    // per bin with a tolerance of a few events' weight.
    for (std::size_t c = 0; c < cpu.hard.sum_w.size(); ++c)
      CHECK(gpu.hard.sum_w[c] == Approx(cpu.hard.sum_w[c]).margin(3.0));
  }
}

TEST_CASE("CPU and GPU per-bin sums agree for every shared-memory table layout of pass 1",
          "[binning][gpu]") {
  const std::size_t n = hepcat::test::sized<std::size_t>(100003, 3001);
  const Sample s = make_sample(n, 3, 11);
  for (const Shape& shape : table_layout_shapes()) {
    INFO(shape.model.name() << " with " << shape.model.n_bins() << " bins and "
                            << shape.signals.size() + 1 << " groups");
    hepcat::BinningObjective obj;
    obj.signals = shape.signals;
    const std::vector<float> start = random_params(shape.model, 12);
    const double sharpness = shape.model.is_gmm() ? 1.0 / 0.3 : 30.0;
    auto sums = [&](const std::string& device) {
      hepcat::Context ctx(device);
      hepcat::EventSet events(ctx, {"a", "b", "c"}, s.features, s.weights, s.process);
      hepcat::SoftBinning sb(ctx, events, shape.features, shape.model, obj);
      return sb.step(hepcat::Buffer<float>(ctx, start), sharpness, nullptr).sums;
    };
    const std::vector<double> cpu = sums("cpu"), gpu = sums("cuda");
    REQUIRE(gpu.size() == cpu.size());
    REQUIRE(cpu.size() == 2 * (shape.signals.size() + 1) * shape.model.n_bins());
    // Float sums of up to 4096 events per warp slice, in another order than the CPU's: 1e-4
    // relative, and a few events' weight near empty cells.
    for (std::size_t c = 0; c < cpu.size(); ++c)
      CHECK(gpu[c] == Approx(cpu[c]).epsilon(1e-4).margin(1e-2));
  }
}

TEST_CASE("soft-binning sums, gradients and hard yields on the GPU are the same bytes for any grid",
          "[binning][gpu]") {
  // Several chunks and a partial last one; the grid capped at 1 and 7 blocks and uncapped.
  const std::size_t n = hepcat::test::sized<std::size_t>(200003, 20011);
  const Sample s = make_sample(n, 3, 3);
  hepcat::Context ctx("cuda");
  const hepcat::EventSet events(ctx, {"a", "b", "c"}, s.features, s.weights, s.process);
  for (const Shape& shape : table_layout_shapes()) {
    INFO(shape.model.name() << " with " << shape.signals.size() + 1 << " groups");
    hepcat::BinningObjective obj;
    obj.signals = shape.signals;
    hepcat::SoftBinning sb(ctx, events, shape.features, shape.model, obj);
    const hepcat::Buffer<float> params(ctx, random_params(shape.model, 12));
    const double sharpness = shape.model.is_gmm() ? 1.0 / 0.3 : 30.0;
    hepcat::test::require_same_bytes_for_any_grid([&] {
      hepcat::Buffer<float> grads(ctx, shape.model.n_params());
      std::vector<double> v = sb.step(params, sharpness, &grads).sums;
      for (float x : grads.to_host(ctx)) v.push_back(x);
      const hepcat::BinSums hard = sb.hard_yields(params);
      v.insert(v.end(), hard.sum_w.begin(), hard.sum_w.end());
      v.insert(v.end(), hard.sum_w2.begin(), hard.sum_w2.end());
      return v;
    });
  }
}
