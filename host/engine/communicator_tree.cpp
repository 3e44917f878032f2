#include "host/engine/communicator_tree.hpp"

#include <algorithm>

namespace hepcat::detail {

namespace {

// Sums node [first, first + size) ∩ [0, end) into out; returns false when it holds no chunk.
// `leaf(first, size)` gives the sums of a node that is a block (or null to descend).
template <class Leaf>
bool node_sum(std::size_t first, std::size_t size, std::size_t end, std::size_t width, Leaf leaf,
              double* out, std::vector<double>& scratch) {
  if (first >= end) return false;
  if (const double* known = leaf(first, size)) {
    std::copy(known, known + width, out);
    return true;
  }
  const std::size_t half = size / 2;
  if (!node_sum(first, half, end, width, leaf, out, scratch)) return false;
  const std::size_t mark = scratch.size();
  scratch.resize(mark + width);
  if (node_sum(first + half, half, end, width, leaf, scratch.data() + mark, scratch))
    for (std::size_t j = 0; j < width; ++j) out[j] += scratch[mark + j];
  scratch.resize(mark);
  return true;
}

std::size_t tree_size(std::size_t chunks) {
  std::size_t size = 1;
  while (size < chunks) size *= 2;
  return size;
}

}  // namespace

std::vector<ChunkBlock> tree_blocks(std::size_t a, std::size_t b) {
  std::vector<ChunkBlock> blocks;
  while (a < b) {
    std::size_t size = 1;
    while ((a % (2 * size)) == 0 && a + 2 * size <= b) size *= 2;
    blocks.push_back({a, size});
    a += size;
  }
  return blocks;
}

void block_sums(const double* partials, std::size_t a, const std::vector<ChunkBlock>& blocks,
                std::size_t width, double* out) {
  std::vector<double> scratch;
  scratch.reserve(64 * width);  // recursion depth is at most 64 levels
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    const ChunkBlock& b = blocks[k];
    const auto chunk = [&](std::size_t first, std::size_t size) -> const double* {
      return size == 1 ? partials + (first - a) * width : nullptr;
    };
    node_sum(b.first, b.size, b.first + b.size, width, chunk, out + k * width, scratch);
  }
}

void tree_total(std::size_t chunks, const std::vector<ChunkBlock>& blocks, const double* sums,
                std::size_t width, double* out) {
  std::fill(out, out + width, 0.0);
  std::vector<double> scratch;
  scratch.reserve(64 * width);
  std::size_t next = 0;  // blocks are in order: the one a descent meets next
  const auto block = [&](std::size_t first, std::size_t size) -> const double* {
    while (next < blocks.size() && blocks[next].first < first) ++next;
    if (next < blocks.size() && blocks[next].first == first && blocks[next].size == size)
      return sums + next * width;
    return nullptr;
  };
  node_sum(0, tree_size(chunks), chunks, width, block, out, scratch);
}

}  // namespace hepcat::detail
