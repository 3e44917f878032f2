// Launcher of the optimiser step kernel, callable from host code compiled by the C++ compiler.
// Pointers are device pointers; the launcher queues its work on `stream` and checks it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "hepcat/math/optim.hpp"

namespace hepcat::cuda {

/// Updates d_params[0..n) in place: one launch for every rule; slots as math::optimizer_update.
void launch_optimizer_step(const math::StepScalars<float>& s, float* d_params, const float* d_grads,
                           float* d_slot0, float* d_slot1, float* d_slot2, std::size_t n,
                           cudaStream_t stream);

}  // namespace hepcat::cuda
