// What ranks exchange per training step of `hepcat bin` under MPI: the chunk partials of the
// per-bin sums (pass 1) and of the event-value gradient (pass 2), each added over all ranks in
// global chunk order. Run under `mpirun -np N hepcat-bench --workload rank_exchange`; with one
// process it measures the local chunk addition alone.
#include <vector>

#include "bench/bench.hpp"
#include "hepcat/communicator.hpp"
#include "host/engine/communicator_reduce.hpp"

namespace hepcat::bench {

namespace {

// The GATO 3-class default: 2 sums x 3 process groups x 5 bins, and the gradient of a 5-component
// 2D GMM's event values (means 10, Cholesky factors 15, log-weights 5).
constexpr std::size_t kSumsWidth = 30;
constexpr std::size_t kGradientWidth = 30;

}  // namespace

Workload rank_exchange_workload() {
  Workload w;
  w.name = "rank_exchange";
  w.unit = "events";
  // Every rank receives every chunk's partials of both passes.
  w.bytes_per_item =
      (kSumsWidth + kGradientWidth) * sizeof(double) / static_cast<double>(cpu::kReductionChunk);
  w.prepare = [](Context&, std::size_t n) {
    const std::size_t chunks =
        (detail::my_shard(n).size() + cpu::kReductionChunk - 1) / cpu::kReductionChunk;
    auto sums = std::make_shared<std::vector<double>>(chunks * kSumsWidth, 1.0);
    auto grad = std::make_shared<std::vector<double>>(chunks * kGradientWidth, 1.0);
    auto out = std::make_shared<std::vector<double>>(kSumsWidth + kGradientWidth);
    return [=] {
      world().sum_chunks(sums->data(), chunks, kSumsWidth, out->data());
      world().sum_chunks(grad->data(), chunks, kGradientWidth, out->data() + kSumsWidth);
    };
  };
  return w;
}

}  // namespace hepcat::bench
