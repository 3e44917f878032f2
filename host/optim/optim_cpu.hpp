// CPU twin of kernels/optim.cu: one OpenMP loop over math::optimizer_update.
#pragma once

#include <cstddef>

#include "hepcat/math/optim.hpp"

namespace hepcat::cpu {

/// Updates params[0..n) in place; slots as math::optimizer_update (null when unused).
void optimizer_step(const math::StepScalars<float>& s, float* params, const float* grads,
                    float* slot0, float* slot1, float* slot2, std::size_t n);

}  // namespace hepcat::cpu
