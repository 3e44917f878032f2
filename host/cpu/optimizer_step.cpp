#include "host/cpu/optimizer_step.hpp"

#include <cstdint>

namespace hepcat::cpu {

void optimizer_step(const math::StepScalars<float>& s, float* params, const float* grads,
                    float* slot0, float* slot1, float* slot2, std::size_t n) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i)
    math::optimizer_update(s, static_cast<std::size_t>(i), params, grads, slot0, slot1, slot2);
}

}  // namespace hepcat::cpu
