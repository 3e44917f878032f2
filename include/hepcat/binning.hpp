// Differentiable binning (GATO, SCIENCE.md section 1): category models whose soft memberships
// are optimised for the significance of one or more signals, and the fused two-pass training step
// that never stores an events x categories array.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/binning_settings.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/checkpoint.hpp"
#include "hepcat/context.hpp"
#include "hepcat/event_set.hpp"
#include "hepcat/ops.hpp"
#include "hepcat/optim.hpp"

namespace hepcat {

HEPCAT_API SignalCombination
parse_signal_combination(const std::string& text);  ///< geometric|quadrature|harmonic|minimum
HEPCAT_API const char* to_string(SignalCombination how);

/// A category model: its kind, shape, the parameter blocks of its one parameter buffer and the
/// maps between those raw parameters and what the event loops read. Cheap to copy.
class HEPCAT_API BinningModel {
 public:
  /// Sigmoid boundaries on each of bins.size() variables (at most 4), variable v with bins[v]
  /// bins over [lo[v], hi[v]]; categories = product of bins (at most 64).
  /// Parameter blocks "boundaries/<v>" (bins[v] - 1 raw values each).
  static BinningModel sigmoid(std::vector<int> bins, std::vector<double> lo,
                              std::vector<double> hi);
  /// K <= 64 Gaussian components in d <= 8 dimensions. Box means live in [lo, hi] per dimension;
  /// simplex means inside the d-simplex (lo/hi ignored). Diagonal Cholesky entries start at
  /// sigma_base. Parameter blocks "means", "chol_diag", "chol_offdiag", "logits".
  static BinningModel gmm(int components, int dim, MeanParametrisation means,
                          std::vector<double> lo, std::vector<double> hi, double sigma_base);

  bool is_gmm() const { return gmm_; }
  const char* name() const { return gmm_ ? "gmm" : "sigmoid"; }
  int n_bins() const;
  int dim() const { return dim_; }  ///< features each event is read at
  const ParamLayout& layout() const { return layout_; }
  std::size_t n_params() const { return layout_.size(); }
  MeanParametrisation mean_parametrisation() const { return means_; }
  const std::vector<int>& bins_per_variable() const { return bins_; }
  const std::vector<double>& lo() const { return lo_; }
  const std::vector<double>& hi() const { return hi_; }
  double sigma_base() const { return sigma_base_; }

  /// Starting parameters: sigmoid boundaries equidistant (raw 0) plus a small seeded jitter;
  /// GMM means spread at random over the range (simplex: softmax of N(0, 2^2) logits, so some
  /// start near the corners), L = sigma_base I, equal weights.
  std::vector<float> initial_parameters(std::uint64_t seed) const;

  /// What the event loops read (their "values": per sigmoid boundaries, or per GMM component the
  /// mean, Cholesky factor and log-weight) from the raw parameters.
  std::vector<double> event_values(const std::vector<double>& raw) const;
  /// Chain rule from d/d(event values, in the event loops' gradient layout) to d/d(raw).
  std::vector<double> backward(const std::vector<double>& raw,
                               const std::vector<double>& d_values) const;

  /// Human units: boundaries per variable (sigmoid), or per component mean, covariance (row
  /// major d x d) and weight (GMM).
  std::vector<std::vector<double>> boundaries(const std::vector<double>& raw) const;
  struct Component {
    std::vector<double> mean, covariance;
    double weight = 0;
  };
  std::vector<Component> components(const std::vector<double>& raw) const;

