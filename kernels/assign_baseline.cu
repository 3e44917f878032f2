// The mass-asymmetry baseline on the GPU: one thread per event runs the shared per-event math
// (math/assign_baseline.hpp), as the CPU loop does.
#include "hepcat/math/assign_baseline.hpp"
#include "kernels/assign_baseline.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/grid.cuh"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 128;

__global__ void mass_asymmetry_split_kernel(
    const float* __restrict__ pt, const float* __restrict__ eta, const float* __restrict__ phi,
    const float* __restrict__ e, const std::uint8_t* __restrict__ mask, std::size_t n_events,
    int max_jets, int leading, std::int8_t* __restrict__ triplets, float* __restrict__ m1,
    float* __restrict__ m2, float* __restrict__ asymmetry) {
  grid_stride(n_events, [&](std::size_t i) {
    const std::size_t s = i * max_jets;
    math::mass_asymmetry_split<double>(pt + s, eta + s, phi + s, e + s, mask + s, max_jets, leading,
                                       triplets + 6 * i, m1 + i, m2 + i, asymmetry + i);
  });
}

}  // namespace

void launch_mass_asymmetry_split(const float* pt, const float* eta, const float* phi,
                                 const float* e, const std::uint8_t* mask, std::size_t n_events,
                                 int max_jets, int leading, std::int8_t* triplets, float* m1,
                                 float* m2, float* asymmetry, cudaStream_t stream) {
  if (n_events == 0) return;
  const int blocks = grid_blocks_for_items(mass_asymmetry_split_kernel, n_events, kThreads);
  mass_asymmetry_split_kernel<<<blocks, kThreads, 0, stream>>>(
      pt, eta, phi, e, mask, n_events, max_jets, leading, triplets, m1, m2, asymmetry);
  HEPCAT_LAUNCH_CHECK(stream, "mass_asymmetry_split_kernel");
}

}  // namespace hepcat::cuda
