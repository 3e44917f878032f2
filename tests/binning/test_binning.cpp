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
#include "host/binning/binning_step.hpp"
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
    ev.n = n;
    for (int j = 0; j < dim; ++j) ev.cols[j] = features.data() + static_cast<std::size_t>(j) * n;
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
  SECTION("d = 5 (beyond the dimensions compiled as constants)") {
    const std::vector<double> lo(5, -1.0), hi(5, 1.0);
    const auto model = BinningModel::gmm(3, 5, MeanParametrisation::box, lo, hi, 0.6);
    check_model_gradient(model, obj, make_events(300, 5, 4, -1.0, 1.0, 19),
                         random_raw(model, 0.5, 20), 1.0 / 0.8);
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

namespace {

// Uploads host events (double) as a float EventSet.
hepcat::EventSet upload(hepcat::Context& ctx, const HostEvents& e, int n_proc) {
  std::vector<std::vector<float>> f(e.dim, std::vector<float>(e.n));
  std::vector<std::string> names;
  for (int j = 0; j < e.dim; ++j) {
    names.push_back("f" + std::to_string(j));
    for (std::size_t i = 0; i < e.n; ++i) f[j][i] = static_cast<float>(e.features[j * e.n + i]);
  }
  std::vector<float> w(e.weights.begin(), e.weights.end());
  return hepcat::EventSet(ctx, names, f, w, e.process, n_proc);
}

std::vector<float> to_float(const std::vector<double>& v) {
  return {v.begin(), v.end()};
}

// 3000 events of three processes in two dimensions, a 4-component simplex GMM and signals 0 and
// 1 combined by the geometric mean: the setup of the training tests.
struct TrainingSetup {
  hepcat::EventSet events;
  BinningModel model = BinningModel::gmm(4, 2, MeanParametrisation::simplex, {}, {}, 0.2);
  BinningObjective objective =
      objective_with({0, 1}, SignalCombination::geometric_mean, 0, 0, 0, 0.1);
  TrainingSetup(hepcat::Context& ctx, unsigned seed)
      : events(upload(ctx, make_events(3000, 2, 3, 0.0, 0.5, seed), 3)) {}
};

// log N(x | mu, Sigma) by Gaussian elimination on Sigma itself: independent of the Cholesky
// path of the library.
double naive_log_normal(const std::vector<double>& x, const std::vector<double>& mu,
                        std::vector<double> cov) {
  const int d = static_cast<int>(x.size());
  std::vector<double> r(d);
  for (int a = 0; a < d; ++a) r[a] = x[a] - mu[a];
  std::vector<double> sol = r;
  double det = 1;
  for (int c = 0; c < d; ++c) {
    det *= cov[c * d + c];
    for (int a = c + 1; a < d; ++a) {
      const double f = cov[a * d + c] / cov[c * d + c];
      for (int b = c; b < d; ++b) cov[a * d + b] -= f * cov[c * d + b];
      sol[a] -= f * sol[c];
    }
  }
  for (int a = d - 1; a >= 0; --a) {
    for (int b = a + 1; b < d; ++b) sol[a] -= cov[a * d + b] * sol[b];
    sol[a] /= cov[a * d + a];
  }
  double q = 0;
  for (int a = 0; a < d; ++a) q += r[a] * sol[a];
  return -0.5 * (q + d * std::log(2 * M_PI) + std::log(det));
}

}  // namespace

TEST_CASE("GMM soft memberships equal softmax(log(pi N)/T) of the covariances it reports",
          "[binning]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const auto model =
      BinningModel::gmm(6, 3, MeanParametrisation::box, {-1, -1, -1}, {1, 1, 1}, 0.5);
  const std::vector<double> raw = random_raw(model, 0.6, 11);
  HostEvents e = make_events(3000, 3, 3, -1.5, 1.5, 12);
  const hepcat::EventSet events = upload(ctx, e, 3);
  hepcat::SoftBinning sb(ctx, events, {0, 1, 2}, model,
                         objective_with({0}, SignalCombination::geometric_mean, 0, 0, 0, 0.1));
  const hepcat::Buffer<float> params(ctx, to_float(raw));
  const double temperature = 0.4;
  const std::vector<float> gamma = sb.soft_memberships(params, 1.0 / temperature);
  // The reference uses the float-rounded parameters the backend sees.
  const std::vector<float> pf = to_float(raw);
  const auto comps = model.components(std::vector<double>(pf.begin(), pf.end()));
  const hepcat::BinSums hard = sb.hard_yields(params);
  std::vector<double> ref_hard(3 * 6, 0.0);
  for (std::size_t i = 0; i < e.n; ++i) {
    std::vector<double> x{double(float(e.features[i])), double(float(e.features[e.n + i])),
                          double(float(e.features[2 * e.n + i]))};
    std::vector<double> s(6);
    double m = -1e300;
    for (int k = 0; k < 6; ++k) {
      s[k] = naive_log_normal(x, comps[k].mean, comps[k].covariance) + std::log(comps[k].weight);
      m = std::max(m, s[k]);
    }
    double z = 0;
    for (int k = 0; k < 6; ++k) z += std::exp((s[k] - m) / temperature);
    int best = 0;
    for (int k = 0; k < 6; ++k) {
      // float evaluation of scores of size ~10: 1e-4 absolute on memberships
      CHECK(gamma[i * 6 + k] == Approx(std::exp((s[k] - m) / temperature) / z).margin(1e-4));
      if (s[k] > s[best]) best = k;
    }
    ref_hard[e.process[i] * 6 + best] += float(e.weights[i]);
  }
  for (int c = 0; c < 3 * 6; ++c) CHECK(hard.sum_w[c] == Approx(ref_hard[c]).margin(1e-3));
}

TEST_CASE("sigmoid soft memberships are differences of sigmoids at ordered boundaries",
          "[binning]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const auto model = BinningModel::sigmoid({4, 3}, {0.0, -1.0}, {1.0, 1.0});
  const std::vector<double> raw = random_raw(model, 0.5, 13);
  const std::vector<float> pf = to_float(raw);
  const auto b = model.boundaries(std::vector<double>(pf.begin(), pf.end()));
  for (const auto& var : b)
    for (std::size_t j = 1; j < var.size(); ++j) CHECK(var[j] > var[j - 1]);
  HostEvents e = make_events(2000, 2, 2, -1.2, 1.2, 14);
  const hepcat::EventSet events = upload(ctx, e, 2);
  hepcat::SoftBinning sb(ctx, events, {0, 1}, model,
                         objective_with({0}, SignalCombination::geometric_mean, 0, 0, 0, 0.1));
  const hepcat::Buffer<float> params(ctx, pf);
  const double k = 20.0;
  const std::vector<float> gamma = sb.soft_memberships(params, k);
  auto member = [&](double x, const std::vector<double>& bv, int j) {
    const double lo = j == 0 ? 1.0 : 1.0 / (1.0 + std::exp(-k * (x - bv[j - 1])));
    const double hi =
        j == static_cast<int>(bv.size()) ? 0.0 : 1.0 / (1.0 + std::exp(-k * (x - bv[j])));
    return lo - hi;
  };
  for (std::size_t i = 0; i < e.n; ++i) {
    double total = 0;
    for (int j0 = 0; j0 < 4; ++j0)
      for (int j1 = 0; j1 < 3; ++j1) {
        const double x0 = float(e.features[i]), x1 = float(e.features[e.n + i]);
        const double ref = member(x0, b[0], j0) * member(x1, b[1], j1);
        const float got = gamma[i * 12 + j0 * 3 + j1];
        total += got;
        // float sigmoids: 1e-5 absolute
        CHECK(got == Approx(ref).margin(1e-5));
      }
    CHECK(total == Approx(1.0).margin(1e-5));
  }
}

TEST_CASE("hard yields summed over bins equal each process's total weight", "[binning]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  HostEvents e = make_events(20011, 2, 5, -0.3, 1.3, 15);
  const hepcat::EventSet events = upload(ctx, e, 5);
  for (const auto& model : {BinningModel::gmm(7, 2, MeanParametrisation::simplex, {}, {}, 0.2),
                            BinningModel::sigmoid({3, 3}, {0.0, 0.0}, {1.0, 1.0})}) {
    hepcat::SoftBinning sb(ctx, events, {0, 1}, model,
                           objective_with({1, 3}, SignalCombination::geometric_mean, 0, 0, 0, 0.1));
    const hepcat::Buffer<float> params(ctx, to_float(random_raw(model, 0.7, 16)));
    const hepcat::BinSums y = sb.hard_yields(params);
    for (int p = 0; p < 5; ++p) {
      double total = 0, ref = 0, total2 = 0, ref2 = 0;
      for (int k = 0; k < y.n_bins; ++k) {
        total += y.sum_w[p * y.n_bins + k];
        total2 += y.sum_w2[p * y.n_bins + k];
      }
      for (std::size_t i = 0; i < e.n; ++i)
        if (e.process[i] == p) {
          ref += float(e.weights[i]);
          ref2 += double(float(e.weights[i])) * float(e.weights[i]);
        }
      INFO(model.name() << " process " << p);
      // every event lands in exactly one bin: equal up to the rounding of ~4000 float weights
      CHECK(total == Approx(ref).epsilon(1e-6).margin(1e-4));
      CHECK(total2 == Approx(ref2).epsilon(1e-6));
      CHECK(total == Approx(events.process_weight_sums()[p]).epsilon(1e-6).margin(1e-4));
    }
  }
}

TEST_CASE("the temperature of epoch t is the one its loss and gradient are computed with",
          "[binning]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const TrainingSetup setup(ctx, 17);
  const hepcat::EventSet& events = setup.events;
  const BinningModel& model = setup.model;
  const BinningObjective& obj = setup.objective;
  hepcat::BinningTrainingConfig cfg;
  cfg.epochs = 6;
  cfg.lr = hepcat::Schedule(0.0);  // frozen parameters: only the temperature changes
  cfg.temperature = hepcat::Schedule(hepcat::Schedule::Kind::cosine, 1.0, 0.05, 5);
  cfg.seed = 3;
  hepcat::BinningTrainer trainer(ctx, events, {0, 1}, model, obj, cfg);
  hepcat::SoftBinning reference(ctx, events, {0, 1}, model, obj);
  const hepcat::Buffer<float> params(ctx, model.initial_parameters(3));
  hepcat::Buffer<float> grads(ctx, model.n_params());
  for (int t = 0; t < cfg.epochs; ++t) {
    const auto& r = trainer.step();
    // T_t of the cosine schedule, written out independently
    const double temperature = 0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * t / 5.0));
    CHECK(r.temperature == Approx(temperature).epsilon(1e-12));
    const auto at_t = reference.step(params, 1.0 / temperature, &grads);
    const std::vector<float> g_ref = grads.to_host(ctx), g = trainer.last_gradient();
    // the same computation on the same backend: equal to float rounding
    CHECK(r.loss == Approx(at_t.loss).epsilon(1e-6));
    for (std::size_t i = 0; i < g.size(); ++i)
      CHECK(g[i] == Approx(g_ref[i]).epsilon(1e-5).margin(1e-7));
    if (t > 0) {
      // and not the one of the first epoch: the gradient at T_0 differs by far more than the
      // tolerance of the agreement above
      reference.step(params, 1.0, &grads);
      const std::vector<float> g0 = grads.to_host(ctx);
      double excess = 0;
      for (std::size_t i = 0; i < g.size(); ++i)
        excess = std::max(excess, std::abs(double(g[i]) - g0[i]) / (1e-5 * std::abs(g0[i]) + 1e-7));
      CHECK(excess > 10);
    }
  }
}

