// Sums over events that span the ranks of the run (hepcat::world()). Events are cut into chunks
// of kEventChunk rows counted from the start of the sample, each chunk is summed in row order,
// and the chunk partials of every rank are added along one tree over the global chunk indices
// (Communicator::sum_chunks): the bytes depend neither on the thread count nor on the number of
// ranks, as long as each rank's events are a shard of whole chunks (shard_rows, kEventChunk).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hepcat/communicator.hpp"
#include "host/cpu/parallel.hpp"

namespace hepcat::detail {

/// Rows per reduction chunk: large enough that a chunk's partial (a few hundred doubles) is
/// cheap beside its events, small enough that two threads share a sample of 1e4 events.
inline constexpr std::size_t kEventChunk = 4096;

/// The rows of a `rows`-row sample that this rank holds under world().
inline RowRange my_shard(std::size_t rows) {
  return shard_rows(rows, kEventChunk, world().rank(), world().size());
}

/// Runs body(i, partial) for every event i in [0, n) of this rank's shard, each chunk adding into
/// its own zeroed partial of `width` doubles, and writes to out[0, width) the sum over all
/// ranks' chunks (Communicator::sum_chunks).
template <class Body>
void reduce_event_chunks(std::size_t n, std::size_t width, double* out, Body body) {
  const std::size_t chunks = (n + kEventChunk - 1) / kEventChunk;
  std::vector<double> partial(chunks * width, 0.0);
#pragma omp parallel for schedule(static) num_threads(cpu::max_threads())
  for (std::int64_t c = 0; c < static_cast<std::int64_t>(chunks); ++c) {
    double* local = partial.data() + static_cast<std::size_t>(c) * width;
    const std::size_t end = std::min(n, (static_cast<std::size_t>(c) + 1) * kEventChunk);
    for (std::size_t i = static_cast<std::size_t>(c) * kEventChunk; i < end; ++i) body(i, local);
  }
  world().sum_chunks(partial.data(), chunks, width, out);
}

/// Adds a sum this rank computed over its whole shard (a GPU pass) to those of the other ranks,
/// in rank order: correct to rounding, but its bytes depend on the number of ranks.
inline void add_over_ranks(std::vector<double>& sums) {
  if (world().size() == 1) return;
  const std::vector<double> mine = sums;
  world().sum_chunks(mine.data(), 1, mine.size(), sums.data());
}

}  // namespace hepcat::detail