 private:
  bool gmm_ = true;
  int components_ = 0, dim_ = 0;
  std::vector<int> bins_;
  std::vector<double> lo_, hi_;
  MeanParametrisation means_ = MeanParametrisation::box;
  double sigma_base_ = 0.1;
  ParamLayout layout_;
};

/// Which processes are signals (each its own group, in this order); every other process is
/// background. With several signals each one's background also includes the others.
struct HEPCAT_API BinningObjective {
  std::vector<int> signals;
  BinningObjectiveSettings settings;
};

/// One evaluation of the objective on soft (training) or hard (evaluation) yields.
struct HEPCAT_API BinningEvaluation {
  double loss = 0;
  double combined = 0;             ///< combined significance C(Z_1, ..., Z_n)
  std::vector<double> per_signal;  ///< Z_i
  double p_low = 0, p_unc = 0;
  /// Per-group sums: sum_w of group g in bin k at (2 g) K + k, sum_w2 at (2 g + 1) K + k.
  std::vector<double> sums;
};

/// Evaluates the objective on hard yields (sum_w/sum_w2 per process and bin, as BinSums).
HEPCAT_API BinningEvaluation evaluate_yields(const BinSums& yields,
                                             const BinningObjective& objective);

/// The training step of one model on one event sample, on the context's backend. Pass 1 computes
/// memberships and accumulates per-bin sums per group (chunk partial sums added in chunk
/// order); the objective and its gradient with respect to the sums are computed on the host
/// in double; pass 2 recomputes memberships and accumulates the gradient of the event values,
/// which the host maps back to the raw parameters. Memory beyond the events is O(parameters).
class HEPCAT_API SoftBinning {
 public:
  /// `features` are indices into the event set's features, one per model dimension. Throws Error
  /// when the model's dimension and the feature count differ, when a signal id is outside the
  /// event set's processes, or when the events live on another backend.
  SoftBinning(Context& ctx, const EventSet& events, std::vector<int> features, BinningModel model,
              BinningObjective objective);
  ~SoftBinning();
  SoftBinning(SoftBinning&&) noexcept;
  SoftBinning& operator=(SoftBinning&&) noexcept;

  /// Loss and soft-yield significances at `params` with sharpness 1/temperature (GMM) or
  /// steepness (sigmoid); with `grads` non-null also dL/dparams (size n_params, on the backend).
  BinningEvaluation step(const Buffer<float>& params, double sharpness, Buffer<float>* grads);
  /// Soft memberships, event-major (N x K), on the host: for tests and plots, not for training.
  std::vector<float> soft_memberships(const Buffer<float>& params, double sharpness);
  /// Hard-assignment yields per process and category.
  BinSums hard_yields(const Buffer<float>& params);

  const BinningModel& model() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Full-batch training of a soft-binning model.
struct HEPCAT_API BinningTrainingConfig {
  int epochs = 250;
  OptimizerConfig optimizer = OptimizerConfig::parse("rmsprop");
  Schedule lr{Schedule::Kind::cosine, 0.1, 0.001, 249};
  Schedule temperature{Schedule::Kind::cosine, 1.0, 0.05, 249};    ///< GMM
  Schedule steepness{Schedule::Kind::cosine, 50.0, 10000.0, 249};  ///< sigmoid, in 1/(hi - lo)
  /// Stop early when the loss has not improved by more than min_delta (relative) for `patience`
  /// epochs; 0 never stops early.
  int patience = 0;
  double min_delta = 1e-4;
  std::uint64_t seed = 1;
  /// Checkpoints of run(): written after every `checkpoints.every` epochs and the last one; with
  /// `checkpoints.resume` run() continues the saved run and ends exactly as it would have.
  CheckpointPlan checkpoints;
};

/// One epoch as it happened: the schedule values that went into its gradient and what came out.
struct HEPCAT_API EpochRecord {
  int epoch = 0;
  double lr = 0;
  double temperature = 0;  ///< GMM temperature, or the sigmoid steepness
  double loss = 0, combined = 0;
  std::vector<double> per_signal;
};

/// Trains one model on one sample: each epoch evaluates the loss and gradient at the schedule
/// values of that epoch, then takes one optimiser step. The context and events must outlive it.
class HEPCAT_API BinningTrainer {
 public:
  BinningTrainer(Context& ctx, const EventSet& train, std::vector<int> features, BinningModel model,
                 BinningObjective objective, BinningTrainingConfig config);
  ~BinningTrainer();
  BinningTrainer(BinningTrainer&&) noexcept;
  BinningTrainer& operator=(BinningTrainer&&) noexcept;

  /// One epoch; returns its record (also appended to history()).
  const EpochRecord& step();
  /// True after `epochs` epochs or an early stop.
  bool done() const;
  /// Epochs until done(), calling `progress` after each; first continues the checkpoint of
  /// config.checkpoints.resume when set, and writes checkpoints as config.checkpoints says.
  void run(const std::function<void(const EpochRecord&)>& progress = {});
  /// The training state after the epochs so far (command and settings left empty).
  Checkpoint checkpoint() const;
  /// Continues from `state` (a checkpoint() of the same training); throws Error when it does not
  /// fit this model and schedule.
  void restore(const Checkpoint& state);

  const std::vector<EpochRecord>& history() const;
  std::vector<float> parameters() const;
  const Buffer<float>& parameter_buffer() const;
  /// dL/dparams of the last epoch (host copy).
  std::vector<float> last_gradient() const;
  SoftBinning& binning();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hepcat
