#include <unistd.h>

#include "hepcat/communicator.hpp"
#include "hepcat/error.hpp"
#include "host/cli/commands.hpp"

namespace hepcat::cli {

void add_common_options(CLI::App& command, CommonOptions& options) {
  command.add_option("--device", options.device, "auto, cpu, cuda or cuda:N")
      ->capture_default_str();
  command.add_option("--seed", options.seed, "random seed")->capture_default_str();
  command.add_flag("--verbose,-v", options.verbose, "report the device and progress details");
}

bool stderr_is_terminal() {
  return output_rank() && isatty(STDERR_FILENO) != 0;
}

bool output_rank() {
  return world().rank() == 0;
}

void require_one_process(const std::string& command) {
  if (world().size() > 1)
    throw Error("hepcat " + command + " runs as one process; under mpirun only 'hepcat bin' and " +
                "'hepcat splitfit' share their events over the ranks (docs/scale-out.md)");
}

}  // namespace hepcat::cli
