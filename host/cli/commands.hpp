// The subcommands of the hepcat tool. Each command file defines one add_*_command, which
// registers its options on the app and sets the callback that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace hepcat::cli {

/// Options every command takes.
struct CommonOptions {
  std::string device = "auto";
  std::uint64_t seed = 1;
  bool verbose = false;
};

/// Adds --device, --seed and --verbose to a subcommand.
void add_common_options(CLI::App& command, CommonOptions& options);

/// True when stderr is a terminal (progress lines are shown only then) on the output rank.
bool stderr_is_terminal();

/// True on the rank that writes output files: rank 0 of an MPI run, or the only process.
bool output_rank();

/// Throws Error under an MPI run of several ranks: for commands that do not share out their work.
void require_one_process(const std::string& command);

void add_info_command(CLI::App& app);
void add_toy_command(CLI::App& app);
void add_bin_command(CLI::App& app);
void add_merge_command(CLI::App& app);
void add_cuts_command(CLI::App& app);
void add_fit_command(CLI::App& app);
void add_splitfit_command(CLI::App& app);

}  // namespace hepcat::cli
