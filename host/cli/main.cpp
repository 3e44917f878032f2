// hepcat: differentiable analysis optimisation from the command line.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

#include "hepcat/communicator.hpp"
#include "hepcat/context.hpp"
#include "hepcat/io.hpp"
#include "host/cli/commands.hpp"

namespace {

int run(CLI::App& app, int argc, char** argv) {
  try {
    hepcat::cli::reject_repeated_options(app, argc, argv);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // Option errors read like every other error: one line.
    std::cerr << "hepcat: error: " << e.what() << "\n";
    return e.get_exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "hepcat: error: out of memory (the input or the requested size is too large "
                 "for this machine)\n";
    return 1;
  } catch (const std::exception& e) {
    // Every failure is one line on stderr and a non-zero exit; writers are atomic, so no
    // partial output is left behind.
    std::cerr << "hepcat: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Built with MPI, hepcat joins the ranks of its launcher; started without one it is a
  // singleton, one rank, and runs as a plain process.
  try {
    if (hepcat::mpi_available()) hepcat::set_world(hepcat::mpi_communicator(&argc, &argv));
  } catch (const std::exception& e) {
    std::cerr << "hepcat: error: " << e.what() << "\n";
    return 1;
  }
  hepcat::remove_temporaries_on_signals();
  // Under mpirun every rank runs the same command on its shard of the events; rank 0 alone
  // prints results and writes outputs.
  const hepcat::Communicator& world = hepcat::world();
  if (world.rank() != 0 && !std::freopen("/dev/null", "w", stdout)) return 1;
  CLI::App app{"hepcat " + hepcat::build_info().version +
               ": differentiable analysis optimisation on GPU and CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", hepcat::build_info().version);
  hepcat::cli::add_info_command(app);
  hepcat::cli::add_toy_command(app);
  hepcat::cli::add_bin_command(app);
  hepcat::cli::add_merge_command(app);
  hepcat::cli::add_cuts_command(app);
  hepcat::cli::add_fit_command(app);
  hepcat::cli::add_splitfit_command(app);
  hepcat::cli::add_assign_model_commands(hepcat::cli::add_assign_command(app));
  const int code = run(app, argc, argv);
  // One rank failing ends all of them: the others may be waiting for it in an exchange.
  if (code != 0 && world.size() > 1) world.abort(code);
  hepcat::set_world(nullptr);
  return code;
}
