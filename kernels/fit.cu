// Batched binned fits: a tile of N lanes per fit (N = 4, 8, 16 by the number of free
// parameters), the whole Levenberg-Marquardt loop in one launch, nothing crossing to the host
// until the results (docs/fits.md).
//
// Layout. One thread per fit keeps the whole state of a fit in the thread: the normal equations
// (H, the trial H and the factor: 3 N^2 doubles), the Dual<N> parameters (16 (N + 1)) and, at
// the end, the Dual2<N> ones for the exact Hessian (16 (N + 1) (N + 2) / 2): ~1,100 doubles at
// N = 16 and ~2,500 more for the Hessian, all in local memory, spilled to L2/HBM and re-read
// for every bin. Here lane r of the tile carries only the derivative of free slot r
// (math::SerialLanes describes the split): its model evaluation is a Dual<1> (2 doubles per
// value), it accumulates row r of J^T C J and g[r] in N + 1 registers, and gets the other
// lanes' derivatives of each bin by shuffles. Every lane walks every bin and reads the same
// histogram value (one broadcast transaction per tile), and every entry is summed over the bins
// in order, as on the CPU. The N x N system, its factor, the step and its acceleration
// (math::FitWorkspace: 3 N^2 + 5 N + 2 doubles, 6.8 KiB at N = 16) live in shared memory;
// lane 0 factors and solves it (N^3 / 6 multiply-adds, ~700 at N = 16, once or twice per
// iteration) while the others wait at the tile's barrier. The exact Hessian is shared out by
// entry: each lane evaluates width-2 second-order duals (6 doubles per value) for its
// N (N + 1) / 2 / N entries. What remains per thread in local memory, read from L1, are the
// model's parameter arrays indexed at run time (16 Dual<1>, DualDir<1> or Dual2<2>, the point and
// the trial point), the FitProblem copies of the profile and background-only fits, and a few
// hundred bytes of spills.
//
// Why a tile of N for every N, four lanes at N = 4 too: one thread per fit at N = 4 still had
// 255 registers and an 8 KB stack (figures below); four lanes keep the hot state in registers
// and a 128-thread block still holds 32 fits.
//
// Occupancy (H200: 64 K registers, 228 KiB shared memory and 64 warps per SM). Shared memory
// per block: 128 threads = 32 fits x 0.55 KiB at N = 4, 16 fits x 1.9 KiB at N = 8, and
// 64 threads = 4 fits x 6.8 KiB at N = 16 (27 KiB, under the 48 KiB of static shared memory).
// Unbounded, ptxas gives every N 255 registers (4 blocks of 64 or 2 of 128 threads: 8 warps per
// SM); min_blocks caps them at 128, for 16 warps per SM at every N (at N = 16 shared memory
// allows 8 blocks as well), at the price of ~0.6 KiB of spills per thread, which stay in L1.
// The lanes are latency-bound on the model's exp and the shuffles, which more warps hide.
// `nvcc -Xptxas -v -arch=sm_90` on this file, per N = 4 / 8 / 16: cumulative stack
// 5248 / 5264 / 5328 bytes, run_fit spills 494 / 494 / 562 bytes; before this layout (one
// thread per fit) 8016 / 18272 / 92288 bytes of stack, the Dual2<N> Hessian alone spilling
// 2.6 / 27 / 136 KB. Unverified on hardware: no GPU was available.
//
// Compile time: the kernel instantiates only Dual<1>, DualDir<1> and Dual2<2> whatever N (the
// wide duals are the CPU's): one architecture takes ~1 minute of CPU time, 4.5 before.
#include <cooperative_groups.h>

#include "hepcat/error.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/fit.hpp"
#include "kernels/grid.cuh"

namespace hepcat::cuda {
namespace {

namespace cg = cooperative_groups;

/// The lanes of one fit (see math::SerialLanes): a tile of G threads of the block.
template <int G>
struct TileLanes {
  static constexpr int kSize = G;
  cg::thread_block_tile<G> tile;
  __device__ int rank() const { return static_cast<int>(tile.thread_rank()); }
  template <class T>
  __device__ T shfl(T x, int lane) const {
    return tile.shfl(x, lane);
  }
  __device__ void sync() const { tile.sync(); }
};

/// Threads per block: fits per block x N lanes, within 48 KiB of static shared memory.
template <int N>
constexpr int block_threads() {
  return N == 16 ? 64 : 128;
}

/// Blocks per SM the register budget must allow: 128 registers per thread (see above).
template <int N>
constexpr int min_blocks() {
  return 65536 / 128 / block_threads<N>();
}

template <int N>
__global__ void __launch_bounds__(block_threads<N>(), min_blocks<N>())
    batched_fit_kernel(const math::FitProblem<double> problem, const double* __restrict__ edges,
                       std::size_t n_fits, const double* __restrict__ histograms,
                       const double* __restrict__ variances, const math::FitOutputs<double> out) {
  constexpr int kFitsPerBlock = block_threads<N>() / N;
  __shared__ math::FitWorkspace<double, N> workspace[kFitsPerBlock];
  const TileLanes<N> lanes{cg::tiled_partition<N>(cg::this_thread_block())};
  const unsigned slot = threadIdx.x / N;
  // A block takes kFitsPerBlock fits at a time (kernels/grid.cuh's block_stride); the tile's
  // lanes share i, so the test below and every branch inside the fit are uniform per tile.
  block_stride((n_fits + kFitsPerBlock - 1) / kFitsPerBlock, [&](std::size_t b) {
    const std::size_t i = b * kFitsPerBlock + slot;
    if (i < n_fits)
      math::fit_one<N>(lanes, workspace[slot], problem, edges, histograms, variances, out, i);
  });
}

template <int N>
void launch(const math::FitProblem<double>& problem, const double* d_edges, std::size_t n_fits,
            const double* d_histograms, const double* d_variances,
            const math::FitOutputs<double>& out, cudaStream_t stream) {
  constexpr int kFitsPerBlock = block_threads<N>() / N;
  const int blocks = grid_blocks(batched_fit_kernel<N>,
                                 (n_fits + kFitsPerBlock - 1) / kFitsPerBlock, block_threads<N>());
  batched_fit_kernel<N><<<blocks, block_threads<N>(), 0, stream>>>(problem, d_edges, n_fits,
                                                                   d_histograms, d_variances, out);
  HEPCAT_LAUNCH_CHECK(stream, "batched_fit_kernel");
}

}  // namespace

void launch_batched_fit(const math::FitProblem<double>& problem, const double* d_edges,
                        std::size_t n_fits, const double* d_histograms, const double* d_variances,
                        const math::FitOutputs<double>& out, cudaStream_t stream) {
  if (n_fits == 0) return;
  switch (math::dual_width(problem.n_free)) {
    case 4:
      return launch<4>(problem, d_edges, n_fits, d_histograms, d_variances, out, stream);
    case 8:
      return launch<8>(problem, d_edges, n_fits, d_histograms, d_variances, out, stream);
    default:
      return launch<16>(problem, d_edges, n_fits, d_histograms, d_variances, out, stream);
  }
}

}  // namespace hepcat::cuda
