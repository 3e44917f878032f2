// Toy datasets of the seed studies. The GATO toy (SCIENCE.md section 1, "Toy study"): three
// correlated Gaussian features per event for two signals and five backgrounds, with the exact
// likelihood-ratio discriminant and 3-class scores computed from the known densities.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/event_table.hpp"

namespace hepcat {

struct HEPCAT_API GatoToyConfig {
  int scenario = 1;               ///< 1: overlapping signals, 2: separated signals
  std::int64_t events = 1000000;  ///< total events generated over all processes
  std::uint64_t seed = 1;
  double lumi = 100.0;  ///< integrated luminosity in pb^-1
  /// Only rows [first_row, first_row + rows) of the sample of `events` rows are generated (an
  /// MPI rank's shard); rows < 0 means up to the end. Rows do not depend on the range.
  std::int64_t first_row = 0;
  std::int64_t rows = -1;
};

/// One process of the toy.
struct HEPCAT_API ToyProcess {
  std::string name;          ///< "signal1", "signal2", "bkg1" ... "bkg5"
  double cross_section = 0;  ///< pb
  bool signal = false;
  double mean[3] = {0, 0, 0};
};

/// The seven processes of a scenario in process-id order: 0 = signal 1, 1 = signal 2,
/// 2..6 = backgrounds 1..5; cross sections 0.5, 0.1, 100, 80, 50, 20, 10 pb. All share the
/// covariance I + 0.2 (1 - I). Scenario 2 moves the signals apart ((0.9, -0.9, 1) and
/// (-0.9, 0.9, 1)) and background 1 to (0.2, 0.2, 0.5); backgrounds 2-5 keep their scenario-1
/// means (the published slides list only background 1 for scenario 2). Throws Error for a
/// scenario other than 1 or 2.
HEPCAT_API std::vector<ToyProcess> gato_toy_processes(int scenario);

/// Events generated per process: each signal gets at least 5% of the events (rounded up) so
/// that it is populated; the rest goes to the backgrounds, one event each first, then in
/// proportion to their cross sections (largest remainders). Every process is populated from 7
/// events on; with fewer, the later processes stay empty.
HEPCAT_API std::vector<std::int64_t> gato_toy_counts(std::int64_t events);

/// Generates the toy: columns x, y, z (features), d (discriminant L/(1+L), L = p_s1/p_bkg), s1,
/// s2, sb (p_k / (p_s1 + p_s2 + p_bkg), summing to 1), weight (sigma_p * lumi / n_p, so each
/// process's weights sum to sigma_p * lumi: 50, 10 and 26,000 for the backgrounds together at
/// 100 pb^-1) and process (the id as a float). p_bkg is the cross-section-weighted mixture of
/// the background densities.
///
/// Processes are interleaved in file order, not grouped: row i takes the process whose block
/// of positions contains (a i) mod N for a fixed a coprime to N near N times the golden
/// ratio, so any run of consecutive rows holds each process in close to its overall share (a
/// split into first and last rows keeps the proportions). The process of a row depends only on
/// N; its features only on (seed, row). The output is the same for any thread count.
/// Throws Error for events < 1, a scenario other than 1 or 2, lumi not positive and finite, or
/// a row range outside [0, events).
HEPCAT_API EventTable generate_gato_toy(const GatoToyConfig& config);

}  // namespace hepcat

namespace hepcat {

/// The Split-N-Fit toy (SCIENCE.md section 4): a diphoton-like mass in [90, 160] with a falling
/// background (exponential, decay length 35) and a Gaussian signal at 125 of width 1.7, and four
/// features, independent of the mass, that separate signal (means 1.2, 1.0, 0.8, 0.5, unit
/// variances) from background (means 0, unit variances). The mismodelled variant smears the
/// background features by 1.4 and shifts them by (0.6, -0.4, 0, 0.5): a classifier trained on
/// it against the signal learns a worse boundary for the nominal background.
struct HEPCAT_API SplitFitToyConfig {
  std::int64_t background_events = 200000;
  std::int64_t signal_events = 200;
  bool mismodelled = false;
  std::uint64_t seed = 1;
};

/// Columns mass, f0, f1, f2, f3, weight (1), label (1 signal, 0 background). Signal rows are
/// spread evenly through the file; each row depends only on (seed, row), so the output is the
/// same for any thread count. Throws Error for negative counts or no events.
HEPCAT_API EventTable generate_splitfit_toy(const SplitFitToyConfig& config);

}  // namespace hepcat
