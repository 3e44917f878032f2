// Launcher of the mass-asymmetry baseline on the GPU (twin of the OpenMP loop in
// host/assign/baseline.cpp). All pointers are device pointers; the work is queued on `stream`.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace hepcat::cuda {

/// One thread per event: math::mass_asymmetry_split<double> on event i's jet slots.
void launch_mass_asymmetry_split(const float* pt, const float* eta, const float* phi,
                                 const float* e, const std::uint8_t* mask, std::size_t n_events,
                                 int max_jets, int leading, std::int8_t* triplets, float* m1,
                                 float* m2, float* asymmetry, cudaStream_t stream);

}  // namespace hepcat::cuda
