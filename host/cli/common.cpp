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

void reject_repeated_options(const CLI::App& app, int argc, char** argv) {
  const CLI::App* command = nullptr;
  int first = 1;
  for (; first < argc; ++first) {
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      if (sub->get_name() == argv[first]) command = sub;
    if (command) break;
  }
  if (!command) return;
  for (const CLI::Option* opt : command->get_options()) {
    if (opt->get_items_expected_max() != 1) continue;  // flags and list options may repeat
    int count = 0;
    for (int i = first + 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--") break;
      for (const std::string& name : opt->get_lnames())
        if (arg == "--" + name || arg.rfind("--" + name + "=", 0) == 0) ++count;
      for (const std::string& name : opt->get_snames())
        if (arg == "-" + name) ++count;
    }
    if (count > 1)
      throw Error(opt->get_name() + " was given " + std::to_string(count) +
                  " times; it takes one value, give it once");
  }
}

bool stderr_is_terminal() {
  return output_rank() && isatty(STDERR_FILENO) != 0;
}

bool output_rank() {
  return world().rank() == 0;
}

void require_one_process(const std::string& command) {
  if (world().size() > 1)
    throw Error("hepcat " + command +
                " runs as one process; under mpirun only 'hepcat bin', 'hepcat cuts' and " +
                "'hepcat splitfit' share their events over the ranks (docs/scale-out.md)");
}

}  // namespace hepcat::cli
