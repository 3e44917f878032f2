#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "hepcat/binning.hpp"
#include "hepcat/context.hpp"
#include "hepcat/event_set.hpp"
#include "hepcat/math/significance.hpp"
#include "hepcat/math/soft_binning.hpp"
#include "host/binning_step.hpp"
#include "tests/backends.hpp"

using hepcat::BinningModel;
using hepcat::BinningObjective;
using hepcat::MeanParametrisation;
using hepcat::SignalCombination;
using hepcat::test::test_devices;

namespace {

// Events on the host in double: features column-major, weights, processes.
struct HostEvents {
  std::size_t n = 0;
  int dim = 0;
  std::vector<double> features, weights;
  std::vector<std::int32_t> process;
  std::vector<int> groups;

  hepcat::math::SoftBinningEvents<double> view() const {
    hepcat::math::SoftBinningEvents<double> ev;
    ev.features = features.data();
    ev.n = n;
    for (int j = 0; j < dim; ++j) ev.cols[j] = j;
    ev.weights = weights.data();
    ev.process = process.data();
    ev.group = groups.data();
    return ev;
  }
};

// Features uniform in [lo, hi); a few negative weights, as NLO samples have.
HostEvents make_events(std::size_t n, int dim, int n_proc, double lo, double hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi), w(-0.2, 1.0);
  HostEvents e;
  e.n = n;
  e.dim = dim;
  e.features.resize(n * dim);
  for (auto& f : e.features) f = u(rng);
  e.weights.resize(n);
  for (auto& x : e.weights) x = w(rng);
  e.process.resize(n);
  for (std::size_t i = 0; i < n; ++i) e.process[i] = static_cast<std::int32_t>(i % n_proc);
  return e;
}

std::vector<double> random_raw(const BinningModel& m, double scale, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, scale);
  std::vector<double> raw(m.n_params());
  for (auto& r : raw) r = g(rng);
  return raw;
}

// Central differences of the loss against the analytic gradient of every parameter, reported
// per parameter block so a failure names the block.
void check_model_gradient(const BinningModel& model, const BinningObjective& obj, HostEvents ev,
                          const std::vector<double>& raw, double sharpness) {
  ev.groups = hepcat::detail::process_groups(obj, 4);
  std::vector<double> grad;
  hepcat::detail::soft_binning_step_cpu<double>(model, obj, ev.view(), raw, sharpness, &grad);
  auto loss = [&](const std::vector<double>& r) {
    return hepcat::detail::soft_binning_step_cpu<double>(model, obj, ev.view(), r, sharpness,
                                                         nullptr)
        .loss;
  };
  for (const auto& block : model.layout().blocks()) {
    for (std::size_t i = block.offset; i < block.offset + block.count; ++i) {
      const double h = 1e-6;
      std::vector<double> rp = raw, rm = raw;
      rp[i] += h;
      rm[i] -= h;
      const double fd = (loss(rp) - loss(rm)) / (2 * h);
      INFO("block " << block.name << " parameter " << i - block.offset);
      // Double precision, h = 1e-6: truncation and rounding both stay near 1e-8 relative.
      CHECK(grad[i] == Approx(fd).epsilon(1e-5).margin(1e-7));
    }
  }
}

BinningObjective objective_with(std::vector<int> signals, SignalCombination how, double lambda_low,
                                double b_min, double lambda_unc, double r) {
  BinningObjective o;
  o.signals = std::move(signals);
  o.settings.combination = how;
  o.settings.lambda_low = lambda_low;
  o.settings.background_min = b_min;
  o.settings.lambda_unc = lambda_unc;
  o.settings.max_rel_unc = r;
  return o;
}

}  // namespace

TEST_CASE("Asimov Z^2 equals the closed form in long double, series region included", "[binning]") {
  for (double b : {0.5, 3.0, 200.0}) {
    for (double x : {1e-4, 0.03, 0.0999, 0.1, 0.1001, 0.7, 5.0, 40.0}) {
      const double s = x * b;
      const long double sl = s, bl = b;
      const long double ref = 2.0L * ((sl + bl) * std::log1p(sl / bl) - sl);
      double ds, db;
      const double z2 = hepcat::math::asimov_z2(s, b, 1e-9, &ds, &db);
      INFO("S = " << s << " B = " << b);
      // Series to x^9 at x < 0.1: truncation below 1e-9 relative.
      CHECK(z2 == Approx(static_cast<double>(ref)).epsilon(1e-9));
      CHECK(ds == Approx(2 * std::log1p(x)).epsilon(1e-8));
      CHECK(db == Approx(2 * (std::log1p(x) - x)).epsilon(1e-7).margin(1e-14));
    }
  }
}

