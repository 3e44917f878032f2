// hepcat-bench: runs each workload at growing sizes on each available backend and prints one
// JSON line per measurement (median seconds per step after warm-up, throughput, bandwidth and
// the fraction of the limit: on the CPU the measured roofline, on the GPU the device's peak
// memory bandwidth).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench.hpp"
#include "bench/roofline.hpp"
#include "hepcat/communicator.hpp"
#include "hepcat/context.hpp"
#include "hepcat/timer.hpp"

namespace {

std::vector<std::size_t> sizes_between(double lo, double hi) {
  std::vector<std::size_t> out;
  for (double n = lo; n <= hi * 1.0001; n *= std::sqrt(10.0)) out.push_back(std::llround(n));
  return out;
}

// Median over `batches` of the mean time per step within a batch of steps; the batch length is
// chosen so that one batch lasts at least `min_batch_seconds`.
double median_seconds_per_step(hepcat::Context& ctx, const std::function<void()>& step, int batches,
                               double min_batch_seconds) {
  hepcat::StreamTimer timer(ctx);
  for (int i = 0; i < 3; ++i) step();  // warm-up: caches, lazy allocations, clocks
  timer.start();
  step();
  const double one = std::max(timer.stop(), 1e-7);
  // Ranks run the same number of steps: a workload may exchange data between them.
  double steps = std::max(1.0, std::ceil(min_batch_seconds / one));
  hepcat::world().max(&steps, 1);
  const int per_batch = static_cast<int>(steps);
  std::vector<double> means;
  for (int b = 0; b < batches; ++b) {
    timer.start();
    for (int i = 0; i < per_batch; ++i) step();
    means.push_back(timer.stop() / per_batch);
  }
  std::nth_element(means.begin(), means.begin() + means.size() / 2, means.end());
  return means[means.size() / 2];
}

int run(int argc, char** argv) {
  CLI::App app{"hepcat-bench: workloads at growing sizes on each available backend"};
  std::string only;
  std::string devices = "all";
  double cpu_max = 1e6, gpu_max = 1e7, min_n = 1e5, batch_seconds = 0.05, max_fits = 0;
  int batches = 7;
  app.add_option("--workload", only, "run only the workloads whose name contains this text");
  app.add_option("--device", devices, "all, cpu or cuda")->capture_default_str();
  app.add_option("--min", min_n, "smallest size")->capture_default_str();
  app.add_option("--cpu-max", cpu_max, "largest size on the CPU")->capture_default_str();
  app.add_option("--gpu-max", gpu_max, "largest size on the GPU")->capture_default_str();
  // Each fit's Poisson histogram is drawn on the host: at 1e7 fits that set-up takes longer than
  // every measurement, so a time-bounded run caps the fits alone.
  app.add_option("--max-fits", max_fits, "largest batch of fits (0: the backend's largest size)")
      ->capture_default_str();
  app.add_option("--batches", batches, "timed batches per size (median reported)")
      ->capture_default_str();
  app.add_option("--batch-seconds", batch_seconds, "minimum duration of one timed batch")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> backends;
  if (devices == "all" || devices == "cpu") backends.push_back("cpu");
  if ((devices == "all" && !hepcat::cuda_devices().empty()) || devices == "cuda")
    backends.push_back("cuda");

  try {
    for (const std::string& device : backends) {
      hepcat::Context ctx(device);
      // The CPU roofline every CPU measurement is compared with (bench/roofline.hpp).
      hepcat::bench::CpuLimits limits;
      if (!ctx.is_cuda()) {
        limits = hepcat::bench::measure_cpu_limits();
        std::cout << hepcat::bench::to_json(limits).dump() << std::endl;
      }
      const double backend_max = ctx.is_cuda() ? gpu_max : cpu_max;
      for (const auto& w : hepcat::bench::all_workloads()) {
        if (!only.empty() && w.name.find(only) == std::string::npos) continue;
        const double max_n =
            w.unit == "fits" && max_fits > 0 ? std::min(backend_max, max_fits) : backend_max;
        const std::vector<std::size_t> ns =
            w.fixed_n ? std::vector<std::size_t>{w.fixed_n} : sizes_between(min_n, max_n);
        for (std::size_t n : ns) {
          const auto step = w.prepare(ctx, n);
          const std::size_t before = hepcat::world().bytes_received();
          step();
          const std::size_t received = hepcat::world().bytes_received() - before;
          const double s = median_seconds_per_step(ctx, step, batches, batch_seconds);
          const double gbs = w.bytes_per_item * n / s / 1e9;
          nlohmann::json line{{"workload", w.name},
                              {"impl", "hepcat"},
                              {"backend", hepcat::to_string(ctx.backend())},
                              {"device", ctx.device_name()},
                              {"n", n},
                              {"unit", w.unit},
                              {"seconds", s},
                              {"items_per_s", n / s},
                              {"gb_per_s", gbs},
                              {"ranks", hepcat::world().size()},
                              {"bytes_received_per_step", received}};
          // Peak: memory clock and bus width read with cudaDeviceGetAttribute (CUDA 13 dropped
          // them from cudaDeviceProp); a device that reports neither gets no fraction.
          if (!ctx.is_cuda())
            hepcat::bench::add_roofline(line, limits, w.ops, w.bytes_per_item, n, s);
          if (ctx.is_cuda() && ctx.peak_bandwidth_gbs() > 0) {
            line["peak_gb_per_s"] = ctx.peak_bandwidth_gbs();
            line["peak_fraction"] = gbs / ctx.peak_bandwidth_gbs();
          }
          if (hepcat::world().rank() == 0) std::cout << line.dump() << std::endl;
        }
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "hepcat-bench: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Under mpirun the ranks run the workloads together (rank_exchange measures their exchange);
  // rank 0 prints.
  if (hepcat::mpi_available() && hepcat::launched_by_mpi())
    hepcat::set_world(hepcat::mpi_communicator(&argc, &argv));
  const int code = run(argc, argv);
  hepcat::set_world(nullptr);
  return code;
}
