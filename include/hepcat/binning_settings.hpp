// Plain settings of the binning objective and models, shared by the public API
// (hepcat/binning.hpp) and the formulas that read them (hepcat/math/significance.hpp,
// hepcat/math/soft_binning.hpp).
#pragma once

namespace hepcat {

/// How the significances of several signals combine into one figure of merit.
enum class SignalCombination { geometric_mean, quadrature, harmonic_mean, minimum };

/// How GMM means are kept in the data range: inside the simplex, mu = softmax([raw, 0])[:d]
/// (for softmax-classifier scores), or in a box, mu_a = lo_a + sigmoid(raw_a) (hi_a - lo_a).
enum class MeanParametrisation { simplex, box };

/// Settings of the binning objective L = -C(Z_1..Z_n) + lambda_low P_low + lambda_unc P_unc.
struct BinningObjectiveSettings {
  SignalCombination combination = SignalCombination::geometric_mean;
  double background_floor = 1e-9;
  double background_min = 0;  ///< B_min of P_low
  double lambda_low = 0;
  double max_rel_unc = 0.2;  ///< r of P_unc
  double lambda_unc = 0;
};

}  // namespace hepcat
