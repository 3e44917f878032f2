#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/cuts.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/cuts.hpp"
#include "hepcat/optim.hpp"
#include "tests/backends.hpp"
#include "tests/samples.hpp"

using hepcat::test::test_devices;
namespace hm = hepcat::math;

namespace {

using hepcat::test::gaussian_cut_sample;

// Central difference of a scalar function of one double.
template <class F>
double central(F f, double x, double h = 1e-6) {
  return (f(x + h) - f(x - h)) / (2 * h);
}

// The whole scan loss written out naively in double, from the parameters in CutScan's layout.
struct ReferenceScan {
  const hepcat::CutSample& s;
  hepcat::CutScanConfig cfg;
  int m, n_targets, n_cells;
  std::vector<double> mean, sd, dir;

  ReferenceScan(const hepcat::CutSample& sample, hepcat::CutScanConfig c)
      : s(sample), cfg(std::move(c)) {
    std::sort(cfg.targets.begin(), cfg.targets.end());
    m = static_cast<int>(s.features.size());
    n_targets = static_cast<int>(cfg.targets.size());
    n_cells = cfg.grid_edges.empty() ? 1 : static_cast<int>(cfg.grid_edges.size()) - 1;
    const std::size_t n = s.size();
    for (int k = 0; k < m; ++k) {
      double sx = 0, sxx = 0, ms = 0, ws = 0, mb = 0, wb = 0;
      for (std::size_t i = 0; i < n; ++i) {
        sx += s.features[k][i];
        sxx += double(s.features[k][i]) * s.features[k][i];
        const double w = s.weights.empty() ? 1.0 : s.weights[i];
        (s.signal[i] ? ms : mb) += w * s.features[k][i];
        (s.signal[i] ? ws : wb) += w;
      }
      mean.push_back(sx / n);
      sd.push_back(std::sqrt(sxx / n - mean.back() * mean.back()));
      dir.push_back(ms / ws > mb / wb ? 1.0 : -1.0);
    }
  }

  int cell(std::size_t i) const {
    if (cfg.grid_edges.empty()) return 0;
    int c = 0;
    for (std::size_t e = 1; e + 1 < cfg.grid_edges.size(); ++e)
      if (s.grid_values[i] >= cfg.grid_edges[e]) c = static_cast<int>(e);
    return c;
  }

  double loss(const std::vector<double>& p) const {
    const std::size_t cnt = static_cast<std::size_t>(n_cells) * n_targets * m;
    const auto weight = [&](std::size_t q) {
      return cfg.learn_directions ? p[cnt + q] : dir[q % m];
    };
    const auto cut = [&](std::size_t q) { return -p[q] / weight(q); };
    const auto& L = cfg.loss;
    double total = 0;
    for (int c = 0; c < n_cells; ++c)
      for (int j = 0; j < n_targets; ++j) {
        const std::size_t slot = static_cast<std::size_t>(c) * n_targets + j;
        double ys = 0, yb = 0, ws = 0, wb = 0, bce = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
          if (cell(i) != c) continue;
          double y = 1;
          for (int k = 0; k < m; ++k) {
            const double xs = (s.features[k][i] - mean[k]) / sd[k];
            y /= 1 + std::exp(-cfg.steepness * (weight(slot * m + k) * xs + p[slot * m + k]));
          }
          const double w = s.weights.empty() ? 1.0 : s.weights[i];
          (s.signal[i] ? ys : yb) += w * y;
          (s.signal[i] ? ws : wb) += w;
          bce -= w * (s.signal[i] ? std::log(y) : std::log(1 - y));
        }
        const double t = cfg.targets[j];
        total +=
            L.alpha * (t - ys / ws) * (t - ys / ws) + L.beta * yb / wb + L.delta * bce / (ws + wb);
        for (int k = 0; k < m; ++k) total += L.gamma / m * cut(slot * m + k) * cut(slot * m + k);
      }
    const auto smooth = [&](int count, auto slot_at) {
      if (count < 3) return 0.0;
      double sum = 0;
      for (int i = 1; i + 1 < count; ++i)
        for (int k = 0; k < m; ++k) {
          const double c0 = cut(slot_at(i) * m + k), cp = cut(slot_at(i + 1) * m + k),
                       cm = cut(slot_at(i - 1) * m + k);
          sum += std::pow(c0 - (cp + cm) / 2, 2) / (std::pow(cp - cm, 2) + L.rho);
        }
      return L.epsilon * sum / ((count - 2) * m);
    };
    for (int c = 0; c < n_cells; ++c)
      total += smooth(n_targets, [&](int j) { return std::size_t(c) * n_targets + j; });
    for (int j = 0; j < n_targets; ++j)
      total += smooth(n_cells, [&](int c) { return std::size_t(c) * n_targets + j; });
    return total;
  }
};

}  // namespace

