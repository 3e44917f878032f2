// Split-N-Fit (SCIENCE.md section 4): a fit inside the loss. Events are split softly into pass
// and fail histograms of a fit variable by p_i = sigmoid(s_i); S+B and B-only fits in both
// regions give the loss, and its gradient returns to every event's score. Also the
// pseudo-experiment significance used to judge a selection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/checkpoint.hpp"
#include "hepcat/context.hpp"
#include "hepcat/fit.hpp"
#include "hepcat/math/splitfit.hpp"

namespace hepcat {

using math::SmoothRelu;

/// The seed's setup by default: 40 bins of the diphoton mass in [90, 160], a 2nd-order
/// polynomial background, a Gaussian signal with fixed mass 125 and width 1.7, Neyman chi2.
struct HEPCAT_API SplitFitConfig {
  int n_bins = 40;
  double lo = 90, hi = 160;
  std::string background = "poly2";  ///< poly<k>, bernstein<k> or exp
  double signal_mean = 125, signal_width = 1.7;
  Estimator estimator = Estimator::neyman;
  Evaluation evaluation = Evaluation::bin_integral;
  double lambda = 0;  ///< weight of the fit-quality penalty
  double kappa = -1;  ///< penalty threshold; negative: n_bins + 3 sqrt(2 n_bins)
  double delta = 0;   ///< offset of the fail term
  SmoothRelu relu = SmoothRelu::softplus;
  int max_iterations = 200;
  double tolerance = 1e-10;
};

/// The fit configuration of the S+B (with_signal) or B-only hypothesis.
HEPCAT_API FitConfig splitfit_fit_config(const SplitFitConfig& config, bool with_signal);
/// Starting values from a histogram: a flat background at its mean density, no signal.
HEPCAT_API std::vector<double> splitfit_initial(const SplitFitConfig& config, bool with_signal,
                                                const double* histogram);

struct HEPCAT_API SplitFitResult {
  double loss = 0, loss_pass = 0, loss_fail = 0;
  double mean_fail = 0;  ///< q = mean over events of 1 - p
  /// Fitted objectives and states in the order S+B pass, B pass, S+B fail, B fail.
  double objective[4] = {};
  FitState states[4] = {};
  std::vector<double> pass, fail;                ///< the histograms
  std::vector<double> sb_pass_parameters;        ///< fitted S+B parameters in the pass region
  std::vector<double> dloss_dpass, dloss_dfail;  ///< envelope-theorem gradients in h
  double dloss_dmean_fail = 0;
};

/// The loss and its gradients in the histograms and in q from given histograms (host only):
/// the four fits run on the CPU (four small fits cost less than a device round trip).
/// dL/dh uses the envelope theorem: each fitted objective's derivative in h is taken at its
/// fitted parameters held fixed, which equals the total derivative including the refit.
HEPCAT_API SplitFitResult splitfit_loss_from_histograms(const SplitFitConfig& config,
                                                        const std::vector<double>& pass,
                                                        const std::vector<double>& fail,
                                                        double mean_fail);

/// The loss over n events on the context's backend: `mass` the fit variable, `weights` (null:
/// unit), `scores` s_i; when `grad` is non-null it receives dL/ds_i (all backend pointers, so a
/// training loop in another framework can pass its device arrays).
HEPCAT_API SplitFitResult splitfit_loss(Context& ctx, const SplitFitConfig& config,
                                        const float* mass, const float* weights,
                                        const float* scores, std::size_t n, float* grad);

/// Host-array convenience: uploads when the context is CUDA; `grad` resized to n when given.
HEPCAT_API SplitFitResult splitfit_loss(Context& ctx, const SplitFitConfig& config,
                                        const std::vector<float>& mass,
                                        const std::vector<float>& weights,
                                        const std::vector<float>& scores, std::vector<float>* grad);

/// Significance of K Poisson pseudo-experiments of expected histograms (one per region, each
/// n_bins), all S+B and B fits of a hypothesis in one batch on the context's backend.
/// Per toy Z = sqrt(max(0, sum over regions of objective_B - objective_S+B)): sqrt of the chi2
/// difference, or sqrt(2 Delta lnL) with the Poisson estimator.
struct HEPCAT_API PseudoExperiments {
  std::vector<double> significance;
  double median = 0, q16 = 0, q84 = 0, q025 = 0, q975 = 0;
  std::size_t unconverged_fits = 0;  ///< fits not in state converged
};
HEPCAT_API PseudoExperiments pseudo_experiments(Context& ctx, const SplitFitConfig& config,
                                                const std::vector<std::vector<double>>& expected,
                                                int n_toys, std::uint64_t seed);

/// Significance of a hard selection: events with score > 0 (p > 0.5) fill the pass histogram,
/// taken as the expectation of `n_toys` pseudo-experiments.
HEPCAT_API PseudoExperiments cut_significance(Context& ctx, const SplitFitConfig& config,
                                              const std::vector<float>& mass,
                                              const std::vector<float>& weights,
                                              const std::vector<float>& scores, int n_toys,
                                              std::uint64_t seed);

/// A logistic score over features: s = bias + sum_j weights[j] (x_j - centre[j]) / spread[j]
/// (the standardisation is part of the model, so it applies unchanged to another sample).
struct HEPCAT_API LinearScore {
  std::vector<double> weights, centre, spread;
  double bias = 0;
};
/// Zero weights, centre and spread from the features' weighted-free means and deviations.
HEPCAT_API LinearScore standardised_linear_score(const std::vector<std::vector<float>>& features);
HEPCAT_API std::vector<float> linear_scores(const LinearScore& model,
                                            const std::vector<std::vector<float>>& features);

struct HEPCAT_API ScoreTraining {
  std::string optimizer = "adam";  ///< as OptimizerConfig::parse
  double learning_rate = 0.05;
  int steps = 200;  ///< full-batch steps
  /// Called after every step with the steps done and that step's loss, when set.
  std::function<void(int, double)> progress;
  /// Checkpoints every `checkpoints.every` steps and after the last; with `checkpoints.resume`
  /// the training continues the saved run and ends exactly as it would have.
  CheckpointPlan checkpoints;
};

/// Supervised training of the score by weighted binary cross-entropy against `labels` (1
/// signal, 0 background). Returns the loss per step.
HEPCAT_API std::vector<double> train_supervised(Context& ctx, LinearScore& model,
                                                const std::vector<std::vector<float>>& features,
                                                const std::vector<float>& labels,
                                                const std::vector<float>& weights,
                                                const ScoreTraining& t);

/// Training without labels by the Split-N-Fit loss over the fit variable `mass`: the loss and
/// dL/ds come from splitfit_loss on the context's backend, dL/dtheta = sum_i dL/ds_i ds_i/dtheta
/// on the host. Returns the loss per step.
HEPCAT_API std::vector<double> train_splitfit(Context& ctx, LinearScore& model,
                                              const std::vector<std::vector<float>>& features,
                                              const std::vector<float>& mass,
                                              const std::vector<float>& weights,
                                              const SplitFitConfig& config, const ScoreTraining& t);

/// Linear-interpolation quantile (as numpy's default) of unsorted values; q in [0, 1].
HEPCAT_API double quantile(std::vector<double> values, double q);

}  // namespace hepcat
