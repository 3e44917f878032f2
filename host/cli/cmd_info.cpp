// hepcat info: version, build options, backends and devices.
#include <iostream>
#include <memory>

#include "hepcat/communicator.hpp"
#include "hepcat/context.hpp"
#include "host/cli/commands.hpp"

namespace hepcat::cli {

void add_info_command(CLI::App& app) {
  auto options = std::make_shared<CommonOptions>();
  CLI::App* cmd = app.add_subcommand("info", "version, build options, backends and devices");
  add_common_options(*cmd, *options);
  cmd->callback([options] {
    const BuildInfo b = build_info();
    std::cout << "hepcat " << b.version << "\n"
              << "backends: cpu (" << (b.openmp ? "OpenMP, " : "") << b.cpu_threads << " threads)"
              << (b.cuda ? ", cuda (architectures " + b.cuda_architectures + ")" : "") << "\n"
              << "hdf5: " << (b.hdf5 ? "yes" : "no") << "\n"
              << "mpi: " << (mpi_available() ? "yes, " + world().name() : std::string("no"))
              << "\n";
    const auto devices = cuda_devices();
    if (devices.empty()) std::cout << "cuda devices: none\n";
    for (const DeviceInfo& d : devices)
      std::cout << "cuda:" << d.index << ": " << d.name << ", compute " << d.compute_major << "."
                << d.compute_minor << ", " << d.multiprocessors << " SMs, "
                << d.memory_bytes / (1024.0 * 1024 * 1024) << " GiB, peak " << d.peak_bandwidth_gbs
                << " GB/s\n";
    const Context ctx(options->device, options->verbose);
    std::cout << "selected: " << to_string(ctx.backend()) << ", " << ctx.device_name() << "\n";
  });
}

}  // namespace hepcat::cli
