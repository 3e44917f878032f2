// The communicator over MPI_COMM_WORLD. Sums over events are exchanged as the sums of each
// rank's blocks of the chunk tree (an allgather) and added on every rank along the same tree,
// never by MPI_SUM, whose association order depends on the number of ranks and the library.
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "hepcat/communicator.hpp"
#include "hepcat/error.hpp"
#include "host/engine/communicator_tree.hpp"

#ifdef HEPCAT_HAVE_MPI
#include <mpi.h>
#endif

namespace hepcat {

#ifdef HEPCAT_HAVE_MPI

namespace {

int checked_count(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(INT_MAX))
    throw Error(std::string("MPI: ") + what + " of " + std::to_string(n) +
                " elements exceeds one message");
  return static_cast<int>(n);
}

std::size_t first_of(const std::vector<detail::ChunkBlock>& blocks) {
  return blocks.empty() ? 0 : blocks.front().first;
}

class Mpi final : public Communicator {
 public:
  Mpi(int* argc, char*** argv) {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      // Only the thread that made the communicator calls MPI; OpenMP threads never do.
      int provided = 0;
      if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        throw Error("MPI: MPI_Init failed");
      owns_mpi_ = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank_);
    MPI_Comm_free(&node);
  }

  ~Mpi() override {
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (owns_mpi_ && !finalised) MPI_Finalize();
  }

  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  std::string name() const override {
    return "MPI (" + std::to_string(size_) + (size_ == 1 ? " rank)" : " ranks)");
  }

  void sum_chunks(const double* local, std::size_t chunks, std::size_t width,
                  double* out) const override {
    std::vector<std::int64_t> counts(static_cast<std::size_t>(size_));
    const auto mine = static_cast<std::int64_t>(chunks);
    MPI_Allgather(&mine, 1, MPI_INT64_T, counts.data(), 1, MPI_INT64_T, MPI_COMM_WORLD);
    // Every rank knows every rank's tree blocks from the counts; only their sums travel.
    std::vector<detail::ChunkBlock> all, my_blocks;
    std::vector<int> elements(counts.size()), offsets(counts.size());
    std::size_t first = 0, total = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      const auto n = static_cast<std::size_t>(counts[r]);
      const std::vector<detail::ChunkBlock> blocks = detail::tree_blocks(first, first + n);
      if (static_cast<int>(r) == rank_) my_blocks = blocks;
      all.insert(all.end(), blocks.begin(), blocks.end());
      elements[r] = checked_count(blocks.size() * width, "a chunk exchange");
      offsets[r] = checked_count(total, "a chunk exchange");
      total += blocks.size() * width;
      first += n;
    }
    std::vector<double> mine_sums(my_blocks.size() * width), sums(total);
    detail::block_sums(local, first_of(my_blocks), my_blocks, width, mine_sums.data());
    MPI_Allgatherv(mine_sums.data(), elements[static_cast<std::size_t>(rank_)], MPI_DOUBLE,
                   sums.data(), elements.data(), offsets.data(), MPI_DOUBLE, MPI_COMM_WORLD);
    received_ +=
        (counts.size() - 1) * sizeof(std::int64_t) + (total - mine_sums.size()) * sizeof(double);
    detail::tree_total(first, all, sums.data(), width, out);
  }

  void min(double* values, std::size_t n) const override {
    MPI_Allreduce(MPI_IN_PLACE, values, checked_count(n, "a minimum"), MPI_DOUBLE, MPI_MIN,
                  MPI_COMM_WORLD);
    if (size_ > 1) received_ += n * sizeof(double);
  }
  void max(double* values, std::size_t n) const override {
    MPI_Allreduce(MPI_IN_PLACE, values, checked_count(n, "a maximum"), MPI_DOUBLE, MPI_MAX,
                  MPI_COMM_WORLD);
    if (size_ > 1) received_ += n * sizeof(double);
  }
  void broadcast(void* data, std::size_t bytes, int root) const override {
    MPI_Bcast(data, checked_count(bytes, "a broadcast"), MPI_BYTE, root, MPI_COMM_WORLD);
    if (rank_ != root) received_ += bytes;
  }
  void barrier() const override { MPI_Barrier(MPI_COMM_WORLD); }
  std::size_t bytes_received() const override { return received_; }
  [[noreturn]] void abort(int code) const override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  bool owns_mpi_ = false;
  mutable std::size_t received_ = 0;  ///< counted by the const exchanges
};

}  // namespace

bool mpi_available() {
  return true;
}

std::unique_ptr<Communicator> mpi_communicator(int* argc, char*** argv) {
  return std::make_unique<Mpi>(argc, argv);
}

#else

bool mpi_available() {
  return false;
}

std::unique_ptr<Communicator> mpi_communicator(int*, char***) {
  throw Error("this build of hepcat has no MPI support (configure with HEPCAT_ENABLE_MPI=ON)");
}

#endif

}  // namespace hepcat
