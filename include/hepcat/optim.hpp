// Parameter layout, optimisers and schedules. A model keeps all its parameters in one contiguous
// Buffer<float> (and its gradients in another of the same size); ParamLayout names the blocks in
// it, Optimizer updates the whole buffer in one launch per step, and Schedule gives per-step
// values for the learning rate or any scalar hyper-parameter (temperature, steepness).
//
// The update rules are torch.optim's (PyTorch 1.13), with its defaults;
// include/hepcat/math/optim.hpp states them, where eps goes, the bias correction, and how Keras'
// RMSprop and Adam differ.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/context.hpp"

namespace hepcat {

// ---- parameter layout ---------------------------------------------------------------------------

/// A named run of `count` parameters starting at `offset` in a model's parameter buffer.
struct HEPCAT_API ParamBlock {
  std::string name;
  std::size_t offset = 0;
  std::size_t count = 0;
};

/// The blocks of one contiguous parameter buffer, in the order they were added.
class HEPCAT_API ParamLayout {
 public:
  /// Appends a block and returns its offset. Throws Error for an empty or repeated name.
  std::size_t add(const std::string& name, std::size_t count);
  /// The block called `name`; throws Error naming it (and the known blocks) when absent.
  const ParamBlock& find(const std::string& name) const;
  bool contains(const std::string& name) const;
  /// Total number of parameters: the size the parameter and gradient buffers must have.
  std::size_t size() const { return size_; }
  const std::vector<ParamBlock>& blocks() const { return blocks_; }

 private:
  std::vector<ParamBlock> blocks_;
  std::size_t size_ = 0;
};

// ---- optimisers ---------------------------------------------------------------------------------

enum class OptimizerKind { sgd, adam, rmsprop };

HEPCAT_API const char* to_string(OptimizerKind kind);

/// Hyper-parameters of one optimiser; the defaults are torch.optim's. The learning rate is not
/// here: it is passed to every step, usually from a Schedule.
struct HEPCAT_API OptimizerConfig {
  OptimizerKind kind = OptimizerKind::adam;
  double weight_decay = 0;              ///< L2 added to the gradient; AdamW: decoupled decay rate
  bool maximize = false;                ///< ascend instead of descend
  double momentum = 0;                  ///< SGD and RMSprop
  double dampening = 0;                 ///< SGD
  bool nesterov = false;                ///< SGD; needs momentum > 0 and dampening 0
  double beta1 = 0.9;                   ///< Adam
  double beta2 = 0.999;                 ///< Adam
  double eps = 1e-8;                    ///< Adam and RMSprop, added outside the square root
  bool decoupled_weight_decay = false;  ///< Adam -> AdamW
  bool amsgrad = false;                 ///< Adam
  double alpha = 0.99;                  ///< RMSprop decay rate (Keras calls it rho, default 0.9)
  bool centered = false;                ///< RMSprop

  /// torch defaults for a name: "sgd", "adam", "adamw" (Adam with decoupled weight decay 1e-2,
  /// as torch.optim.AdamW) or "rmsprop". Throws Error naming the text and the accepted names.
  static OptimizerConfig parse(const std::string& name);
  /// Throws Error naming the first out-of-range hyper-parameter.
  void validate() const;
};

/// One optimiser over a contiguous parameter buffer of a fixed size. Its state (moments, momentum
/// buffers) is allocated once in the constructor on the context's backend and stays there; a step
/// is one kernel launch (or one OpenMP loop) queued on the context's stream, with no host
/// synchronisation and no allocation. The context must outlive the optimiser. Move-only.
class HEPCAT_API Optimizer {
 public:
  Optimizer(Context& ctx, OptimizerConfig config, std::size_t n_params);
  ~Optimizer();
  Optimizer(Optimizer&&) noexcept;
  Optimizer& operator=(Optimizer&&) noexcept;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// params -= update(grads) with learning rate `lr`, in place. Both buffers must hold
  /// `size()` values on the context's backend; lr must be finite and non-negative.
  void step(Buffer<float>& params, const Buffer<float>& grads, double lr);
  /// Zeroes the state and the step count, as a freshly constructed optimiser.
  void reset();
  /// Steps taken since construction or the last reset.
  long steps() const;
  /// The state buffers (moments, momentum) back to back, copied to the host: with steps() all a
  /// checkpoint needs to continue the same run.
  std::vector<float> state() const;
  /// Restores what state() returned and the step count; throws Error when the sizes differ.
  void restore(const std::vector<float>& state, long steps);
  std::size_t size() const;
  const OptimizerConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- schedules ----------------------------------------------------------------------------------

/// A scalar that moves from `start` to `end` over `steps` steps and then stays at `end`.
/// With progress u = min(max(t, 0), steps) / steps:
///   constant     start
///   linear       start + (end - start) u
///   cosine       end + (start - end) (1 + cos(pi u)) / 2
///   exponential  start (end / start)^u   (start and end must be positive)
class HEPCAT_API Schedule {
 public:
  enum class Kind { constant, cosine, exponential, linear };

  /// A constant value.
  explicit Schedule(double value = 0);
  /// Throws Error for non-finite values, steps < 1 (unless constant), or a non-positive start or
  /// end of an exponential schedule.
  Schedule(Kind kind, double start, double end, long steps);

  /// "0.1" (constant) or "kind:start:end" with kind constant|linear|cosine|exponential, e.g.
  /// "cosine:0.1:0.001"; `steps` comes from the caller (usually the number of epochs). Throws
  /// Error quoting the text and saying what is wrong.
  static Schedule parse(const std::string& text, long steps);

  double at(long step) const;
  Kind kind() const { return kind_; }
  double start() const { return start_; }
  double end() const { return end_; }
  long steps() const { return steps_; }
  /// The text parse() accepts for this schedule.
  std::string to_string() const;

 private:
  Kind kind_ = Kind::constant;
  double start_ = 0, end_ = 0;
  long steps_ = 1;
};

HEPCAT_API const char* to_string(Schedule::Kind kind);

}  // namespace hepcat
