// The CUDA kernel's layout of a fit (a tile of N lanes, each carrying one free parameter's
// derivatives, the system in a shared workspace factored by lane 0) run on the CPU: each lane is
// a std::thread, a shuffle and a sync are barriers. It must give what one thread per fit gives,
// bit for bit: every entry is the same sum over the bins in the same order.
#include <catch2/catch.hpp>

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>
#include <type_traits>
#include <vector>

#include "hepcat/fit.hpp"
#include "hepcat/math/lm.hpp"
#include "hepcat/splitfit.hpp"
#include "host/fit/fit_backend.hpp"

namespace m = hepcat::math;

namespace {

// What the G lanes of one emulated tile share: a barrier and one shuffle slot per lane.
template <int G>
struct Tile {
  std::mutex mutex;
  std::condition_variable cv;
  int waiting = 0;
  long generation = 0;
  double slot[G] = {};

  void barrier() {
    std::unique_lock<std::mutex> lock(mutex);
    const long gen = generation;
    if (++waiting == G) {
      waiting = 0;
      ++generation;
      cv.notify_all();
    } else {
      cv.wait(lock, [&] { return generation != gen; });
    }
  }
};

// The lanes interface of math::SerialLanes over an emulated tile.
template <int G>
struct ThreadLanes {
  static constexpr int kSize = G;
  Tile<G>* tile;
  int lane;
  int rank() const { return lane; }
  template <class T>
  T shfl(T x, int from) const {
    static_assert(std::is_same_v<T, double>, "the fit shuffles doubles");
    tile->slot[lane] = x;
    tile->barrier();
    const T r = tile->slot[from];
    tile->barrier();
    return r;
  }
  void sync() const { tile->barrier(); }
};

struct Outputs {
  std::vector<double> params, errors, objective, covariance, edm, minos, significance;
  std::vector<int> state, iterations, evaluations, valid, at_limit;

  Outputs(std::size_t n, int np, int n_minos, const std::vector<double>& initial)
      : params(initial),
        errors(n * np),
        objective(n),
        covariance(n * np * np),
        edm(n),
        minos(n * n_minos * 2),
        significance(n),
        state(n),
        iterations(n),
        evaluations(n),
        valid(n),
        at_limit(n) {}

  m::FitOutputs<double> view() {
    return {params.data(),     errors.data(),     objective.data(), state.data(),
            iterations.data(), covariance.data(), edm.data(),       evaluations.data(),
            valid.data(),      at_limit.data(),   minos.data(),     significance.data()};
  }
};

// NaN where the other is NaN too, else the same bits.
void check_same(const char* what, const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(what << " entry " << i);
    if (std::isnan(a[i]))
      CHECK(std::isnan(b[i]));
    else
      CHECK(a[i] == b[i]);
  }
}

// Fits every histogram with one thread per fit and with a tile of N emulated lanes; returns the
// first's outputs.
template <int N>
Outputs compare_layouts(const hepcat::FitConfig& config, const std::vector<double>& h,
                        const std::vector<double>& initial) {
  m::FitProblem<double> P = hepcat::detail::make_fit_problem(config);
  REQUIRE(m::dual_width(P.n_free) == N);
  // FitProblem takes the templates normalised to unit sum (and the variances over the squared
  // sums), which is how the tests give them.
  if (!config.templates.empty()) P.template_fractions = config.templates.data();
  if (!config.template_variances.empty()) P.template_variances = config.template_variances.data();
  const std::size_t n = h.size() / P.n_bins;
  Outputs one(n, P.n_params, P.n_minos, initial), tile(n, P.n_params, P.n_minos, initial);
  const m::SerialLanes serial;
  m::FitWorkspace<double, N> w;
  const m::FitOutputs<double> o1 = one.view(), o2 = tile.view();
  const double* no_variances = nullptr;
  for (std::size_t i = 0; i < n; ++i)
    m::fit_one<N>(serial, w, P, config.edges.data(), h.data(), no_variances, o1, i);
  for (std::size_t i = 0; i < n; ++i) {
    Tile<N> shared;
    std::vector<std::thread> lanes;
    for (int r = 0; r < N; ++r)
      lanes.emplace_back([&, r] {
        const ThreadLanes<N> l{&shared, r};
        m::fit_one<N>(l, w, P, config.edges.data(), h.data(), no_variances, o2, i);
      });
    for (auto& t : lanes) t.join();
  }
  check_same("params", one.params, tile.params);
  check_same("errors", one.errors, tile.errors);
  check_same("objective", one.objective, tile.objective);
  check_same("covariance", one.covariance, tile.covariance);
  check_same("edm", one.edm, tile.edm);
  check_same("minos", one.minos, tile.minos);
  check_same("significance", one.significance, tile.significance);
  CHECK(one.state == tile.state);
  CHECK(one.iterations == tile.iterations);
  CHECK(one.evaluations == tile.evaluations);
  CHECK(one.valid == tile.valid);
  CHECK(one.at_limit == tile.at_limit);
  return one;
}

