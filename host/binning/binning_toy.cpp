#include "hepcat/toy.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/gato_toy.hpp"
#include "hepcat/math/linalg.hpp"

namespace hepcat {

namespace {

using math::kGatoToyBackgrounds;
using math::kGatoToyDim;
using math::kGatoToyProcesses;

void check_config(const GatoToyConfig& c) {
  if (c.scenario != 1 && c.scenario != 2)
    throw Error("toy scenario must be 1 or 2, got " + std::to_string(c.scenario));
  if (c.events < 1) throw Error("toy needs at least 1 event, got " + std::to_string(c.events));
  if (!(std::isfinite(c.lumi) && c.lumi > 0))
    throw Error("toy luminosity must be a positive number of pb^-1, got " + std::to_string(c.lumi));
  if (c.first_row < 0 || c.first_row > c.events || c.rows > c.events - c.first_row)
    throw Error("toy rows " + std::to_string(c.first_row) + " + " + std::to_string(c.rows) +
                " lie outside the " + std::to_string(c.events) + " events");
}

// Multiplier of the interleaving permutation i -> (a i) mod n: coprime to n (so it is a
// bijection) and near n times the golden ratio's fractional part, which spreads consecutive
// rows evenly over [0, n).
std::uint64_t interleave_multiplier(std::uint64_t n) {
  auto a = static_cast<std::uint64_t>(std::llround(0.6180339887498949 * static_cast<double>(n)));
  while (std::gcd(a, n) != 1) ++a;
  return a;
}

}  // namespace

std::vector<ToyProcess> gato_toy_processes(int scenario) {
  if (scenario != 1 && scenario != 2)
    throw Error("toy scenario must be 1 or 2, got " + std::to_string(scenario));
  std::vector<ToyProcess> p = {
      {"signal1", 0.5, true, {0.4, -0.4, 1.0}}, {"signal2", 0.1, true, {-0.4, 0.4, 1.0}},
      {"bkg1", 100, false, {0.0, 0.0, -0.5}},   {"bkg2", 80, false, {-0.2, 0.0, 0.0}},
      {"bkg3", 50, false, {0.1, 0.4, -0.3}},    {"bkg4", 20, false, {-0.1, 0.6, -0.2}},
      {"bkg5", 10, false, {-0.2, 0.1, -0.1}}};
  if (scenario == 2) {
    p[0] = {"signal1", 0.5, true, {0.9, -0.9, 1.0}};
    p[1] = {"signal2", 0.1, true, {-0.9, 0.9, 1.0}};
    p[2] = {"bkg1", 100, false, {0.2, 0.2, 0.5}};
  }
  return p;
}

std::vector<std::int64_t> gato_toy_counts(std::int64_t events) {
  if (events < 1) throw Error("toy needs at least 1 event, got " + std::to_string(events));
  const std::vector<ToyProcess> procs = gato_toy_processes(1);
  double sigma_total = 0, sigma_bkg = 0;
  for (const ToyProcess& p : procs) {
    sigma_total += p.cross_section;
    if (!p.signal) sigma_bkg += p.cross_section;
  }
  std::vector<std::int64_t> n(procs.size(), 0);
  std::int64_t left = events;
  const std::int64_t floor = (events + 19) / 20;
  for (std::size_t k = 0; k < procs.size(); ++k) {
    if (!procs[k].signal) continue;
    const auto share = static_cast<std::int64_t>(
        std::llround(static_cast<double>(events) * procs[k].cross_section / sigma_total));
    n[k] = std::min(left, std::max(floor, share));
    left -= n[k];
  }
  // Backgrounds: one event each while events last, so that every process is populated from 7
  // events on; the rest by floor of each exact share, then one more to the largest remainders.
  std::vector<std::pair<double, std::size_t>> remainder;
  for (std::size_t k = 0; k < procs.size() && left > 0; ++k)
    if (!procs[k].signal) {
      n[k] = 1;
      --left;
    }
  std::int64_t given = 0;
  for (std::size_t k = 0; k < procs.size(); ++k) {
    if (procs[k].signal) continue;
    const double exact = static_cast<double>(left) * procs[k].cross_section / sigma_bkg;
    const auto whole = static_cast<std::int64_t>(exact);
    n[k] += whole;
    given += whole;
    remainder.emplace_back(-(exact - static_cast<double>(whole)), k);
  }
  std::sort(remainder.begin(), remainder.end());
  for (std::int64_t r = 0; r < left - given; ++r)
    ++n[remainder[static_cast<std::size_t>(r)].second];
  return n;
}

EventTable generate_gato_toy(const GatoToyConfig& config) {
  check_config(config);
  // Nine float columns; refused before anything is allocated when it cannot fit.
  require_host_memory("the gato toy with " + std::to_string(config.events) + " events",
                      9.0 * sizeof(float) * static_cast<double>(config.events));
  const std::vector<ToyProcess> procs = gato_toy_processes(config.scenario);
  const std::vector<std::int64_t> counts = gato_toy_counts(config.events);

  double means[kGatoToyProcesses * kGatoToyDim];
  double weight[kGatoToyProcesses];
  double log_bkg_fraction[kGatoToyBackgrounds];
  std::int64_t block_end[kGatoToyProcesses];  // process k owns positions [end[k-1], end[k])
  double sigma_bkg = 0;
  for (const ToyProcess& p : procs) sigma_bkg += p.signal ? 0 : p.cross_section;
  std::int64_t end = 0;
  for (int k = 0; k < kGatoToyProcesses; ++k) {
    std::copy(procs[k].mean, procs[k].mean + kGatoToyDim, means + k * kGatoToyDim);
    weight[k] = counts[k] > 0 ? procs[k].cross_section * config.lumi / counts[k] : 0.0;
    if (k >= 2) log_bkg_fraction[k - 2] = std::log(procs[k].cross_section / sigma_bkg);
    end += counts[k];
    block_end[k] = end;
  }
  double chol[kGatoToyDim * kGatoToyDim];  // the covariance, factored in place
  for (int a = 0; a < kGatoToyDim; ++a)
    for (int c = 0; c < kGatoToyDim; ++c) chol[a * kGatoToyDim + c] = a == c ? 1.0 : 0.2;
  math::cholesky(kGatoToyDim, chol, kGatoToyDim);
  const double log_norm = math::mvn_log_normaliser(kGatoToyDim, chol);

  const auto n = static_cast<std::uint64_t>(config.events);
  const std::uint64_t a = interleave_multiplier(n);
  const char* names[] = {"x", "y", "z", "d", "s1", "s2", "sb", "weight", "process"};
  constexpr int kColumns = 9;
  const std::int64_t first = config.first_row;
  const std::int64_t last = config.rows < 0 ? config.events : first + config.rows;
  std::vector<std::vector<float>> cols(kColumns);
#pragma omp parallel for schedule(static)
  for (int j = 0; j < kColumns; ++j) cols[j].resize(static_cast<std::size_t>(last - first));

#pragma omp parallel for schedule(static)
  for (std::int64_t i = first; i < last; ++i) {
    const auto position = static_cast<std::int64_t>(static_cast<unsigned __int128>(a) *
                                                    static_cast<std::uint64_t>(i) % n);
    int p = 0;
    while (position >= block_end[p]) ++p;
    double x[kGatoToyDim];
    math::gato_toy_features(config.seed, static_cast<std::uint64_t>(i), means + p * kGatoToyDim,
                            chol, x);
    // Scores are computed from the stored (float) features, so they match the file exactly.
    float xf[kGatoToyDim];
    for (int k = 0; k < kGatoToyDim; ++k) xf[k] = static_cast<float>(x[k]);
    double d, scores[3];
    math::gato_toy_scores(xf, means, chol, log_norm, log_bkg_fraction, &d, scores);
    const float row[kColumns] = {xf[0],
                                 xf[1],
                                 xf[2],
                                 static_cast<float>(d),
                                 static_cast<float>(scores[0]),
                                 static_cast<float>(scores[1]),
                                 static_cast<float>(scores[2]),
                                 static_cast<float>(weight[p]),
                                 static_cast<float>(p)};
    for (int j = 0; j < kColumns; ++j) cols[j][static_cast<std::size_t>(i - first)] = row[j];
  }

  EventTable table;
  for (int j = 0; j < kColumns; ++j) {
    table.names.emplace_back(names[j]);
    table.columns.push_back(std::move(cols[j]));
  }
  return table;
}

}  // namespace hepcat
