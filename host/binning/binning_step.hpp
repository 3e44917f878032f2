// The CPU training step of a soft-binning model, templated on the event-loop precision: the
// engine runs it in float, the gradient tests in double.
#pragma once

#include <vector>

#include "hepcat/binning.hpp"
#include "hepcat/math/soft_binning.hpp"

namespace hepcat::detail {

/// Sum group of each of `n_processes` processes: the signal's position in objective.signals, or
/// the background group (signals.size()).
std::vector<int> process_groups(const BinningObjective& objective, int n_processes);

/// Objective on soft sums (pass 1), and with `grad` non-null dL/draw (pass 2 and the chain rule
/// through BinningModel::backward).
template <class T>
BinningEvaluation soft_binning_step_cpu(const BinningModel& model,
                                        const BinningObjective& objective,
                                        const math::SoftBinningEvents<T>& events,
                                        const std::vector<double>& raw, double sharpness,
                                        std::vector<double>* grad);

/// The objective of soft or hard per-group sums: fills loss, significances and penalties, and
/// writes dL/d(sums) to d_sums when non-null.
BinningEvaluation objective_of_sums(const std::vector<double>& sums, int n_bins,
                                    const BinningObjective& objective, std::vector<double>* d_sums);

}  // namespace hepcat::detail