TEST_CASE("cut loss term derivatives equal central finite differences in double", "[cuts]") {
  const double t = 0.7, es = 0.55, eb = 0.03, alpha = 10, beta = 0.1;
  CHECK(hm::efficiency_loss_d_signal(t, es, alpha) ==
        Approx(central([&](double v) { return hm::efficiency_loss(t, v, eb, alpha, beta); }, es)));
  CHECK(hm::efficiency_loss_d_background(beta) ==
        Approx(central([&](double v) { return hm::efficiency_loss(t, es, v, alpha, beta); }, eb)));
  CHECK(hm::cut_size_loss_d_cut(1.3, 1e-2, 7) ==
        Approx(central([](double v) { return hm::cut_size_loss(v, 1e-2, 7); }, 1.3)));
  CHECK(hm::cut_value_d_bias(-0.8) ==
        Approx(central([](double v) { return hm::cut_value(v, -0.8); }, 0.4)));
  CHECK(hm::cut_value_d_weight(0.4, -0.8) ==
        Approx(central([](double v) { return hm::cut_value(0.4, v); }, -0.8)));
  for (const bool sig : {true, false})
    for (const double y : {0.02, 0.4, 0.97})
      // y dBCE/dy: the chain-rule factor the fused pass accumulates.
      CHECK(hm::bce_score_coefficient(y, sig) ==
            Approx(y * central([&](double v) { return hm::bce(v, sig); }, y)).epsilon(1e-6));
  const double rho = 0.1;
  const double c = 0.3, cp = 1.1, cm = -0.4;
  double dc, dp, dm;
  hm::smoothness_gradient(c, cp, cm, rho, &dc, &dp, &dm);
  CHECK(dc == Approx(central([&](double v) { return hm::smoothness(v, cp, cm, rho); }, c)));
  CHECK(dp == Approx(central([&](double v) { return hm::smoothness(c, v, cm, rho); }, cp)));
  CHECK(dm == Approx(central([&](double v) { return hm::smoothness(c, cp, v, rho); }, cm)));
  // Midway between the neighbours the penalty and its pull vanish.
  CHECK(hm::smoothness(0.35, cp, cm, rho) == Approx(0.0).margin(1e-15));
}

TEST_CASE("cut scan loss and gradient equal a naive double loss and its finite differences",
          "[cuts]") {
  const std::string device = GENERATE(from_range(test_devices()));
  const bool learned = GENERATE(false, true);
  const bool grid = GENERATE(false, true);
  hepcat::Context ctx(device);
  const int m = 3;
  const hepcat::CutSample s = gaussian_cut_sample(3000, m, 11, true, grid ? 3.f : 0.f);
  hepcat::CutScanConfig cfg;
  cfg.targets = {0.8, 0.3, 0.5, 0.65};  // unsorted on purpose: neighbours are by target value
  cfg.learn_directions = learned;
  cfg.steepness = 3;  // soft enough that every event contributes to the gradient
  cfg.loss.gamma = 0.05;
  cfg.loss.delta = 0.2;
  cfg.loss.epsilon = 2;
  if (grid) cfg.grid_edges = {0.0, 1.0, 2.0, 3.0};
  hepcat::CutScan scan(ctx, cfg, s);
  const ReferenceScan ref(s, cfg);

  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.f, 0.4f);
  std::vector<float> p(scan.layout().size());
  const std::size_t cnt = p.size() / (learned ? 2 : 1);
  for (std::size_t q = 0; q < p.size(); ++q)
    p[q] = q < cnt ? g(rng) : static_cast<float>(ref.dir[q % m] * (1.0 + 0.3 * g(rng)));
  scan.params().upload(ctx, p);
  const hepcat::CutLossTerms terms = scan.compute_gradient();
  const std::vector<float> grad = scan.grads().to_host(ctx);
  std::vector<double> pd(p.begin(), p.end());
  // The pass accumulates 64-event chunks in float: relative 1e-5 of the loss.
  CHECK(terms.total() == Approx(ref.loss(pd)).epsilon(1e-5));
  double scale = 0;
  for (float v : grad) scale = std::max(scale, double(std::fabs(v)));
  for (std::size_t q = 0; q < p.size(); ++q) {
    const double fd = central(
        [&](double v) {
          std::vector<double> x = pd;
          x[q] = v;
          return ref.loss(x);
        },
        pd[q], 1e-5);
    // Float sums in the pass: 1e-4 of the largest gradient component.
    CHECK(grad[q] == Approx(fd).margin(1e-4 * scale));
  }
}

