// The ABC jet-assignment model (SCIENCE.md section 5): the published architecture, its parameters
// in one buffer named as the published state_dict, its forward pass (hard or soft jet choice) and
// its hand-written backward, and the unsupervised trainer.
//
// The model input is x[event][slot][5] = (log pt, eta, cos phi, sin phi, log E) with pt and E in
// GeV (assign_inputs builds it); a slot whose log pt is 0 is padding. Unlike the published code,
// an event's outputs never depend on the rest of its batch (its pairwise bias is its own).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/checkpoint.hpp"
#include "hepcat/optim.hpp"

namespace hepcat {

/// Hyper-parameters; the defaults are the published T = 2 model's (115,844 trainable parameters).
struct HEPCAT_API AssignConfig {
  int categories = 2;    ///< T: 2 parent candidates, or 3 with an ISR category
  int embed_dim = 32;    ///< E
  int heads = 4;         ///< attention heads (E / heads per head)
  int blocks = 4;        ///< ABC blocks
  int embed_layers = 3;  ///< Linear-LayerNorm-ReLU layers of the embedding before its last Linear
  int mlp_dim = 32;      ///< width of the pairwise-bias MLP
  int mlp_layers = 3;    ///< its Linear-LayerNorm-ReLU layers before the last Linear to 1
  int ffwd_layers = 3;   ///< feed-forward layers of a block besides the last (all end in LN, ReLU)
  int ffwd_dim = 32;
  int ae_dim = 4;             ///< autoencoder latent size
  int ae_depth = 4;           ///< Linear layers of each half of the autoencoder
  double mass_scale = 100;    ///< candidate mass / mass_scale enters the autoencoder (GeV)
  double temperature = 0.1;   ///< soft jet choice softmax(logits / temperature)
  double attn_dropout = 0.1;  ///< attention-weight dropout in training
  /// Throws Error naming the first value out of range (T not 2 or 3, E not divisible by heads,
  /// head size above 64, non-positive sizes, dropout outside [0, 1)).
  void validate() const;
  /// Autoencoder widths from the input (E - T + 1) down to ae_dim, as the published cascade.
  std::vector<int> ae_widths() const;
};

/// Loss variants (SCIENCE.md section 5). published: mean reconstruction MSE of both candidates
/// plus the crossed MSE, plus 0.05 x mean ISR transverse energy when T = 3. four_term (the
/// slides'): reconstruction (1), latent distance |z0 - z1|^2 (0.1), the hinge
/// max(0, margin + |z0 - z1| - |z0r - z1r|) against candidates built from a random assignment of
/// the jets (0.1), and the ISR transverse energy (0.1, T = 3).
struct HEPCAT_API AssignLoss {
  enum class Kind { published, four_term } kind = Kind::published;
  double w_recon = 1, w_crossed = 1, w_latent = 0, w_hinge = 0, w_isr = 0.05;
  double margin = 1;
  /// "published" or "four-term"; throws Error naming the text otherwise.
  static AssignLoss parse(const std::string& name);
};

class HEPCAT_API AssignModel {
 public:
  /// Parameters laid out for `config`, all zero except LayerNorm and normalisation gains (1) and
  /// the normalisation variance (1). Throws Error for an invalid config.
  explicit AssignModel(const AssignConfig& config = AssignConfig());

  /// Reads an HDF5 model file: `weights/<name>` for every parameter (float, any layout of the
  /// published shape; the published converted checkpoint loads as it is) and the hyper-parameters
  /// from the root attributes (hp_out_dim, hp_embed_dim, ...; published defaults when absent).
  /// Throws Error naming the file and the missing or mis-sized parameter.
  static AssignModel load(const std::string& path);
  /// Writes weights/<name> with the published shapes and the hyper-parameters as attributes,
  /// atomically.
  void save(const std::string& path) const;

  /// torch's default initialisation (Linear: U(+-1/sqrt(fan_in)) for weights and biases, MHA
  /// in-projection and bias_k/bias_v Xavier-normal or -uniform as torch, out-projection bias 0,
  /// LayerNorm 1/0) from counter-based random numbers of `seed`.
  void initialise(std::uint64_t seed);
  /// Sets the fixed input normalisation statistics (5 means, 5 variances), as the published
  /// BatchNorm running statistics.
  void set_normalisation(const std::vector<double>& mean, const std::vector<double>& var);