TEST_CASE("bins with non-positive background or signal give a finite loss and gradient",
          "[binning]") {
  // Stated behaviour: B is floored at 1e-9 (no B-gradient there), S <= 0 bins contribute
  // nothing, and P_unc ignores bins without positive background.
  const int nb = 5;
  // group 0 = signal, group 1 = background; moments w and w^2
  std::vector<double> sums(2 * 2 * nb, 0.0);
  const double s[nb] = {1.0, 2.0, 0.0, -1.0, 0.5};
  const double b[nb] = {0.0, -3.0, 0.0, 2.0, 4.0};
  const double v[nb] = {0.0, 1.0, 0.0, 0.5, 0.0};
  for (int k = 0; k < nb; ++k) {
    sums[hepcat::math::bin_sum_index(0, 0, k, nb)] = s[k];
    sums[hepcat::math::bin_sum_index(1, 0, k, nb)] = b[k];
    sums[hepcat::math::bin_sum_index(1, 1, k, nb)] = v[k];
  }
  for (auto how : {SignalCombination::geometric_mean, SignalCombination::quadrature,
                   SignalCombination::harmonic_mean, SignalCombination::minimum}) {
    const BinningObjective obj = objective_with({0}, how, 1.0, 5.0, 1.0, 0.1);
    std::vector<double> d;
    const auto e = hepcat::detail::objective_of_sums(sums, nb, obj, &d);
    CHECK(std::isfinite(e.loss));
    CHECK(std::isfinite(e.combined));
    for (double x : d) CHECK(std::isfinite(x));
    // Bins with S <= 0 carry no signal gradient; floored backgrounds no Z gradient in B.
    CHECK(d[hepcat::math::bin_sum_index(0, 0, 2, nb)] == 0.0);
    CHECK(d[hepcat::math::bin_sum_index(0, 0, 3, nb)] == 0.0);
  }
  // All bins empty: Z = 0 and a zero, not NaN, gradient.
  std::vector<double> zero(sums.size(), 0.0), d;
  const auto e = hepcat::detail::objective_of_sums(
      zero, nb, objective_with({0}, SignalCombination::geometric_mean, 0, 0, 0, 0.1), &d);
  CHECK(e.combined == 0.0);
  for (double x : d) CHECK(x == 0.0);
}

