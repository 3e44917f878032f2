// --checkpoint, --checkpoint-every and --resume, the same for every training command.
#pragma once

#include <CLI/CLI.hpp>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "hepcat/checkpoint.hpp"

namespace hepcat::cli {

struct CheckpointOptions {
  std::string checkpoint, resume;
  long every = 100;
};

/// Adds the three options; `unit` names what --checkpoint-every counts ("epochs", "steps").
void add_checkpoint_options(CLI::App& command, CheckpointOptions& options, const std::string& unit);

/// The plan of a run of `command` that depends on `settings` (inputs by file_fingerprint, and
/// every setting that changes the result). Throws Error for --checkpoint-every below 1 or, on
/// the output rank, a checkpoint file that cannot be written.
CheckpointPlan checkpoint_plan(const CheckpointOptions& options, const std::string& command,
                               std::vector<std::pair<std::string, std::string>> settings);

/// Values as one setting: comma-separated, doubles with every digit.
template <class T>
std::string setting_text(const std::vector<T>& values) {
  std::ostringstream s;
  s.precision(17);
  for (std::size_t k = 0; k < values.size(); ++k) s << (k ? "," : "") << values[k];
  return s.str();
}
template <class T>
std::string setting_text(const T& value) {
  return setting_text(std::vector<T>{value});
}

/// An input file as a setting: its path and the fingerprint of its bytes (empty path: "").
std::string input_setting(const std::string& path);

}  // namespace hepcat::cli
