#include "host/cli/checkpoint_options.hpp"

#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "host/cli/commands.hpp"

namespace hepcat::cli {

void add_checkpoint_options(CLI::App& command, CheckpointOptions& options,
                            const std::string& unit) {
  command.add_option("--checkpoint", options.checkpoint,
                     "save the training state to this file every --checkpoint-every " + unit +
                         " (atomically) and at the end");
  command.add_option("--checkpoint-every", options.every, unit + " between checkpoints")
      ->capture_default_str();
  command.add_option("--resume", options.resume,
                     "continue the run saved in this checkpoint (same inputs and settings, any "
                     "number of MPI ranks); the result equals that of an uninterrupted run");
}

CheckpointPlan checkpoint_plan(const CheckpointOptions& options, const std::string& command,
                               std::vector<std::pair<std::string, std::string>> settings) {
  if (options.every < 1)
    throw Error("--checkpoint-every must be at least 1, got " + std::to_string(options.every));
  if (!options.checkpoint.empty() && output_rank()) check_output(options.checkpoint);
  CheckpointPlan plan;
  plan.command = command;
  plan.settings = std::move(settings);
  plan.path = options.checkpoint;
  plan.every = options.every;
  plan.resume = options.resume;
  return plan;
}

std::string input_setting(const std::string& path) {
  return path.empty() ? std::string() : path + " " + file_fingerprint(path);
}

}  // namespace hepcat::cli
