#include <cmath>
#include <cstdint>
#include <string>

#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/random.hpp"
#include "hepcat/toy.hpp"
#include "host/engine/parallel.hpp"

namespace hepcat {

namespace {

constexpr double kLo = 90, kHi = 160, kDecay = 35, kPeak = 125, kWidth = 1.7;
constexpr int kFeatures = 4;
constexpr double kSignalMean[kFeatures] = {1.2, 1.0, 0.8, 0.5};
constexpr double kMismodelShift[kFeatures] = {0.6, -0.4, 0.0, 0.5};
constexpr double kMismodelSmear = 1.4;

}  // namespace

EventTable generate_splitfit_toy(const SplitFitToyConfig& c) {
  if (c.background_events < 0 || c.signal_events < 0 || c.background_events + c.signal_events < 1)
    throw Error("splitfit toy: event counts must be non-negative and not both zero (got " +
                std::to_string(c.background_events) + " background, " +
                std::to_string(c.signal_events) + " signal)");
  if (c.background_events > INT64_MAX - c.signal_events)
    throw Error("splitfit toy: too many events");
  const std::int64_t n = c.background_events + c.signal_events;
  require_host_memory("the splitfit toy with " + std::to_string(n) + " events",
                      7.0 * sizeof(float) * static_cast<double>(n));
  std::vector<float> mass(n), weight(n, 1.f), label(n);
  std::vector<std::vector<float>> f(kFeatures, std::vector<float>(n));
  // Truncated exponential by inversion: m = lo - decay ln(1 - u (1 - e^{-(hi-lo)/decay})).
  const double tail = 1 - std::exp(-(kHi - kLo) / kDecay);
#pragma omp parallel for schedule(static) num_threads(cpu::max_threads())
  for (std::int64_t i = 0; i < n; ++i) {
    // Row i is signal when the running share of signal rows steps up there.
    const bool signal = (i + 1) * c.signal_events / n > i * c.signal_events / n;
    const math::Philox4x32 a = math::random_words(c.seed, i, 0),
                           b = math::random_words(c.seed, i, 1);
    double z[kFeatures + 2];
    math::normal_pair<double>(a.v[0], a.v[1], &z[0], &z[1]);
    math::normal_pair<double>(a.v[2], a.v[3], &z[2], &z[3]);
    math::normal_pair<double>(b.v[0], b.v[1], &z[4], &z[5]);
    const double u = math::uniform_open0<double>(b.v[2]);
    mass[i] = static_cast<float>(signal ? kPeak + kWidth * z[4]
                                        : kLo - kDecay * std::log1p(-(1 - u) * tail));
    label[i] = signal ? 1.f : 0.f;
    for (int j = 0; j < kFeatures; ++j) {
      double v = signal ? kSignalMean[j] + z[j] : z[j];
      if (c.mismodelled && !signal) v = kMismodelSmear * v + kMismodelShift[j];
      f[j][i] = static_cast<float>(v);
    }
  }
  EventTable t;
  t.add("mass", std::move(mass));
  for (int j = 0; j < kFeatures; ++j) t.add("f" + std::to_string(j), std::move(f[j]));
  t.add("weight", std::move(weight));
  t.add("label", std::move(label));
  return t;
}

}  // namespace hepcat
