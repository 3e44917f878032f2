// hepcat toy: the seed studies' datasets (filled in by the toy generator).
#include "host/cli/commands.hpp"

namespace hepcat::cli {

void add_toy_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("toy", "generate a toy dataset");
  cmd->callback([] {});
}

}  // namespace hepcat::cli
