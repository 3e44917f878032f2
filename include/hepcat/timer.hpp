// Wall time of work queued on a context: CUDA events on the GPU, a steady clock on the CPU.
#pragma once

#include <memory>

#include "hepcat/api.hpp"
#include "hepcat/context.hpp"

namespace hepcat {

class HEPCAT_API StreamTimer {
 public:
  explicit StreamTimer(const Context& ctx);
  ~StreamTimer();
  StreamTimer(const StreamTimer&) = delete;
  StreamTimer& operator=(const StreamTimer&) = delete;

  void start();   ///< marks the stream position (or the current time on the CPU)
  double stop();  ///< waits for the stream and returns seconds since start()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hepcat
