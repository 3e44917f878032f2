// The second half of every "per-block partial sums, then one small reduction" pass: sizing the
// grid of the streaming kernel, and adding the blocks' float partials in double.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace hepcat::cuda {

/// Blocks of `threads` for a grid-stride pass over n items: `blocks_per_sm` per multiprocessor to
/// fill the device, never more than the items need, at least one.
int grid_stride_blocks(int multiprocessors, std::size_t n, int threads, int blocks_per_sm);

/// d_out[c] = sum over b < n_blocks of d_partial[b * width + c], accumulated in double in block
/// order, so the result does not depend on how the blocks were scheduled.
void launch_sum_block_partials(const float* d_partial, int n_blocks, int width, double* d_out,
                               cudaStream_t stream);

}  // namespace hepcat::cuda