  const AssignConfig& config() const { return config_; }
  const ParamLayout& layout() const { return layout_; }
  /// Names of the trainable parameters (the layout also holds the normalisation statistics).
  bool trainable(const std::string& name) const;
  std::vector<float>& parameters() { return params_; }
  const std::vector<float>& parameters() const { return params_; }
  /// The values of one named block.
  std::vector<float> parameter(const std::string& name) const;
  /// The published shape of one named block.
  std::vector<std::size_t> shape(const std::string& name) const;

 private:
  AssignConfig config_;
  ParamLayout layout_;
  std::vector<std::vector<std::size_t>> shapes_;
  std::vector<float> params_;
};

/// Builds the model input x[event][slot][5] from per-jet arrays [event][slot] (pt, E in GeV; a
/// padded slot has pt = E = 0).
HEPCAT_API std::vector<float> assign_inputs(const float* pt, const float* eta, const float* phi,
                                            const float* e, std::size_t events, std::size_t jets);

enum class AssignChoice { hard, soft };

/// Per-event results of a forward pass.
template <class T>
struct AssignOutput {
  std::size_t events = 0, jets = 0;
  int categories = 2;
  std::vector<std::int32_t> category;  ///< [event][slot] final argmax category, -1 for padding
  std::vector<T> probability;          ///< [event][slot][T] softmax(final logits / temperature)
  std::vector<T> logit_gap;            ///< [event][slot] top logit minus the runner-up
  std::vector<T> candidates_p4;        ///< [event][T][4] (E, px, py, pz) GeV
  std::vector<T> mass;                 ///< [event][T] candidate masses, GeV
  std::vector<T> loss;                 ///< [event] the loss of that event (anomaly score)
};

/// Named intermediate tensors of a forward pass (the fixture's names), for tests.
using AssignTrace = std::map<std::string, std::vector<double>>;

/// The forward pass on the host in float (the production precision) or double, over `events`
/// events of `jets` slots. hard: argmax at every jet-choice point (the published inference); soft:
/// softmax(logits / temperature) (the training branch without dropout). The per-event loss is the
/// published one for the model's T. With `trace`, the intermediates are recorded.
HEPCAT_API AssignOutput<float> assign_forward(const AssignModel& model, const float* x,
                                              std::size_t events, std::size_t jets,
                                              AssignChoice choice, AssignTrace* trace = nullptr);
HEPCAT_API AssignOutput<double> assign_forward(const AssignModel& model, const double* x,
                                               std::size_t events, std::size_t jets,
                                               AssignChoice choice, AssignTrace* trace = nullptr);

/// The batch loss of the soft forward and its gradient with respect to every entry of the
/// parameter buffer (zero for the normalisation statistics), by the hand-written backward. With
/// `dropout`, the attention dropout of training (p = config.attn_dropout) from `seed`; `seed`
/// also draws the four-term loss's random assignment.
HEPCAT_API double assign_gradient(const AssignModel& model, const float* x, std::size_t events,
                                  std::size_t jets, const AssignLoss& loss,
                                  std::vector<float>& grad, std::uint64_t seed = 0,
                                  bool dropout = false);
HEPCAT_API double assign_gradient(const AssignModel& model, const double* x, std::size_t events,
                                  std::size_t jets, const AssignLoss& loss,
                                  std::vector<double>& grad, std::uint64_t seed = 0,
                                  bool dropout = false);

/// The model resident on a backend for repeated passes: its parameters live in one buffer on the
/// context's backend (with the gradients in another), its scratch memory (O(batch)) is kept
/// between calls. On a CUDA context the linear layers are cuBLAS GEMMs and everything else the
/// kernels of kernels/assign.cu over the same per-event math as the CPU's loops; only the results
/// asked for come back to the host. The context must outlive the engine. Move-only.
class HEPCAT_API AssignEngine {
 public:
  AssignEngine(const Context& ctx, const AssignModel& model);
  ~AssignEngine();
  AssignEngine(AssignEngine&&) noexcept;
  AssignEngine& operator=(AssignEngine&&) noexcept;
  AssignEngine(const AssignEngine&) = delete;
  AssignEngine& operator=(const AssignEngine&) = delete;

