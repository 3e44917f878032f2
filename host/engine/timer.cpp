#include "hepcat/timer.hpp"

#include <chrono>

#ifdef HEPCAT_HAVE_CUDA
#include "kernels/cuda_check.hpp"
#endif

namespace hepcat {

struct StreamTimer::Impl {
  const Context& ctx;
  std::chrono::steady_clock::time_point t0;
#ifdef HEPCAT_HAVE_CUDA
  cudaEvent_t begin = nullptr, end = nullptr;
#endif
  explicit Impl(const Context& c) : ctx(c) {}
};

StreamTimer::StreamTimer(const Context& ctx) : impl_(std::make_unique<Impl>(ctx)) {
#ifdef HEPCAT_HAVE_CUDA
  if (ctx.is_cuda()) {
    HEPCAT_CUDA_CHECK(cudaEventCreate(&impl_->begin));
    HEPCAT_CUDA_CHECK(cudaEventCreate(&impl_->end));
  }
#endif
}

StreamTimer::~StreamTimer() {
#ifdef HEPCAT_HAVE_CUDA
  if (impl_->begin) cudaEventDestroy(impl_->begin);
  if (impl_->end) cudaEventDestroy(impl_->end);
#endif
}

void StreamTimer::start() {
#ifdef HEPCAT_HAVE_CUDA
  if (impl_->ctx.is_cuda()) {
    HEPCAT_CUDA_CHECK(
        cudaEventRecord(impl_->begin, static_cast<cudaStream_t>(impl_->ctx.stream())));
    return;
  }
#endif
  impl_->t0 = std::chrono::steady_clock::now();
}

double StreamTimer::stop() {
#ifdef HEPCAT_HAVE_CUDA
  if (impl_->ctx.is_cuda()) {
    HEPCAT_CUDA_CHECK(cudaEventRecord(impl_->end, static_cast<cudaStream_t>(impl_->ctx.stream())));
    HEPCAT_CUDA_CHECK(cudaEventSynchronize(impl_->end));
    float ms = 0.f;
    HEPCAT_CUDA_CHECK(cudaEventElapsedTime(&ms, impl_->begin, impl_->end));
    return ms * 1e-3;
  }
#endif
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - impl_->t0).count();
}

}  // namespace hepcat