TEST_CASE("hard-cut efficiencies equal a naive count with the reported cuts", "[cuts]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const int m = 4;
  const hepcat::CutSample train = gaussian_cut_sample(4000, m, 5, true, 3.f);
  const hepcat::CutSample test = gaussian_cut_sample(2000, m, 6, true, 3.f);
  hepcat::CutScanConfig cfg;
  cfg.targets = {0.4, 0.6, 0.8};
  cfg.directions = {0, -1, 1, 0};
  cfg.grid_edges = {0.0, 1.5, 3.0};
  hepcat::CutScan scan(ctx, cfg, train);
  scan.train(30, hepcat::OptimizerConfig::parse("sgd"), hepcat::Schedule(0.5));
  const auto cuts = scan.cuts();
  const hepcat::CutEfficiencies eff = scan.evaluate(test);
  REQUIRE(cuts.size() == 6);
  CHECK(cuts[0].directions[1] == -1);
  CHECK(cuts[0].directions[2] == 1);
  for (std::size_t slot = 0; slot < cuts.size(); ++slot) {
    double ps = 0, pb = 0, ws = 0, wb = 0;
    int near_edge = 0;
    for (std::size_t i = 0; i < test.size(); ++i) {
      if ((test.grid_values[i] >= 1.5) != (cuts[slot].cell == 1)) continue;
      bool pass = true;
      for (int k = 0; k < m; ++k) {
        const double d = (test.features[k][i] - cuts[slot].cuts[k]) * cuts[slot].directions[k];
        pass = pass && d > 0;
        if (std::fabs(d) < 1e-4) ++near_edge;
      }
      const double w = test.weights[i];
      (test.signal[i] ? ws : wb) += w;
      if (pass) (test.signal[i] ? ps : pb) += w;
    }
    // Events within float rounding of a cut may fall either way: allow each one's weight (<= 1.5).
    CHECK(eff.sig_eff[slot] == Approx(ps / ws).margin(1.5 * near_edge / ws + 1e-12));
    CHECK(eff.bkg_eff[slot] == Approx(pb / wb).margin(1.5 * near_edge / wb + 1e-12));
  }
}

TEST_CASE("hard-cut AUC integrates the closed ROC polygon", "[cuts]") {
  // One point (0.2, 0.6): triangles and trapezoids add to 0.5 + 0.5 * (0.6 - 0.2) = 0.7.
  CHECK(hepcat::hard_cut_auc({0.6}, {0.2}) == Approx(0.7));
  CHECK(hepcat::hard_cut_auc({}, {}) == Approx(0.5));
  CHECK(hepcat::hard_cut_auc({1.0}, {0.0}) == Approx(1.0));
}

TEST_CASE("a cut scan over more features than the backends support fails alike on each", "[cuts]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  hepcat::CutScanConfig cfg;
  cfg.targets = {0.5};
  CHECK_NOTHROW(hepcat::CutScan(ctx, cfg, gaussian_cut_sample(200, 32, 1, false)));
  CHECK_THROWS_WITH(hepcat::CutScan(ctx, cfg, gaussian_cut_sample(200, 33, 1, false)),
                    "cut scan: 33 features, at most 32 supported");
}