TEST_CASE("a binning training restored from its checkpoint ends as the uninterrupted one",
          "[binning][checkpoint]") {
  hepcat::Context ctx("cpu");
  const TrainingSetup s(ctx, 23);
  hepcat::BinningTrainingConfig cfg;
  cfg.epochs = 200;
  cfg.optimizer = hepcat::OptimizerConfig::parse("adam");
  // The steps shrink to nothing by epoch 20 at a fixed temperature: from then on the loss stays
  // put and the early stop comes `patience` epochs after its last improvement.
  cfg.lr = hepcat::Schedule(hepcat::Schedule::Kind::linear, 0.05, 0.0, 20);
  cfg.temperature = hepcat::Schedule(0.5);
  cfg.patience = 5;
  cfg.min_delta = 0;
  hepcat::BinningTrainer whole(ctx, s.events, {0, 1}, s.model, s.objective, cfg);
  whole.run();
  const std::size_t n = whole.history().size();
  // It stopped early, after the first epoch had set the best loss (the first `patience` epochs
  // alone do not stop it): the restored trainer must carry the early stop's state over.
  REQUIRE(n < 200);
  REQUIRE(n > static_cast<std::size_t>(cfg.patience) + 1);

  // Saved two epochs before the stop, restored into a new trainer and run to the end.
  hepcat::BinningTrainer first(ctx, s.events, {0, 1}, s.model, s.objective, cfg);
  for (std::size_t t = 0; t + 2 < n; ++t) first.step();
  hepcat::BinningTrainer resumed(ctx, s.events, {0, 1}, s.model, s.objective, cfg);
  resumed.restore(first.checkpoint());
  resumed.run();
  REQUIRE(resumed.history().size() == n);
  CHECK(resumed.parameters() == whole.parameters());
  for (std::size_t t = 0; t < n; ++t) {
    const hepcat::EpochRecord &a = resumed.history()[t], &b = whole.history()[t];
    CHECK(a.epoch == b.epoch);
    CHECK(a.lr == b.lr);
    CHECK(a.temperature == b.temperature);
    CHECK(a.loss == b.loss);
    CHECK(a.per_signal == b.per_signal);
  }
  // A checkpoint of another model is refused.
  hepcat::Checkpoint other = first.checkpoint();
  other.parameters.pop_back();
  CHECK_THROWS_WITH(resumed.restore(other), Catch::Contains("does not fit this model"));
}
