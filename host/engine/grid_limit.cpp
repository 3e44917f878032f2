// The grid cap of kernels/grid_limit.hpp: plain host state, so that every build (with or without
// CUDA) links the tests that set it.
#include <atomic>

#include "kernels/grid_limit.hpp"

namespace hepcat::cuda {
namespace {
std::atomic<int> g_grid_limit{0};
}  // namespace

void set_grid_limit(int max_blocks) {
  g_grid_limit.store(max_blocks > 0 ? max_blocks : 0);
}

int grid_limit() {
  return g_grid_limit.load();
}

}  // namespace hepcat::cuda
