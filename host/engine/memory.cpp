#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"

#ifdef HEPCAT_HAVE_CUDA
#include "kernels/cuda_check.hpp"
#endif

namespace hepcat {

std::uint64_t available_host_memory() {
  std::ifstream in("/proc/meminfo");
  for (std::string key; in >> key;) {
    std::uint64_t kib = 0;
    in >> kib;
    if (key == "MemAvailable:") return kib * 1024;
    in.ignore(1 << 10, '\n');
  }
  const long pages = ::sysconf(_SC_AVPHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * page : UINT64_MAX;
}

void require_host_memory(const std::string& what, double bytes) {
  const double available = static_cast<double>(available_host_memory());
  if (!(bytes <= available)) {
    char text[160];
    std::snprintf(text, sizeof text,
                  " needs about %.3g GiB of memory, but only %.3g GiB are available",
                  bytes / 1073741824.0, available / 1073741824.0);
    throw Error(what + text);
  }
}

}  // namespace hepcat

namespace hepcat::memory {

namespace {
constexpr std::size_t kHostAlignment = 64;  // one cache line, and enough for any SIMD load

#ifdef HEPCAT_HAVE_CUDA
cudaStream_t stream_of(const Context& ctx) {
  return static_cast<cudaStream_t>(ctx.stream());
}
#endif
}  // namespace

void* allocate_bytes(Backend backend, std::size_t bytes) {
  if (bytes == 0) return nullptr;
#ifdef HEPCAT_HAVE_CUDA
  if (backend == Backend::cuda) {
    void* p = nullptr;
    HEPCAT_CUDA_CHECK(cudaMalloc(&p, bytes));
    return p;
  }
#endif
  (void)backend;
  const std::size_t rounded = (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
  void* p = std::aligned_alloc(kHostAlignment, rounded);
  if (!p) throw Error("out of host memory allocating " + std::to_string(bytes) + " bytes");
  return p;
}

void release_bytes(Backend backend, void* ptr) noexcept {
  if (!ptr) return;
#ifdef HEPCAT_HAVE_CUDA
  if (backend == Backend::cuda) {
    cudaFree(ptr);
    return;
  }
#endif
  (void)backend;
  std::free(ptr);
}

namespace {
enum class Copy { to_backend, to_host, within };

// One copy on the context's backend: on CUDA an asynchronous copy on its stream, waited for when
// host memory is involved (the caller may reuse or read it as soon as we return); on the CPU a
// memmove (a copy within one buffer may overlap).
void copy_bytes(const Context& ctx, void* dst, const void* src, std::size_t bytes, Copy how) {
  if (bytes == 0) return;
#ifdef HEPCAT_HAVE_CUDA
  if (ctx.is_cuda()) {
    const cudaMemcpyKind kind = how == Copy::to_backend ? cudaMemcpyHostToDevice
                                : how == Copy::to_host  ? cudaMemcpyDeviceToHost
                                                        : cudaMemcpyDeviceToDevice;
    HEPCAT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, stream_of(ctx)));
    if (how != Copy::within) HEPCAT_CUDA_CHECK(cudaStreamSynchronize(stream_of(ctx)));
    return;
  }
#endif
  (void)ctx;
  (void)how;
  std::memmove(dst, src, bytes);
}
}  // namespace

void copy_to_backend(const Context& ctx, void* dst, const void* host_src, std::size_t bytes) {
  copy_bytes(ctx, dst, host_src, bytes, Copy::to_backend);
}

void copy_to_host(const Context& ctx, void* host_dst, const void* src, std::size_t bytes) {
  copy_bytes(ctx, host_dst, src, bytes, Copy::to_host);
}

void copy_within(const Context& ctx, void* dst, const void* src, std::size_t bytes) {
  copy_bytes(ctx, dst, src, bytes, Copy::within);
}

void set_zero(const Context& ctx, void* dst, std::size_t bytes) {
  if (bytes == 0) return;
#ifdef HEPCAT_HAVE_CUDA
  if (ctx.is_cuda()) {
    HEPCAT_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream_of(ctx)));
    return;
  }
#endif
  (void)ctx;
  std::memset(dst, 0, bytes);
}

}  // namespace hepcat::memory
