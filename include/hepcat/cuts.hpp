// Rectangular cuts learned by gradient at a series of signal-efficiency working points (CABIN,
// SCIENCE.md section 3), optionally as a grid over bins of an event property. The formulas and the
// loss are stated in include/hepcat/math/cuts.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/context.hpp"
#include "hepcat/optim.hpp"

namespace hepcat {

/// Loss weights; the defaults are the published ones.
struct HEPCAT_API CutLossWeights {
  double alpha = 10;    ///< reach the target signal efficiency
  double beta = 0.1;    ///< background efficiency
  double gamma = 1e-5;  ///< cut size
  double delta = 1e-3;  ///< BCE
  double epsilon = 1;   ///< smoothness across neighbouring targets (and grid cells)
  double rho = 0.1;     ///< keeps the smoothness term finite when neighbouring cuts coincide
};

struct HEPCAT_API CutScanConfig {
  /// Target signal efficiencies in (0, 1), distinct; the scan orders them increasingly.
  std::vector<double> targets;
  /// Per feature +1 (x > cut), -1 (x < cut) or 0 (auto: the sign of the weighted
  /// signal-minus-background mean difference on the training set). Empty: all auto.
  std::vector<int> directions;
  /// Learn the weights w_k as well (started at the directions above); the direction reported is
  /// the sign of the learned weight.
  bool learn_directions = false;
  double steepness = 15;
  CutLossWeights loss;
  /// Standardise with weighted means and standard deviations. Off by default: the published
  /// method standardises with unweighted ones (scikit-learn's StandardScaler).
  bool weighted_standardisation = false;
  /// Bin edges of the grid property (increasing, at least two). Empty: one scan over all events.
  /// Values outside the edges count in the first or last bin.
  std::vector<double> grid_edges;

  /// Throws Error naming the first invalid setting.
  void validate(int n_features) const;
};

/// Events on the host for training or evaluation: signal flag, weight, features, grid property.
struct HEPCAT_API CutSample {
  std::vector<std::vector<float>> features;  ///< features[k][i]
  std::vector<float> weights;                ///< empty: unit weights; negative weights allowed
  std::vector<std::uint8_t> signal;          ///< 1 signal, 0 background
  std::vector<float> grid_values;            ///< the grid property; needed when a grid is set

  std::size_t size() const { return signal.size(); }
  /// The rows [begin, end) of this sample.
  CutSample slice(std::size_t begin, std::size_t end) const;
};

/// The loss of the last pass, term by term (summed over networks).
struct HEPCAT_API CutLossTerms {
  double efficiency = 0;  ///< alpha (t - eps_S)^2
  double background = 0;  ///< beta eps_B
  double cut_size = 0;
  double bce = 0;
  double smoothness = 0;
  double total() const { return efficiency + background + cut_size + bce + smoothness; }
};

/// The cuts of one network: grid cell `cell` (0 without a grid), target efficiency `target`.
struct HEPCAT_API CutSet {
  int cell = 0;
  double target = 0;
  std::vector<double> cuts;     ///< original units
  std::vector<int> directions;  ///< +1: x > cut, -1: x < cut
};

/// Hard-cut efficiencies (weighted): per network (in cuts() order) and per target over all grid
/// cells together (each event judged by the cuts of its own cell).
struct HEPCAT_API CutEfficiencies {
  std::vector<double> sig_eff, bkg_eff;                ///< per network
  std::vector<double> target_sig_eff, target_bkg_eff;  ///< per target
};

/// An efficiency scan (or grid of scans): the networks, their parameters in one buffer on the
/// context's backend, the training events resident there, and the fused training step. The
/// context must outlive it. Move-only.
class HEPCAT_API CutScan {
 public:
  /// Validates, standardises on `train`, picks directions and uploads the events (sorted by grid
  /// cell). Throws Error for an empty sample, inconsistent column lengths, non-finite values, a
  /// cell or the whole sample without signal or without background weight.
  CutScan(Context& ctx, CutScanConfig config, const CutSample& train);
  ~CutScan();
  CutScan(CutScan&&) noexcept;
  CutScan& operator=(CutScan&&) noexcept;
  CutScan(const CutScan&) = delete;
  CutScan& operator=(const CutScan&) = delete;

  int n_features() const;
  int n_targets() const;
  int n_cells() const;
  /// The targets in scan (increasing) order.
  const std::vector<double>& targets() const;
  const CutScanConfig& config() const;

  /// Parameters: "bias" [cell][target][feature] in standardised units, then with learned
  /// directions "weight" in the same order. Gradients share the layout.
  const ParamLayout& layout() const;
  Buffer<float>& params();
  const Buffer<float>& grads() const;

  /// One fused pass over the training events for all networks: the loss and its gradient (left
  /// in grads()). Only the per-network sums and the parameters cross to the host.
  CutLossTerms compute_gradient();
  /// compute_gradient() followed by one optimiser step: one training epoch (full batch).
  CutLossTerms step(Optimizer& optimizer, double lr);
  /// `epochs` steps with an optimiser built from `optimizer` and learning rate schedule `lr`;
  /// `progress(epoch, loss)` is called after every step when set. Returns the last loss.
  CutLossTerms train(int epochs, const OptimizerConfig& optimizer, const Schedule& lr,
                     const std::function<void(int, const CutLossTerms&)>& progress = {});

  /// The current cuts, cell-major then by increasing target.
  std::vector<CutSet> cuts() const;
  /// Hard-cut efficiencies of the current cuts on `sample` (uploaded for the evaluation).
  CutEfficiencies evaluate(const CutSample& sample) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Area under the ROC curve through the hard-cut points (background efficiency, signal efficiency)
/// closed by (0, 0) and (1, 1), by the trapezoid rule after sorting by background efficiency.
HEPCAT_API double hard_cut_auc(const std::vector<double>& sig_eff,
                               const std::vector<double>& bkg_eff);

}  // namespace hepcat
