// The subcommands of the hepcat tool. Each command file defines one add_*_command, which
// registers its options on the app and sets the callback that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "hepcat/event_table.hpp"

namespace hepcat::cli {

/// Options every command takes.
struct CommonOptions {
  std::string device = "auto";
  std::uint64_t seed = 1;
  bool verbose = false;
};

/// Adds --device, --seed and --verbose to a subcommand.
void add_common_options(CLI::App& command, CommonOptions& options);

/// Adds the subcommand `name` to `parent` with the common options (bound to options->common)
/// and a callback that calls run(*options); returns it for the command's own options, which
/// bind to the same `options`.
template <class Options, class Run>
CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description,
                      const std::shared_ptr<Options>& options, Run run) {
  CLI::App* command = parent.add_subcommand(name, description);
  add_common_options(*command, options->common);
  command->callback([options, run] { run(*options); });
  return command;
}

/// Throws Error naming the option when an option that takes one value appears more than once
/// on the command line of the chosen subcommand (CLI11's own message does not name it).
void reject_repeated_options(const CLI::App& app, int argc, char** argv);

/// A list option that takes comma-separated values, repeated values, or both: "--x 1,2",
/// "--x 1 2" and "--x 1 --x 2" all give {1, 2}. Every list option of every command uses it.
template <class T>
CLI::Option* add_list_option(CLI::App& command, const std::string& name, std::vector<T>& values,
                             const std::string& description) {
  return command.add_option(name, values, description)->delimiter(',');
}

/// True when stderr is a terminal (progress lines are shown only then) on the output rank.
bool stderr_is_terminal();

/// True on the rank that writes output files: rank 0 of an MPI run, or the only process.
bool output_rank();

/// Throws Error under an MPI run of several ranks: for commands that do not share out their work.
void require_one_process(const std::string& command);

/// Throws Error naming the file line (CSV) or row (HDF5) of `path` and the column when
/// `column` of `table` (read from `path`) holds NaN or an infinity. `first_row`: the row of the
/// file that the table's first row is (an MPI rank's shard starts there).
void require_finite(const EventTable& table, const std::string& path, const std::string& column,
                    std::size_t first_row = 0);

/// Throws Error naming the file line and column unless every value of `column` is 0 or 1.
void require_binary(const EventTable& table, const std::string& path, const std::string& column,
                    std::size_t first_row = 0);

/// Throws Error naming `path` when the table has no rows.
void require_rows(const EventTable& table, const std::string& path);
/// Throws Error naming `path` when the file has no rows (`rows`: its row count; under mpirun,
/// the whole file's, as a rank's shard may be empty).
void require_rows(std::size_t rows, const std::string& path);

/// Reads `columns` of the event file `path`; throws Error as require_rows and require_finite
/// (for every column) do.
EventTable read_checked_table(const std::string& path, const std::vector<std::string>& columns);

/// The plot script `name` (e.g. "plot_cuts.py"): $HEPCAT_SCRIPTS_DIR, else share/hepcat beside
/// the executable (install) or in the build folder. Throws Error when not found.
std::filesystem::path plot_script(const std::string& name);

/// Throws Error before any work when `image` could not be written or the plot script or
/// matplotlib is missing.
void check_plot(const std::string& name, const std::string& image);

/// Runs the plot script on the JSON result; a failure is one Error with the script's last line.
void run_plot(const std::string& name, const std::string& json, const std::string& image);

void add_info_command(CLI::App& app);
void add_toy_command(CLI::App& app);
void add_bin_command(CLI::App& app);
void add_merge_command(CLI::App& app);
void add_cuts_command(CLI::App& app);
void add_fit_command(CLI::App& app);
void add_splitfit_command(CLI::App& app);
/// Adds `assign` with its toy and baseline subcommands and returns it, so that further
/// subcommands can be registered on it.
CLI::App& add_assign_command(CLI::App& app);
/// Adds `train` and `eval` (the ABC model) under the `assign` command.
void add_assign_model_commands(CLI::App& assign);

}  // namespace hepcat::cli
