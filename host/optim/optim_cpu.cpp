#include "host/optim/optim_cpu.hpp"
#include "host/engine/parallel.hpp"

#include <cstdint>

namespace hepcat::cpu {

void optimizer_step(const math::StepScalars<float>& s, float* params, const float* grads,
                    float* slot0, float* slot1, float* slot2, std::size_t n) {
  float* __restrict__ p = params;
  const float* __restrict__ g = grads;
  float* __restrict__ a = slot0;
  float* __restrict__ b = slot1;
  float* __restrict__ c = slot2;
  const math::StepScalars<float> scalars = s;
  // The rule and the slots used are fixed for the whole buffer: choosing them outside the loop
  // leaves a branch-free body the compiler vectorises.
  if (s.rule == math::UpdateRule::adam && !c) {
    for_each_index(
        n,
        [=](std::size_t i) {
          p[i] = math::adam_update(scalars, p[i], g[i], a[i], b[i], static_cast<float*>(nullptr));
        },
        kLightGrain);
  } else if (s.rule == math::UpdateRule::rmsprop && !b && !c) {
    for_each_index(
        n,
        [=](std::size_t i) {
          p[i] = math::rmsprop_update(scalars, p[i], g[i], a[i], static_cast<float*>(nullptr),
                                      static_cast<float*>(nullptr));
        },
        kLightGrain);
  } else {
    for_each_index(
        n, [=](std::size_t i) { math::optimizer_update(scalars, i, p, g, a, b, c); }, kLightGrain);
  }
}

}  // namespace hepcat::cpu
