#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "hepcat/communicator.hpp"

namespace {

using hepcat::world;

// Chunk partials whose sum depends on the order of addition: magnitudes spread over 30 decades
// and both signs, so any other association than chunk order changes the last bits.
std::vector<double> global_partials(std::size_t chunks, std::size_t width) {
  std::vector<double> v(chunks * width);
  std::uint64_t s = 0x9e3779b97f4a7c15ull;
  for (double& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    const double u = static_cast<double>(s >> 11) / 9007199254740992.0;
    x = (u - 0.5) * std::pow(10.0, static_cast<double>((s >> 3) % 31) - 15.0);
  }
  return v;
}

// The reference order, written level by level: neighbours (2i, 2i + 1) are added, a last one
// without a neighbour moves up unchanged, until one partial is left.
std::vector<double> pairwise(const std::vector<double>& all, std::size_t chunks,
                             std::size_t width) {
  if (chunks == 0) return std::vector<double>(width, 0.0);
  std::vector<std::vector<double>> level;
  for (std::size_t c = 0; c < chunks; ++c)
    level.emplace_back(all.begin() + c * width, all.begin() + (c + 1) * width);
  while (level.size() > 1) {
    std::vector<std::vector<double>> up;
    for (std::size_t i = 0; i < level.size(); i += 2) {
      up.push_back(level[i]);
      if (i + 1 < level.size())
        for (std::size_t j = 0; j < width; ++j) up.back()[j] += level[i + 1][j];
    }
    level = up;
  }
  return level.front();
}

bool same_bytes(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace

TEST_CASE("the world is MPI_COMM_WORLD: ranks are numbered 0..size-1 and agree on the size") {
  const auto& w = world();
  REQUIRE(w.size() >= 1);
  REQUIRE(w.rank() >= 0);
  REQUIRE(w.rank() < w.size());
  REQUIRE(w.local_rank() <= w.rank());
  double size = w.size();
  w.min(&size, 1);
  CHECK(size == w.size());
}

TEST_CASE("chunk sums over ranks have the bytes of one process adding every chunk pairwise") {
  const auto& w = world();
  for (std::size_t chunks : {0, 1, 2, 3, 5, 13, 64, 100}) {
    const std::size_t width = 7;
    const std::vector<double> all = global_partials(chunks, width);
    const std::vector<double> expected = pairwise(all, chunks, width);
    const hepcat::RowRange mine = hepcat::shard_rows(chunks, 1, w.rank(), w.size());
    std::vector<double> got(width, -1.0);
    w.sum_chunks(all.data() + mine.begin * width, mine.size(), width, got.data());
    INFO("chunks " << chunks << ", ranks " << w.size());
    CHECK(same_bytes(got, expected));
  }
}

TEST_CASE("ranks exchange a few partials per level of the chunk tree, not every chunk") {
  const auto& w = world();
  const std::size_t chunks = 4096, width = 5;
  const std::vector<double> all = global_partials(chunks, width);
  const hepcat::RowRange mine = hepcat::shard_rows(chunks, 1, w.rank(), w.size());
  std::vector<double> got(width);
  const std::size_t before = w.bytes_received();
  w.sum_chunks(all.data() + mine.begin * width, mine.size(), width, got.data());
  const std::size_t received = w.bytes_received() - before;
  // Each other rank sends its chunk count and at most two blocks per level of a 12-level tree.
  const std::size_t others = static_cast<std::size_t>(w.size() - 1);
  CHECK(received <= others * (8 + 2 * 13 * width * sizeof(double)));
  CHECK((received > 0) == (others > 0));
}

TEST_CASE("minimum and maximum over ranks are the extremes of every rank's values") {
  const auto& w = world();
  std::vector<double> lo = {static_cast<double>(w.rank()), -1.5 * w.rank()};
  std::vector<double> hi = lo;
  w.min(lo.data(), lo.size());
  w.max(hi.data(), hi.size());
  CHECK(lo == std::vector<double>{0.0, -1.5 * (w.size() - 1)});
  CHECK(hi == std::vector<double>{static_cast<double>(w.size() - 1), 0.0});
}

TEST_CASE("broadcast copies the root's bytes to every rank") {
  const auto& w = world();
  const int root = w.size() - 1;
  std::uint64_t value = w.rank() == root ? 0x0123456789abcdefull : 0;
  w.broadcast(&value, sizeof value, root);
  CHECK(value == 0x0123456789abcdefull);
  w.barrier();
}

TEST_CASE("shards are whole chunks, contiguous in rank order, and cover every row once") {
  for (std::size_t rows : {0, 1, 9, 10, 11, 1000, 1001}) {
    for (int ranks : {1, 2, 3, 7}) {
      std::size_t next = 0;
      for (int r = 0; r < ranks; ++r) {
        const hepcat::RowRange s = hepcat::shard_rows(rows, 10, r, ranks);
        INFO("rows " << rows << ", rank " << r << " of " << ranks);
        CHECK(s.begin == next);
        CHECK((s.begin % 10 == 0 || s.begin == rows));  // empty shards sit at the end
        CHECK((s.end % 10 == 0 || s.end == rows));
        // As even as whole chunks allow: at most one chunk more than an even share.
        CHECK(s.size() <= (rows + 9) / 10 / ranks * 10 + 10);
        next = s.end;
      }
      CHECK(next == rows);
    }
  }
  CHECK_THROWS_WITH(hepcat::shard_rows(10, 0, 0, 1), Catch::Contains("chunk size"));
  CHECK_THROWS_WITH(hepcat::shard_rows(10, 1, 2, 2), Catch::Contains("rank 2 is not one of 2"));
}

TEST_CASE("the single-process communicator adds chunks pairwise and exchanges nothing") {
  const auto one = hepcat::single_process_communicator();
  CHECK(one->rank() == 0);
  CHECK(one->size() == 1);
  for (std::size_t chunks : {1, 2, 7, 9, 33}) {
    const std::vector<double> all = global_partials(chunks, 3);
    std::vector<double> got(3);
    one->sum_chunks(all.data(), chunks, 3, got.data());
    INFO("chunks " << chunks);
    CHECK(same_bytes(got, pairwise(all, chunks, 3)));
  }
  std::vector<double> none(3, -1.0);
  one->sum_chunks(nullptr, 0, 3, none.data());
  CHECK(none == std::vector<double>(3, 0.0));
}
