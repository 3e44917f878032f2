// The one deterministic reduction over events. Events are cut into fixed-size chunks
// (kReductionChunk, independent of threads, blocks, devices and processes); each chunk is summed
// in event order into its own zeroed partial, and the partials are added in chunk order, in
// double. The result is then the same bit for bit on any thread count. Segments (e.g. the grid
// cells of the cut scan, whose events are sorted by cell) are chunked separately and reduced into
// their own slice of the output.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

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
/// out[s * width, (s + 1) * width) the chunk-ordered sum of segment s's partials.
template <class Body>
void reduce_segments(const std::size_t* offsets, std::size_t n_segments, std::size_t width,
                     double* out, Body body) {
  std::vector<ReductionChunk> chunks;
  for (std::size_t s = 0; s < n_segments; ++s)
    for (std::size_t b = offsets[s]; b < offsets[s + 1]; b += kReductionChunk)
      chunks.push_back({s, b, std::min(b + kReductionChunk, offsets[s + 1])});
  std::fill(out, out + n_segments * width, 0.0);
  // Chunks run in waves so that the partials held at once stay few; the waves do not change the
  // order of the additions.
  const int threads = max_threads();
  const std::size_t wave =
      std::min(chunks.size(), std::max<std::size_t>(64, 4 * static_cast<std::size_t>(threads)));
  std::vector<double> partial(wave * width);
  for (std::size_t w0 = 0; w0 < chunks.size(); w0 += wave) {
    const std::size_t nw = std::min(wave, chunks.size() - w0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (nw > 1)
    for (std::int64_t c = 0; c < static_cast<std::int64_t>(nw); ++c) {
      double* p = partial.data() + static_cast<std::size_t>(c) * width;
      std::fill(p, p + width, 0.0);
      body(chunks[w0 + c], p);
    }
    for (std::size_t c = 0; c < nw; ++c) {
      const double* p = partial.data() + c * width;
      double* o = out + chunks[w0 + c].segment * width;
      for (std::size_t q = 0; q < width; ++q) o[q] += p[q];
    }
  }
}

/// reduce_segments over one segment of n events, calling body(i, partial) for each event i in
/// order within its chunk.
template <class Body>
void reduce_events(std::size_t n, std::size_t width, double* out, Body body) {
  const std::size_t offsets[2] = {0, n};
  reduce_segments(offsets, 1, width, out, [&](const ReductionChunk& c, double* partial) {
    for (std::size_t i = c.begin; i < c.end; ++i) body(i, partial);
  });
}

/// The deterministic sum over i in [0, n) of term(i).
template <class Term>
double sum_events(std::size_t n, Term term) {
  double s = 0;
  reduce_events(n, 1, &s, [&](std::size_t i, double* partial) { *partial += term(i); });
  return s;
}

}  // namespace hepcat::cpu