TEST_CASE("cut scan rejects invalid settings and samples", "[cuts]") {
  hepcat::Context ctx("cpu");
  const hepcat::CutSample s = gaussian_cut_sample(100, 2, 1, false);
  const auto make = [&](hepcat::CutScanConfig cfg) { hepcat::CutScan scan(ctx, cfg, s); };
  hepcat::CutScanConfig ok;
  ok.targets = {0.5};
  CHECK_NOTHROW(make(ok));
  auto bad = ok;
  bad.targets = {1.0};
  CHECK_THROWS_AS(make(bad), hepcat::Error);
  bad = ok;
  bad.targets = {0.5, 0.5};
  CHECK_THROWS_AS(make(bad), hepcat::Error);
  bad = ok;
  bad.directions = {1};
  CHECK_THROWS_AS(make(bad), hepcat::Error);
  bad = ok;
  bad.grid_edges = {1.0, 0.0};
  CHECK_THROWS_AS(make(bad), hepcat::Error);
  hepcat::CutSample only_signal = s;
  std::fill(only_signal.signal.begin(), only_signal.signal.end(), 1);
  CHECK_THROWS_AS(hepcat::CutScan(ctx, ok, only_signal), hepcat::Error);
}

namespace {

// The fixture's CSV: a header, then numbers; the last column is the label.
hepcat::CutSample read_fixture_csv(const std::string& path) {
  std::ifstream in(path);
  INFO("fixture " << path
                  << " (the reference fixtures; configure with -DHEPCAT_FIXTURES_DIR=<path to "
                     "shared/fixtures>)");
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);
  const int columns = static_cast<int>(std::count(line.begin(), line.end(), ',')) + 1;
  hepcat::CutSample s;
  s.features.resize(columns - 1);
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string cell;
    for (int c = 0; c < columns; ++c) {
      std::getline(row, cell, ',');
      if (c + 1 < columns)
        s.features[c].push_back(std::stof(cell));
      else
        s.signal.push_back(std::stof(cell) > 0.5f ? 1 : 0);
    }
  }
  return s;
}

}  // namespace

TEST_CASE("efficiency scan on the CABIN fixture reaches each target and matches its background",
          "[cuts][fixture]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const std::string dir = std::string(HEPCAT_FIXTURES_DIR) + "/cuts/";
  const hepcat::CutSample all = read_fixture_csv(dir + "toy_seed3.csv");
  nlohmann::json published;
  std::ifstream published_file(dir + "cabin_seed3.json");
  INFO("fixture " << dir
                  << "cabin_seed3.json (the reference fixtures; configure with "
                     "-DHEPCAT_FIXTURES_DIR=<path to shared/fixtures>)");
  REQUIRE(published_file.good());
  published_file >> published;
  const std::size_t n_train = published.at("n_train").get<std::size_t>();
  REQUIRE(n_train == all.size() * 8 / 10);
  hepcat::CutScanConfig cfg;  // published settings: default loss weights, steepness 15, auto
  for (const auto& r : published.at("results")) cfg.targets.push_back(r.at("target"));
  hepcat::CutScan scan(ctx, cfg, all.slice(0, n_train));
  scan.train(published.at("epochs").get<int>(), hepcat::OptimizerConfig::parse("sgd"),
             hepcat::Schedule(0.5));
  const hepcat::CutEfficiencies test = scan.evaluate(all.slice(n_train, all.size()));
  const auto cuts = scan.cuts();
  for (std::size_t j = 0; j < cuts.size(); ++j) {
    const auto& r = published.at("results")[j];
    INFO("target " << cuts[j].target);
    REQUIRE(cuts[j].target == Approx(r.at("target").get<double>()));
    CHECK(std::fabs(test.sig_eff[j] - cuts[j].target) <= 0.02);
    CHECK(test.bkg_eff[j] <= r.at("bkg_eff").get<double>() + 0.005);
    CHECK(cuts[j].directions == r.at("direction").get<std::vector<int>>());
    // Same loss, same float SGD steps as the published run: each cut within 1e-3 of it (relative
    // for cuts beyond 1 in size); rounding differences between the two float codes stay far below.
    for (int k = 0; k < scan.n_features(); ++k) {
      const double theirs = r.at("cuts")[k].get<double>();
      CHECK(cuts[j].cuts[k] == Approx(theirs).margin(1e-3 * std::max(1.0, std::fabs(theirs))));
    }
  }
  // The smoothness term's purpose: cuts move one way as the target rises. It holds for every
  // feature where it holds in the published result (all but f1, a weak feature whose published
  // cuts turn around near t = 0.5).
  const auto monotonic = [](const std::vector<double>& v) {
    int rising = 0, falling = 0;
    for (std::size_t j = 1; j < v.size(); ++j) (v[j] >= v[j - 1] ? rising : falling)++;
    return rising == 0 || falling == 0;
  };
  for (int k = 0; k < scan.n_features(); ++k) {
    std::vector<double> ours, theirs;
    for (std::size_t j = 0; j < cuts.size(); ++j) {
      ours.push_back(cuts[j].cuts[k]);
      theirs.push_back(published.at("results")[j].at("cuts")[k].get<double>());
    }
    INFO("feature " << k);
    if (monotonic(theirs)) CHECK(monotonic(ours));
  }
}

