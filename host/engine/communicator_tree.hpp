// The one order in which chunk partials are added, whatever the number of ranks: a pairwise tree
// over global chunk indices. Level 0 holds the chunks; each level adds neighbours (2i, 2i + 1)
// of the level below, and a last one without a neighbour moves up unchanged. A rank holding
// chunks [a, b) sums the aligned blocks of the tree that lie inside [a, b) (at most two per
// level), so ranks exchange O(log chunks) partials instead of every chunk, and every rank then
// adds the blocks of all ranks along the same tree: the bytes of one process.
#pragma once

#include <cstddef>
#include <vector>

namespace hepcat::detail {

/// Chunks [first, first + size) of the tree: `size` is a power of two and `first` a multiple of
/// it (a node of the tree).
struct ChunkBlock {
  std::size_t first = 0;
  std::size_t size = 0;
};

/// The largest tree nodes that tile chunks [a, b), in order.
std::vector<ChunkBlock> tree_blocks(std::size_t a, std::size_t b);

/// The sums of `blocks` (tree_blocks(a, b)) from the chunk partials of chunks [a, b) (chunk c's
/// `width` values at partials[(c - a) * width]): block k's sums at out[k * width].
void block_sums(const double* partials, std::size_t a, const std::vector<ChunkBlock>& blocks,
                std::size_t width, double* out);

/// The sum of all `chunks` chunks along the tree, from the sums of blocks that tile [0, chunks)
/// in order (those of every rank, rank after rank). 0 without chunks.
void tree_total(std::size_t chunks, const std::vector<ChunkBlock>& blocks, const double* sums,
                std::size_t width, double* out);

}  // namespace hepcat::detail
