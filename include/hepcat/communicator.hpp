// The processes one run is spread over (MPI ranks), and the few exchanges training needs. Events
// are sharded over ranks in whole reduction chunks; every sum over events is a sum of per-chunk
// partials taken in one order fixed by the global chunk indices, so any number of ranks gives
// the bytes of one process.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "hepcat/api.hpp"

namespace hepcat {

/// A contiguous range of rows [begin, end).
struct RowRange {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t size() const { return end - begin; }
};

/// The rows of a `rows`-row sample that rank `rank` of `ranks` holds: whole chunks of
/// `chunk_rows` (the last chunk of the sample may be shorter), contiguous, in rank order, the
/// chunks split as evenly as possible (the first ranks take one more). The ranges of all ranks
/// partition [0, rows), and chunk boundaries are those of one process. Throws Error for
/// chunk_rows == 0 or rank outside [0, ranks).
HEPCAT_API RowRange shard_rows(std::size_t rows, std::size_t chunk_rows, int rank, int ranks);

/// The rows of a `rows`-row sample that this rank of world() holds: shard_rows in the chunks of
/// the engine's reduction over events. Throws Error when a rank would hold no chunk.
HEPCAT_API RowRange my_rows(std::size_t rows);

/// The exchanges between the ranks of one run. Every member is collective except rank(),
/// size(), local_rank(), name() and abort(): all ranks call it in the same order.
class HEPCAT_API Communicator {
 public:
  virtual ~Communicator();
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Rank among the ranks on this node (picks the GPU when a node has several).
  virtual int local_rank() const = 0;
  /// "single process" or "MPI (N ranks)".
  virtual std::string name() const = 0;

  /// Sum over all ranks' chunks: `local` holds this rank's `chunks` consecutive chunk partials
  /// (chunk c's `width` values at local[c * width]), rank r's chunks come before rank r + 1's.
  /// Writes to out[0, width), on every rank, the partials added in double along one fixed
  /// pairwise tree over the global chunk indices (neighbours 2i and 2i + 1 at each level; a last
  /// one without a neighbour moves up as it is; 0 without chunks): the same bytes as one process
  /// holding all chunks, whatever the number of ranks. Ranks exchange O(log chunks) partials.
  virtual void sum_chunks(const double* local, std::size_t chunks, std::size_t width,
                          double* out) const = 0;
  /// Element-wise minimum or maximum over ranks, in place (exact, so order does not matter).
  virtual void min(double* values, std::size_t n) const = 0;
  virtual void max(double* values, std::size_t n) const = 0;
  /// Copies `bytes` bytes at `data` from rank `root` to every rank.
  virtual void broadcast(void* data, std::size_t bytes, int root) const = 0;
  virtual void barrier() const = 0;
  /// Payload bytes this rank has received from the other ranks so far (0 for one process):
  /// what the exchanges cost, as docs/scale-out.md and the rank_exchange benchmark report it.
  virtual std::size_t bytes_received() const = 0;
  /// Ends every rank of the run with exit status `code` (one process: std::exit).
  [[noreturn]] virtual void abort(int code) const = 0;
};

/// The communicator of a run of one process (sum_chunks adds the chunks along the tree).
HEPCAT_API std::unique_ptr<Communicator> single_process_communicator();

/// True when this build of the library was compiled with MPI.
HEPCAT_API bool mpi_available();

/// The communicator over MPI_COMM_WORLD. Initialises MPI (a program started without mpirun
/// runs as a singleton: one rank) when it is not initialised yet, and then finalises it when
/// destroyed.
/// Throws Error in builds without MPI.
HEPCAT_API std::unique_ptr<Communicator> mpi_communicator(int* argc, char*** argv);

/// True when this process was started by an MPI launcher (mpirun, mpiexec, srun with PMI/PMIx):
/// the launcher's rank variables are set in the environment.
HEPCAT_API bool launched_by_mpi();

/// The communicator the library's reductions use: single_process_communicator() until
/// set_world() installs another. Programs set it once, before any Context is made, and reset it
/// (nullptr: the single-process communicator again) before they return, which finalises MPI.
HEPCAT_API const Communicator& world();
HEPCAT_API void set_world(std::unique_ptr<Communicator> communicator);

}  // namespace hepcat