TEST_CASE("float exp and log approximations stay within a few ulps of double exp and log",
          "[cuts][math]") {
  double worst_exp = 0, worst_log = 0;
  for (double x = -87.0; x <= 88.0; x += 0.0137) {
    const float xf = static_cast<float>(x);
    const double e = std::exp(double(xf));
    worst_exp = std::max(worst_exp, std::fabs(hm::exp_approx(xf) - e) / e);
  }
  for (double lx = -37.0; lx <= 37.0; lx += 0.0011) {
    const float xf = static_cast<float>(std::pow(10.0, lx));
    const double l = std::log(double(xf));
    worst_log =
        std::max(worst_log, std::fabs(hm::log_approx(xf) - l) / std::max(1.0, std::fabs(l)));
  }
  // Float has 6e-8 relative resolution; a few roundings in the polynomial give < 5e-7.
  CHECK(worst_exp < 5e-7);
  CHECK(worst_log < 5e-7);
}

#ifdef HEPCAT_CLI
TEST_CASE("hepcat cuts writes per-target cuts, train/test efficiencies and the AUC",
          "[cuts][cli]") {
  const std::string dir = HEPCAT_TEST_TMP;
  const std::string csv = dir + "/cuts_cli.csv", out = dir + "/cuts_cli.json",
                    png = dir + "/cuts_cli.png";
  const hepcat::CutSample s = gaussian_cut_sample(2000, 3, 21, true, 3.f);
  {
    std::ofstream f(csv);
    f << "a,b,c,w,proc,pt\n";
    for (std::size_t i = 0; i < s.size(); ++i)
      f << s.features[0][i] << "," << s.features[1][i] << "," << s.features[2][i] << ","
        << s.weights[i] << "," << (s.signal[i] ? 2 : i % 2) << "," << s.grid_values[i] << "\n";
  }
  std::remove(out.c_str());
  std::remove(png.c_str());
  const std::string cmd = std::string(HEPCAT_CLI) + " cuts --input " + csv +
                          " --features a,b,c --process proc --signals 2 --weight w"
                          " --targets 0.5,0.3,0.7 --epochs 20 --directions +,-,auto"
                          " --grid-variable pt --grid-edges 0,1.5,3 --device cpu --out " +
                          out + " --plot " + png + " > /dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  nlohmann::json j;
  std::ifstream(out) >> j;
  REQUIRE(j.at("results").size() == 6);  // 2 grid cells x 3 targets
  const auto& r = j.at("results")[0];
  CHECK(r.at("target").get<double>() == Approx(0.3));  // reported in increasing target order
  CHECK(r.at("directions").get<std::vector<int>>()[0] == 1);
  CHECK(r.at("directions").get<std::vector<int>>()[1] == -1);
  CHECK(r.at("cuts").size() == 3);
  for (const char* sample : {"train", "test"}) {
    const double se = r.at(sample).at("sig_eff"), be = r.at(sample).at("bkg_eff");
    CHECK((se >= 0 && se <= 1 && be >= 0 && be <= 1.5));  // negative weights may push past 1
  }
  CHECK(j.at("per_target").size() == 3);
  CHECK((j.at("auc").get<double>() > 0.5 && j.at("auc").get<double>() <= 1.0));
  CHECK(j.at("seconds").get<double>() > 0);
  CHECK(j.at("device").get<std::string>().rfind("cpu", 0) == 0);
  CHECK(std::ifstream(png).good());  // scripts/setup installs matplotlib for the plot script
  // A bad option is one error line and a non-zero exit, and leaves no output behind.
  std::remove(out.c_str());
  const std::string bad = std::string(HEPCAT_CLI) + " cuts --input " + csv +
                          " --process proc --signals 2 --targets 1.5 --device cpu --out " + out +
                          " 2> /dev/null";
  CHECK(std::system(bad.c_str()) != 0);
  CHECK(!std::ifstream(out).good());
}
#endif
