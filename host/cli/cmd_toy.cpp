// hepcat toy: the seed studies' datasets. The generator runs on the CPU (OpenMP); --device is
// still checked so that a request for an absent GPU fails as in every other command.
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "hepcat/toy.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/progress.hpp"
#include "host/engine/format.hpp"

namespace hepcat::cli {

namespace {

struct ToyOptions {
  CommonOptions common;
  std::string study = "gato";
  int scenario = 1;
  std::int64_t events = 1000000;
  double lumi = 100.0;
  std::string out = hdf5_available() ? "toy.h5" : "toy.csv";
  std::int64_t signal_events = SplitFitToyConfig{}.signal_events;
  bool mismodelled = false;
};

// The Split-N-Fit toy: --events background events and --signal-events signal events.
void run_splitfit_toy(const ToyOptions& o) {
  SplitFitToyConfig config;
  config.background_events = o.events;
  config.signal_events = o.signal_events;
  config.mismodelled = o.mismodelled;
  config.seed = o.common.seed;
  const Context ctx(o.common.device, o.common.verbose);
  check_table_output(o.out);
  const EventTable table = generate_then_write(
      config.background_events + config.signal_events, o.out, o.common.verbose,
      [&] { return generate_splitfit_toy(config); },
      [&](const EventTable& t) {
        if (output_rank()) write_table(o.out, t);
      });
  std::cout << "wrote " << table.rows() << " events of the splitfit toy ("
            << (config.mismodelled ? "mismodelled" : "nominal") << ", seed " << config.seed
            << ") to " << o.out << "\n";
}

void run_toy(const ToyOptions& o) {
  if (o.study == "splitfit") return run_splitfit_toy(o);
  if (o.study != "gato") throw Error("unknown study '" + o.study + "' (available: gato, splitfit)");
  GatoToyConfig config;
  config.scenario = o.scenario;
  config.events = o.events;
  config.seed = o.common.seed;
  config.lumi = o.lumi;
  if (config.scenario != 1 && config.scenario != 2)
    throw Error("--scenario must be 1 or 2, got " + std::to_string(config.scenario));
  if (config.events < 1)
    throw Error("--events must be at least 1, got " + std::to_string(config.events));
  if (!(std::isfinite(config.lumi) && config.lumi > 0))
    throw Error("--lumi must be a positive number of pb^-1, got " +
                detail::format_number(config.lumi));
  const Context ctx(o.common.device, o.common.verbose);
  check_table_output(o.out);  // fail before generating what could not be written

  const EventTable table = generate_then_write(
      config.events, o.out, o.common.verbose, [&] { return generate_gato_toy(config); },
      [&](const EventTable& t) {
        if (output_rank()) write_table(o.out, t);
      });

  std::cout << "wrote " << table.rows() << " events of the gato toy (scenario " << config.scenario
            << ", seed " << config.seed << ", " << config.lumi << " pb^-1) to " << o.out << "\n";
  if (o.common.verbose) {
    const std::vector<ToyProcess> procs = gato_toy_processes(config.scenario);
    const std::vector<std::int64_t> counts = gato_toy_counts(config.events);
    for (std::size_t k = 0; k < procs.size(); ++k)
      std::cout << "  process " << k << " " << std::left << std::setw(8) << procs[k].name
                << std::right << std::setw(12) << counts[k] << " events, expected yield "
                << procs[k].cross_section * config.lumi << "\n";
  }
}

}  // namespace

void add_toy_command(CLI::App& app) {
  auto o = std::make_shared<ToyOptions>();
  CLI::App* cmd =
      add_command(app, "toy",
                  "generate a toy dataset (gato: docs/binning.md, three Gaussian features, "
                  "2 signals, 5 backgrounds)",
                  o, run_toy);
  cmd->add_option("--study", o->study,
                  "which study's toy: gato, or splitfit (diphoton-like mass in [90, 160] with "
                  "four separating features; --events counts the background)")
      ->capture_default_str();
  cmd->add_option("--signal-events", o->signal_events, "splitfit: signal events")
      ->capture_default_str();
  cmd->add_flag("--mismodelled", o->mismodelled,
                "splitfit: background features smeared and shifted (the poor simulation)");
  cmd->add_option("--scenario", o->scenario, "1: overlapping signals, 2: separated signals")
      ->capture_default_str();
  cmd->add_option("--events", o->events, "events generated in total over all processes")
      ->capture_default_str();
  cmd->add_option("--lumi", o->lumi, "integrated luminosity in pb^-1 (sets the weights)")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "output file: .h5/.hdf5 (optionally file.h5:/group) or .csv")
      ->capture_default_str();
}

}  // namespace hepcat::cli
