// A cap on the grid of every launch that follows the grid policy (kernels/grid.cuh), for tests
// that check that results do not depend on the grid. Plain C++: callable from host code.
#pragma once

namespace hepcat::cuda {

/// Blocks per launch at most from now on in this process; 0 (the default) removes the cap.
void set_grid_limit(int max_blocks);
/// The current cap, 0 when none.
int grid_limit();

}  // namespace hepcat::cuda
