// The ABC model's forward and backward on a CUDA context: the same layer order as
// host/assign/model_network.cpp, with the linear layers as cuBLAS GEMMs and everything else the
// kernels of kernels/assign.cu over the shared math. The parameters, gradients, inputs and every
// intermediate stay on the device; only what is asked for (per-event losses, results, a trace)
// is copied back. Scratch memory is O(batch), kept between calls. Defined only in builds with
// CUDA (HEPCAT_HAVE_CUDA).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/context.hpp"
#include "host/assign/model_network.hpp"

namespace hepcat::assign {

class DeviceNetwork {
 public:
  /// `ctx` must be a CUDA context and outlive the network.
  DeviceNetwork(const Context& ctx, const Architecture& arch);
  ~DeviceNetwork();
  DeviceNetwork(const DeviceNetwork&) = delete;
  DeviceNetwork& operator=(const DeviceNetwork&) = delete;

  /// Copies host inputs x [events][jets][5] to the device; the returned pointer is valid until
  /// the next upload.
  const float* upload(const float* x, std::size_t events, std::size_t jets);
  /// The forward pass over device inputs x with the device parameters `params` (see
  /// assign::forward; `loss_seed` draws the four-term loss's random assignment). With `trace`,
  /// the fixture's intermediates are copied back and recorded.
  void forward(const float* params, const float* x, std::size_t events, std::size_t jets, bool soft,
               const AssignLoss& loss, const Dropout& dropout, std::uint64_t loss_seed,
               AssignTrace* trace);
  /// The last forward's per-event losses, copied back.
  std::vector<float> event_losses() const;
  /// Their mean, summed in double in event order.
  double loss() const;
  /// d(batch loss)/d(params) of the last (soft) forward into the device buffer grads (n values,
  /// overwritten).
  void backward(const float* params, const AssignLoss& loss, float* grads, std::size_t n);
  /// Gradient-norm clipping of grads (n values) on the device, as the trainer's CPU path.
  void clip(float* grads, std::size_t n, double clip_norm);
  /// The last forward's final logits [rows][T], candidate four-vectors [B][T][4] and squared
  /// masses [B][T], copied back.
  void results(std::vector<float>& logits, std::vector<float>& cp4, std::vector<float>& m2) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hepcat::assign