  /// assign_forward in float with the engine's current parameters (on CUDA a trace records every
  /// intermediate but the four separate MSE terms).
  AssignOutput<float> forward(const float* x, std::size_t events, std::size_t jets,
                              AssignChoice choice, AssignTrace* trace = nullptr);
  /// assign_gradient with the engine's current parameters.
  double gradient(const float* x, std::size_t events, std::size_t jets, const AssignLoss& loss,
                  std::vector<float>& grad, std::uint64_t seed = 0, bool dropout = false);
  /// The mean per-event loss of the soft forward without dropout (`seed` draws the four-term
  /// loss's random assignment); only that number comes back.
  double loss(const float* x, std::size_t events, std::size_t jets, const AssignLoss& loss,
              std::uint64_t seed = 0);
  /// One training step on the backend: soft forward (attention dropout from `seed` and `step`
  /// when `dropout`), backward, gradient-norm clipping to `clip_norm` (0: none) and `optimizer`
  /// (made on the same context for parameter_count() values) with learning rate `lr`. Returns
  /// the batch loss, the only value copied back.
  double train_step(const float* x, std::size_t events, std::size_t jets, const AssignLoss& loss,
                    std::uint64_t seed, std::uint32_t step, bool dropout, double clip_norm,
                    Optimizer& optimizer, double lr);
  /// The current parameters, copied back (the layout of AssignModel::parameters()).
  std::vector<float> parameters() const;
  void set_parameters(const std::vector<float>& values);
  std::size_t parameter_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// engine.forward over `events` events in batches of `batch` (memory of one batch), the
/// per-event results concatenated. Throws Error when batch is 0.
HEPCAT_API AssignOutput<float> assign_forward_batches(AssignEngine& engine, const float* x,
                                                      std::size_t events, std::size_t jets,
                                                      AssignChoice choice, std::size_t batch);

/// Writes per-event results to HDF5, atomically: category [N][J] (int32, -1 padding),
/// probability [N][J][T], logit_gap [N][J], candidates_p4 [N][T][4], mass [N][T], m_avg [N] (mean
/// of the two parent candidates' masses), loss [N], and when not empty correct [N] (int8: 1, 0,
/// or -1 when not scored).
HEPCAT_API void write_assign_output(const std::string& path, const AssignOutput<float>& out,
                                    const std::vector<std::int8_t>& correct);

// ---- training -----------------------------------------------------------------------------------

struct HEPCAT_API AssignTrainConfig {
  AssignLoss loss;
  int epochs = 20;
  std::size_t batch_size = 2048;
  double learning_rate = 1e-3;  ///< Adam; warm-up over 2 % of the steps, then x0.95 every 2 %
  double clip_norm = 0.1;       ///< gradient-norm clipping (0: none)
  double validation_fraction = 0.25;
  int patience = 3;  ///< epochs without a better validation loss before stopping
  std::uint64_t seed = 1;
  bool dropout = true;     ///< attention dropout (p = config.attn_dropout) in training
  std::string best_model;  ///< when set, the model is saved here at every better epoch
  /// Checkpoints of the training state (every `every` epochs and at the end) and the one to
  /// resume from: a resumed run ends as the uninterrupted one, early stopping included.
  CheckpointPlan checkpoints;
};

struct AssignEpoch {
  int epoch = 0;
  double train_loss = 0, validation_loss = 0, learning_rate = 0, seconds = 0;
};

struct AssignTrainResult {
  double initial_validation_loss = 0;  ///< before the first step
  std::vector<AssignEpoch> epochs;
  int best_epoch = 0;
  double best_validation_loss = 0;
  long steps = 0;
  bool stopped_early = false;
};

/// The published learning-rate schedule at optimiser step `step` of `total` steps: with
/// N = int(0.02 total), lr (step + 1) / N while step < N, then lr 0.95^(step / N) (integer
/// division); a constant lr when N is 0.
HEPCAT_API double assign_learning_rate(double lr, long step, long total);

/// Trains `model` unsupervised on x (events x jets x 5): the input statistics are fixed from the
/// training part, the events shuffled by `seed` and split into training and validation parts,
/// Adam through the engine's Optimizer over the one parameter buffer, the model returned in the
/// state of the best validation epoch. `progress` (may be empty) is called after every epoch.
/// Scratch memory is O(batch_size). Throws Error for bad settings or too few events.
HEPCAT_API AssignTrainResult
assign_train(AssignModel& model, const std::vector<float>& x, std::size_t events, std::size_t jets,
             const AssignTrainConfig& config, Context& ctx,
             const std::function<void(const AssignEpoch&)>& progress = {});

}  // namespace hepcat
