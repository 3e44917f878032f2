// The mass-asymmetry baseline on the GPU: one thread per event runs the shared per-event math
// (math/assign_baseline.hpp), as the CPU loop does.
#include <algorithm>

#include "hepcat/math/assign_baseline.hpp"
#include "kernels/assign_baseline.hpp"
#include "kernels/cuda_check.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 128;

__global__ void mass_asymmetry_split_kernel(
    const float* __restrict__ pt, const float* __restrict__ eta, const float* __restrict__ phi,
    const float* __restrict__ e, const std::uint8_t* __restrict__ mask, std::size_t n_events,
    int max_jets, int leading, std::int8_t* __restrict__ triplets, float* __restrict__ m1,
    float* __restrict__ m2, float* __restrict__ asymmetry) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
       i < n_events; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t s = i * max_jets;
    math::mass_asymmetry_split<double>(pt + s, eta + s, phi + s, e + s, mask + s, max_jets, leading,
                                       triplets + 6 * i, m1 + i, m2 + i, asymmetry + i);
  }
}

}  // namespace

void launch_mass_asymmetry_split(const float* pt, const float* eta, const float* phi,
                                 const float* e, const std::uint8_t* mask, std::size_t n_events,
                                 int max_jets, int leading, std::int8_t* triplets, float* m1,
                                 float* m2, float* asymmetry, cudaStream_t stream) {
  if (n_events == 0) return;
  const std::size_t wanted = (n_events + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(std::min<std::size_t>(wanted, 1u << 20));
  mass_asymmetry_split_kernel<<<blocks, kThreads, 0, stream>>>(
      pt, eta, phi, e, mask, n_events, max_jets, leading, triplets, m1, m2, asymmetry);
  HEPCAT_LAUNCH_CHECK(stream, "mass_asymmetry_split_kernel");
}

}  // namespace hepcat::cuda
