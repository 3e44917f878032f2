// The one deterministic reduction over events. Events are cut into fixed-size chunks
// (kReductionChunk, independent of threads, blocks, devices and processes); each chunk is summed
// in event order into its own zeroed partial, and the partials are added in double along one
// pairwise tree over the chunk indices by hepcat::world() (Communicator::sum_chunks): with one
// process that is all the chunks; under MPI each rank holds a shard of whole chunks and the tree
// runs over the chunks of all ranks. The result is then the same bit for bit on any thread count
// and any number of ranks. Segments (e.g. the grid cells of the cut scan, whose events are sorted
// by cell) are chunked separately and reduced into their own slice of the output.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hepcat/communicator.hpp"
#include "hepcat/math/limits.hpp"
#include "host/engine/parallel.hpp"

namespace hepcat::cpu {

/// Events per chunk of the deterministic reduction (the same chunks on every backend).
using math::kReductionChunk;

/// One chunk: events [begin, end) of segment `segment`.
struct ReductionChunk {
  std::size_t segment, begin, end;
};

/// Segment s holds events [offsets[s], offsets[s + 1]). Calls body(chunk, partial) for every
/// chunk, over the OpenMP threads, with `partial` `width` zeroed doubles, and writes to
/// out[s * width, (s + 1) * width) the sum of segment s's partials (over all ranks under MPI).
/// Every partial is kept until the end: chunks * width doubles (15 MB for 1e9 events and 30
/// sums), so that the tree can add them in its order.
/// Each thread gets at least `grain` events (threads_for; 0: no minimum); the split never changes
/// the chunks.
template <class Body>
void reduce_segments(const std::size_t* offsets, std::size_t n_segments, std::size_t width,
                     double* out, Body body, std::size_t grain = 0) {
  std::vector<ReductionChunk> chunks;
  std::vector<std::size_t> first(n_segments + 1, 0);  // segment s: chunks [first[s], first[s+1])
  for (std::size_t s = 0; s < n_segments; ++s) {
    for (std::size_t b = offsets[s]; b < offsets[s + 1]; b += kReductionChunk)
      chunks.push_back({s, b, std::min(b + kReductionChunk, offsets[s + 1])});
    first[s + 1] = chunks.size();
  }
  std::vector<double> partial(chunks.size() * width, 0.0);
  const int threads = threads_for(offsets[n_segments] - offsets[0], grain);
#pragma omp parallel for schedule(dynamic, 1) \
    num_threads(threads) if (threads > 1 && chunks.size() > 1)
  for (std::int64_t c = 0; c < static_cast<std::int64_t>(chunks.size()); ++c)
    body(chunks[static_cast<std::size_t>(c)], partial.data() + static_cast<std::size_t>(c) * width);
  for (std::size_t s = 0; s < n_segments; ++s)
    world().sum_chunks(partial.data() + first[s] * width, first[s + 1] - first[s], width,
                       out + s * width);
}

/// reduce_segments over one segment of n events, calling body(i, partial) for each event i in
/// order within its chunk, each thread getting at least `grain` events.
template <class Body>
void reduce_events(std::size_t n, std::size_t width, double* out, Body body,
                   std::size_t grain = 0) {
  const std::size_t offsets[2] = {0, n};
  reduce_segments(
      offsets, 1, width, out,
      [&](const ReductionChunk& c, double* partial) {
        for (std::size_t i = c.begin; i < c.end; ++i) body(i, partial);
      },
      grain);
}

/// The deterministic sum over i in [0, n) of term(i).
template <class Term>
double sum_events(std::size_t n, Term term) {
  double s = 0;
  reduce_events(n, 1, &s, [&](std::size_t i, double* partial) { *partial += term(i); });
  return s;
}

}  // namespace hepcat::cpu
