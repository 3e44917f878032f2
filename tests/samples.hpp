// Random inputs shared by the CPU tests and their GPU twins, so that both build the same samples.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "hepcat/cuts.hpp"
#include "hepcat/merge.hpp"

namespace hepcat::test {

/// Two Gaussian classes with the signal shifted along each feature's direction; weights (some
/// negative) when `weighted`, and grid values uniform in [0, grid_max) when grid_max > 0.
inline CutSample gaussian_cut_sample(std::size_t n, int m, unsigned seed, bool weighted,
                                     float grid_max = 0.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  CutSample s;
  s.features.assign(m, std::vector<float>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const bool sig = u(rng) < 0.5f;
    s.signal.push_back(sig ? 1 : 0);
    for (int k = 0; k < m; ++k)
      s.features[k][i] = (k % 2 ? -1.f : 1.f) * (sig ? 0.8f : -0.3f) + (1.f + 0.3f * k) * g(rng);
    if (weighted) s.weights.push_back(u(rng) < 0.1f ? -0.3f : 0.5f + u(rng));
    if (grid_max > 0.f) s.grid_values.push_back(grid_max * u(rng));
  }
  return s;
}

/// A histogram of n_hyp hypotheses over n_bins bins with counts uniform in [lo, 1).
inline Histogram random_histogram(int n_hyp, int n_bins, std::uint32_t seed, double lo) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(lo, 1.0);
  Histogram h;
  h.n_hyp = n_hyp;
  h.n_bins = n_bins;
  h.counts.resize(static_cast<std::size_t>(n_hyp) * n_bins);
  for (double& c : h.counts) c = u(rng);
  return h;
}

/// Events of one feature x ~ N(0.5, 1) with weights uniform in [-0.5, 2) and process i % n_proc.
struct WeightedEvents {
  std::vector<float> x, w;
  std::vector<std::int32_t> process;
};
inline WeightedEvents weighted_events(std::size_t n, int n_proc, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gx(0.5f, 1.f);
  std::uniform_real_distribution<float> gw(-0.5f, 2.f);
  WeightedEvents e;
  e.x.resize(n);
  e.w.resize(n);
  e.process.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    e.x[i] = gx(rng);
    e.w[i] = gw(rng);
    e.process[i] = static_cast<std::int32_t>(i % n_proc);
  }
  return e;
}

}  // namespace hepcat::test
