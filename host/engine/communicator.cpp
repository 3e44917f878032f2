#include "hepcat/communicator.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "hepcat/error.hpp"
#include "host/engine/communicator_tree.hpp"
#include "host/engine/reduce.hpp"

namespace hepcat {

RowRange shard_rows(std::size_t rows, std::size_t chunk_rows, int rank, int ranks) {
  if (chunk_rows == 0) throw Error("shard_rows: the chunk size must be positive");
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw Error("shard_rows: rank " + std::to_string(rank) + " is not one of " +
                std::to_string(ranks) + " ranks");
  const std::size_t chunks = (rows + chunk_rows - 1) / chunk_rows;
  const auto n = static_cast<std::size_t>(ranks), r = static_cast<std::size_t>(rank);
  const std::size_t base = chunks / n, extra = chunks % n;
  const std::size_t first = r * base + std::min(r, extra);
  const std::size_t count = base + (r < extra ? 1 : 0);
  RowRange range;
  range.begin = std::min(rows, first * chunk_rows);
  range.end = std::min(rows, (first + count) * chunk_rows);
  return range;
}

RowRange my_rows(std::size_t rows) {
  const std::size_t chunks = (rows + cpu::kReductionChunk - 1) / cpu::kReductionChunk;
  if (chunks < static_cast<std::size_t>(world().size()))
    throw Error(std::to_string(world().size()) + " ranks for a sample of " + std::to_string(rows) +
                " rows, fewer than one chunk of " + std::to_string(cpu::kReductionChunk) +
                " rows per rank");
  return shard_rows(rows, cpu::kReductionChunk, world().rank(), world().size());
}

Communicator::~Communicator() = default;

namespace {

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::string name() const override { return "single process"; }
  void sum_chunks(const double* local, std::size_t chunks, std::size_t width,
                  double* out) const override {
    const std::vector<detail::ChunkBlock> blocks = detail::tree_blocks(0, chunks);
    std::vector<double> sums(blocks.size() * width);
    detail::block_sums(local, 0, blocks, width, sums.data());
    detail::tree_total(chunks, blocks, sums.data(), width, out);
  }
  void min(double*, std::size_t) const override {}
  void max(double*, std::size_t) const override {}
  void broadcast(void*, std::size_t, int) const override {}
  void barrier() const override {}
  std::size_t bytes_received() const override { return 0; }
  [[noreturn]] void abort(int code) const override { std::exit(code); }
};

std::unique_ptr<Communicator>& installed() {
  static std::unique_ptr<Communicator> world = single_process_communicator();
  return world;
}

}  // namespace

std::unique_ptr<Communicator> single_process_communicator() {
  return std::make_unique<SingleProcess>();
}

bool launched_by_mpi() {
  // Open MPI's mpirun, MPICH/Hydra (PMI), PMIx launchers (srun --mpi=pmix, prterun).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

const Communicator& world() {
  return *installed();
}

void set_world(std::unique_ptr<Communicator> communicator) {
  installed() = communicator ? std::move(communicator) : single_process_communicator();
}

}  // namespace hepcat
