// The ABC model's forward and backward on the host, templated on the scalar: linear layers as
// BLAS GEMMs over all rows of a batch, everything else OpenMP loops over rows, events and heads
// calling include/hepcat/math/assign.hpp. Caches hold what the backward needs; their size is
// O(batch), never O(sample).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hepcat/assign.hpp"

namespace hepcat::assign {

/// A Linear layer (weights [out][in], bias [out]), optionally followed by LayerNorm and ReLU.
struct LinearDef {
  std::size_t w = 0, b = 0;  // offsets in the parameter buffer
  int in = 0, out = 0;
  bool norm_relu = false;
  std::size_t gamma = 0, beta = 0;
};

struct MlpDef {
  std::vector<LinearDef> layers;
  int in() const { return layers.front().in; }
  int out() const { return layers.back().out; }
};

struct AttnDef {
  std::size_t in_w = 0, in_b = 0, bias_k = 0, bias_v = 0, out_w = 0, out_b = 0;
  std::size_t n1_gamma = 0, n1_beta = 0, n2_gamma = 0, n2_beta = 0;
  MlpDef ffwd;
};

/// Where every parameter of a model sits in its buffer.
struct Architecture {
  AssignConfig config;
  std::size_t parameters = 0;  // size of the buffer
  std::size_t bn_gamma = 0, bn_beta = 0, bn_mean = 0, bn_var = 0;
  MlpDef embed, pair, ae_in, ae_out;
  std::vector<AttnDef> obj, cand, cross;
  explicit Architecture(const AssignModel& model);
};

template <class T>
struct MlpCache {
  std::vector<T> in;                          // [rows][in] input of the first layer
  std::vector<std::vector<T>> y, xhat, rstd;  // per layer: output, LayerNorm xhat and 1/std
};

template <class T>
struct AttnCache {
  std::size_t events = 0;
  int lq = 0, lk = 0;
  bool residual = false;
  std::vector<T> xq, xkv, q, kv, p, keep, heads, attn_out, xhat1, rstd1, h, xhat2, rstd2, out;
  MlpCache<T> ffwd;
};

/// Attention-weight dropout of one forward: seed, stream (the training step) and probability.
struct Dropout {
  bool on = false;
  std::uint64_t seed = 0;
  std::uint32_t stream = 0;
  double p = 0;
};

/// Where a forward's events sit in their training batch: the dropout masks, the random
/// assignment and the loss normalisation follow the batch, so a batch run in parts gives the
/// same numbers as in one piece. The default (total 0) is a batch of its own.
struct BatchPart {
  std::size_t first = 0, total = 0;
};

template <class T>
struct ForwardCache {
  BatchPart part;  // set by the caller before forward
  std::size_t events = 0, jets = 0;
  bool soft = false;
  std::vector<T> x;                // [B][J][5]
  std::vector<std::uint8_t> pad;   // [B][J]
  std::vector<T> bn_xhat, bn_out;  // [B][J][5]
  MlpCache<T> embed;
  std::vector<std::uint32_t> pairs;  // the jet pairs of the pairwise-bias MLP: (b J + i) J + j
  std::vector<T> pair_in;            // [pairs][3]
  MlpCache<T> pair;
  std::vector<T> wij;  // [B][J][J]
  struct Block {
    AttnCache<T> obj, cand, cross;
    std::vector<T> x1, a, c;  // after the object block (masked, shifted for T = 3), choice, sum
  };
  std::vector<Block> blocks;
  std::vector<T> x_final, a_final, p4, cp4,
      m2;               // [B][J][E], [B][J][T], [B][J][4], [B][T][4], [B][T]
  std::vector<T> ae_x;  // [B][2][D] autoencoder inputs
  MlpCache<T> ae_in, ae_out;
  // four-term loss: candidates of a random assignment through the last candidate block
  std::vector<T> rand_a, rand_c, rand_cp4, rand_m2, rand_ae_x;
  AttnCache<T> rand_cand;
  MlpCache<T> rand_ae_in;
  std::vector<T> loss_event;  // [B]
  double loss = 0;
};

/// Runs the model over one batch. `soft` selects the training branch of the jet choice. The loss
/// (per event and batch mean) is `loss`'s. With `trace`, records the fixture's intermediates.
template <class T>
void forward(const Architecture& arch, const T* params, const T* x, std::size_t events,
             std::size_t jets, bool soft, const AssignLoss& loss, const Dropout& dropout,
             std::uint64_t loss_seed, ForwardCache<T>& cache, AssignTrace* trace);

/// d(batch loss)/d(params), written to grads (size of the buffer; overwritten), from a soft
/// forward's cache.
template <class T>
void backward(const Architecture& arch, const T* params, const AssignLoss& loss,
              ForwardCache<T>& cache, T* grads);

/// Events per part of a batch in forward_batch and gradient_batch: fixed, so every part is
/// computed the same way whatever the thread count.
constexpr std::size_t kPartEvents = 32;

/// A batch in parts of kPartEvents events: one forward cache per part and the parts' parameter
/// gradients. Kept between steps, its buffers are sized once per batch shape.
template <class T>
struct BatchWorkspace {
  std::vector<ForwardCache<T>> parts;
  std::vector<T> grads;  // [parts][parameters]
  double loss = 0;       // batch mean of the per-event loss
};

/// forward over a batch, its parts spread over the OpenMP threads (dynamic schedule: a thread
/// that is held up does not hold the others back). Results are in ws.parts and ws.loss, the
/// same bytes for any thread count.
template <class T>
void forward_batch(const Architecture& arch, const T* params, const T* x, std::size_t events,
                   std::size_t jets, bool soft, const AssignLoss& loss, const Dropout& dropout,
                   std::uint64_t loss_seed, BatchWorkspace<T>& ws);

/// Soft forward and backward of a batch in parts; grads (size of the parameter buffer) is
/// overwritten with the gradient of the batch mean loss, the parts' gradients added in order.
/// Returns the batch mean loss.
template <class T>
double gradient_batch(const Architecture& arch, const T* params, const T* x, std::size_t events,
                      std::size_t jets, const AssignLoss& loss, const Dropout& dropout,
                      std::uint64_t loss_seed, BatchWorkspace<T>& ws, T* grads);

}  // namespace hepcat::assign
