// The events of one sample shared over the ranks of the run (hepcat::world()): each rank holds
// a shard of whole reduction chunks (host/engine/reduce.hpp), so that the reduction's tree over
// chunk indices, and with it every byte of the result, is that of one process.
#pragma once

#include <cstddef>
#include <vector>

#include "hepcat/communicator.hpp"
#include "host/engine/reduce.hpp"

namespace hepcat::detail {

/// The rows of a `rows`-row sample that this rank holds under world().
inline RowRange my_shard(std::size_t rows) {
  return shard_rows(rows, cpu::kReductionChunk, world().rank(), world().size());
}

/// The number of rows of a sample over all ranks, given this rank's (exact: counts stay far
/// below 2^53).
inline std::size_t rows_over_ranks(std::size_t mine) {
  const double local = static_cast<double>(mine);
  double all = 0;
  world().sum_chunks(&local, 1, 1, &all);
  return static_cast<std::size_t>(all);
}

/// Adds a sum this rank computed over its whole shard (a GPU pass) to those of the other ranks,
/// in rank order: correct to rounding, but its bytes depend on the number of ranks.
inline void add_over_ranks(std::vector<double>& sums) {
  if (world().size() == 1) return;
  const std::vector<double> mine = sums;
  world().sum_chunks(mine.data(), 1, mine.size(), sums.data());
}

}  // namespace hepcat::detail
