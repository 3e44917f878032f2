// Runs device sums with the grid capped at 1 and 7 blocks and with the grid policy's own size,
// and requires the same bytes each time (kernels/chunk_sums.cuh). For the GPU test binary, which
// links the library's objects.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <vector>

#include "kernels/grid_limit.hpp"

namespace hepcat::test {

inline void require_same_bytes_for_any_grid(const std::function<std::vector<double>()>& sums) {
  std::vector<std::vector<double>> runs;
  for (int limit : {0, 1, 7}) {
    cuda::set_grid_limit(limit);
    runs.push_back(sums());
  }
  cuda::set_grid_limit(0);
  for (std::size_t r = 1; r < runs.size(); ++r) {
    INFO("grid capped at " << (r == 1 ? 1 : 7) << " blocks");
    REQUIRE(runs[r].size() == runs[0].size());
    REQUIRE(std::memcmp(runs[r].data(), runs[0].data(), runs[0].size() * sizeof(double)) == 0);
  }
}

}  // namespace hepcat::test