std::vector<double> seed_histograms(int n, std::uint64_t seed) {
  std::vector<double> mean(40);
  for (int j = 0; j < 40; ++j) {
    const double t = (j + 0.5) / 40, x = 90 + 70 * t;
    mean[j] = 1.75 * (400 - 250 * t + 90 * t * t +
                      300 / (2.5066282746 * 1.7) * std::exp(-0.5 * (x - 125) * (x - 125) / 2.89));
  }
  std::mt19937_64 rng(seed);
  std::vector<double> h(n * 40);
  for (std::size_t i = 0; i < h.size(); ++i)
    h[i] = std::poisson_distribution<int>(mean[i % 40])(rng);
  return h;
}

}  // namespace

TEST_CASE("a tile of lanes per fit gives what one thread per fit gives, bit for bit",
          "[fit][lanes]") {
  const int n = 2;
  const std::vector<double> h = seed_histograms(n, 21);
  hepcat::SplitFitConfig seed;
  SECTION("mean free (5 free: 8 lanes), every estimator, MINOS, significance and starts") {
    for (auto est :
         {hepcat::Estimator::neyman, hepcat::Estimator::pearson, hepcat::Estimator::poisson}) {
      seed.estimator = est;
      auto config = hepcat::splitfit_fit_config(seed, true);
      config.fixed[4] = false;
      config.lower = {-1e9, -1e9, -1e9, -1e9, 115, 0.5};
      config.upper = {1e9, 1e9, 1e9, 1e9, 135, 10};
      config.minos = {4};
      config.significance = true;
      config.starts = 3;
      std::vector<double> init;
      for (int f = 0; f < n; ++f) {
        auto p = hepcat::splitfit_initial(seed, true, h.data() + f * 40);
        p[4] = 118;
        init.insert(init.end(), p.begin(), p.end());
      }
      INFO(hepcat::to_string(est));
      compare_layouts<8>(config, h, init);
    }
  }
  SECTION("a linear model with the Poisson deviance (4 free: 4 lanes)") {
    seed.estimator = hepcat::Estimator::poisson;
    const auto config = hepcat::splitfit_fit_config(seed, true);
    std::vector<double> init;
    for (int f = 0; f < n; ++f) {
      const auto p = hepcat::splitfit_initial(seed, true, h.data() + f * 40);
      init.insert(init.end(), p.begin(), p.end());
    }
    compare_layouts<4>(config, h, init);
  }
  SECTION("a template with uncertainties beside a line and a peak, 6 free (8 lanes)") {
    hepcat::FitConfig config;
    config.model = hepcat::parse_model("poly1+gauss+template");
    for (int j = 0; j <= 40; ++j) config.edges.push_back(90 + 70.0 * j / 40);
    // A bump where the histograms have none, with the variances of weighted simulation (half
    // the contents), normalised.
    std::vector<double> bump(40);
    for (int j = 0; j < 40; ++j) {
      const double u = (91.875 + 1.75 * j - 145) / 8;
      bump[j] = 2 + 40 * std::exp(-0.5 * u * u);
    }
    const double sum = std::accumulate(bump.begin(), bump.end(), 0.0);
    for (const double b : bump) {
      config.templates.push_back(b / sum);
      config.template_variances.push_back(b / 2 / (sum * sum));
    }
    config.lower = {-1e9, -1e9, 0, 115, 0.5, -1e9};
    config.upper = {1e9, 1e9, 1e9, 135, 10, 1e9};
    std::vector<double> init;
    for (int f = 0; f < n; ++f) init.insert(init.end(), {420, -200, 250, 123, 2.5, 50});
    for (auto est :
         {hepcat::Estimator::neyman, hepcat::Estimator::pearson, hepcat::Estimator::poisson}) {
      config.estimator = est;
      INFO(hepcat::to_string(est));
      const Outputs one = compare_layouts<8>(config, h, init);
      for (int f = 0; f < n; ++f) {
        CHECK(one.state[f] == static_cast<int>(m::FitState::converged));
        CHECK(one.valid[f] == 1);
        CHECK(one.errors[f * 6 + 5] > 0);
      }
    }
  }
  SECTION("Bernstein order 5 and a Crystal Ball, 9 free (16 lanes)") {
    hepcat::FitConfig config;
    config.model = hepcat::parse_model("bernstein5+cb");
    for (int j = 0; j <= 40; ++j) config.edges.push_back(90 + 70.0 * j / 40);
    config.fixed = {false, false, false, false, false, false, false, false, false, true, true};
    config.lower = {-1e9, -1e9, -1e9, -1e9, -1e9, -1e9, 0, 115, 0.5, 0.5, 1.5};
    config.upper = {1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 135, 10, 5, 50};
    const std::vector<double> p0{450, 420, 390, 380, 370, 360, 500, 124, 2, 1.5, 3};
    compare_layouts<16>(config, std::vector<double>(h.begin(), h.begin() + 40), p0);
  }
}
