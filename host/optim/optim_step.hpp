// What one optimiser step hands to math::optimizer_update besides the arrays: the per-step
// scalars and which state slots the configuration uses. Shared by hepcat::Optimizer and the tests
// that run the update formulas in double.
#pragma once

#include <array>

#include "hepcat/math/optim.hpp"
#include "hepcat/optim.hpp"

namespace hepcat::detail {

/// Scalars of step number `step` (0 for the first) at learning rate lr, computed in double and
/// converted once to T.
template <class T>
math::StepScalars<T> step_scalars(const OptimizerConfig& config, long step, double lr);

/// Which of math::optimizer_update's three state slots the configuration uses.
std::array<bool, 3> used_slots(const OptimizerConfig& config);

}  // namespace hepcat::detail