TEST_CASE("objective gradient in the per-bin sums matches finite differences for every term",
          "[binning]") {
  const int nb = 4, n_signals = 2;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> us(0.5, 5.0), ub(2.0, 30.0), uv(0.5, 20.0);
  std::vector<double> sums(2 * (n_signals + 1) * nb);
  for (int k = 0; k < nb; ++k) {
    for (int g = 0; g < n_signals; ++g) {
      sums[hepcat::math::bin_sum_index(g, 0, k, nb)] = us(rng);
      sums[hepcat::math::bin_sum_index(g, 1, k, nb)] = 0.1 * us(rng);
    }
    sums[hepcat::math::bin_sum_index(n_signals, 0, k, nb)] = ub(rng);
    sums[hepcat::math::bin_sum_index(n_signals, 1, k, nb)] = uv(rng);
  }
  struct Case {
    const char* name;
    BinningObjective obj;
  };
  // B_min = 15 and r = 0.15 make both penalties active in some bins and inactive in others.
  const std::vector<Case> cases{
      {"geometric", objective_with({0, 1}, SignalCombination::geometric_mean, 0, 0, 0, 0.1)},
      {"quadrature", objective_with({0, 1}, SignalCombination::quadrature, 0, 0, 0, 0.1)},
      {"harmonic", objective_with({0, 1}, SignalCombination::harmonic_mean, 0, 0, 0, 0.1)},
      {"minimum", objective_with({0, 1}, SignalCombination::minimum, 0, 0, 0, 0.1)},
      {"P_low", objective_with({0, 1}, SignalCombination::geometric_mean, 0.3, 15.0, 0, 0.1)},
      {"P_unc", objective_with({0, 1}, SignalCombination::geometric_mean, 0, 0, 2.0, 0.15)},
      {"single signal with both penalties",
       objective_with({0}, SignalCombination::geometric_mean, 0.3, 15.0, 2.0, 0.15)},
  };
  for (const auto& c : cases) {
    std::vector<double> s = sums;
    if (c.obj.signals.size() == 1) {
      // the second signal joins the background group
      s.erase(s.begin() + 2 * nb, s.begin() + 4 * nb);
      for (int k = 0; k < nb; ++k) {
        s[hepcat::math::bin_sum_index(1, 0, k, nb)] +=
            sums[hepcat::math::bin_sum_index(1, 0, k, nb)];
        s[hepcat::math::bin_sum_index(1, 1, k, nb)] +=
            sums[hepcat::math::bin_sum_index(1, 1, k, nb)];
      }
    }
    std::vector<double> d;
    const auto e = hepcat::detail::objective_of_sums(s, nb, c.obj, &d);
    if (std::string(c.name) == "P_low") CHECK(e.p_low > 0);
    if (std::string(c.name) == "P_unc") CHECK(e.p_unc > 0);
    for (std::size_t i = 0; i < s.size(); ++i) {
      const double h = 1e-6;
      std::vector<double> sp = s, sm = s;
      sp[i] += h;
      sm[i] -= h;
      const double fd = (hepcat::detail::objective_of_sums(sp, nb, c.obj, nullptr).loss -
                         hepcat::detail::objective_of_sums(sm, nb, c.obj, nullptr).loss) /
                        (2 * h);
      INFO(c.name << ": sum " << i);
      // Smooth away from the penalty kinks; double FD error ~1e-9.
      CHECK(d[i] == Approx(fd).epsilon(1e-6).margin(1e-8));
    }
  }
}

TEST_CASE("GMM gradient matches finite differences for means, Cholesky factors and weights",
          "[binning]") {
  const auto obj = objective_with({0, 1}, SignalCombination::geometric_mean, 0.05, 8.0, 0.5, 0.2);
  SECTION("box means, d = 3 (off-diagonal Cholesky entries)") {
    const auto model =
        BinningModel::gmm(4, 3, MeanParametrisation::box, {-1, -1, -1}, {1, 1, 1}, 0.4);
    check_model_gradient(model, obj, make_events(400, 3, 4, -1.2, 1.2, 1),
                         random_raw(model, 0.5, 2), 1.0 / 0.7);
  }
  SECTION("simplex means, d = 2") {
    const auto model = BinningModel::gmm(5, 2, MeanParametrisation::simplex, {}, {}, 0.2);
    check_model_gradient(model, obj, make_events(400, 2, 4, 0.0, 0.6, 3), random_raw(model, 0.5, 4),
                         1.0 / 0.3);
  }
  SECTION("one dimension, one signal, quadrature") {
    const auto one = objective_with({2}, SignalCombination::quadrature, 0.0, 0.0, 0.0, 0.2);
    const auto model = BinningModel::gmm(3, 1, MeanParametrisation::box, {0}, {1}, 0.1);
    check_model_gradient(model, one, make_events(300, 1, 4, 0.0, 1.0, 5), random_raw(model, 0.5, 6),
                         1.0 / 0.5);
  }
}

TEST_CASE("sigmoid gradient matches finite differences for the boundaries of each variable",
          "[binning]") {
  const auto obj = objective_with({0, 1}, SignalCombination::harmonic_mean, 0.05, 8.0, 0.5, 0.2);
  SECTION("one variable, 5 bins") {
    const auto model = BinningModel::sigmoid({5}, {0.0}, {1.0});
    check_model_gradient(model, obj, make_events(400, 1, 4, -0.1, 1.1, 7),
                         random_raw(model, 0.3, 8), 12.0);
  }
  SECTION("outer product of three variables") {
    const auto model = BinningModel::sigmoid({3, 2, 2}, {0.0, -1.0, 0.0}, {1.0, 1.0, 2.0});
    check_model_gradient(model, obj, make_events(400, 3, 4, -0.2, 1.5, 9),
                         random_raw(model, 0.3, 10), 6.0);
  }
}
