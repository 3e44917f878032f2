// Move-only typed storage on a backend: host memory for the CPU backend, device memory for CUDA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/context.hpp"

namespace hepcat {

/// Host memory the system can still hand out without swapping (MemAvailable), in bytes.
HEPCAT_API std::uint64_t available_host_memory();

/// Throws Error "<what> needs about N GiB of memory, but only M GiB are available" when `bytes`
/// exceeds available_host_memory(); lets a command refuse an absurd size before allocating.
HEPCAT_API void require_host_memory(const std::string& what, double bytes);

/// Byte-level storage and copies on a backend, under Buffer<T>.
namespace memory {
HEPCAT_API void* allocate_bytes(Backend backend, std::size_t bytes);
HEPCAT_API void release_bytes(Backend backend, void* ptr) noexcept;
/// Copies host -> buffer, buffer -> host or buffer -> buffer on the context's stream.
/// Host-bound copies complete before returning.
HEPCAT_API void copy_to_backend(const Context& ctx, void* dst, const void* host_src,
                                std::size_t bytes);
HEPCAT_API void copy_to_host(const Context& ctx, void* host_dst, const void* src,
                             std::size_t bytes);
HEPCAT_API void copy_within(const Context& ctx, void* dst, const void* src, std::size_t bytes);
HEPCAT_API void set_zero(const Context& ctx, void* dst, std::size_t bytes);
}  // namespace memory

template <class T>
class HEPCAT_API Buffer {
  static_assert(std::is_trivially_copyable_v<T>, "Buffer holds trivially copyable values");

 public:
  Buffer() = default;
  /// Uninitialised storage for `n` values on the context's backend.
  Buffer(const Context& ctx, std::size_t n)
      : backend_(ctx.backend()),
        data_(static_cast<T*>(memory::allocate_bytes(backend_, n * sizeof(T)))),
        size_(n) {}
  /// Storage initialised from host values.
  Buffer(const Context& ctx, const std::vector<T>& host) : Buffer(ctx, host.size()) {
    upload(ctx, host.data(), host.size());
  }
  ~Buffer() { memory::release_bytes(backend_, data_); }
  Buffer(Buffer&& o) noexcept
      : backend_(o.backend_),
        data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      memory::release_bytes(backend_, data_);
      backend_ = o.backend_;
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Backend backend() const { return backend_; }

  /// Copies `n` host values into the start of the buffer.
  void upload(const Context& ctx, const T* host, std::size_t n) {
    memory::copy_to_backend(ctx, data_, host, n * sizeof(T));
  }
  void upload(const Context& ctx, const std::vector<T>& host) {
    upload(ctx, host.data(), host.size());
  }
  /// Copies the whole buffer back to the host (waits for the stream).
  std::vector<T> to_host(const Context& ctx) const {
    std::vector<T> out(size_);
    memory::copy_to_host(ctx, out.data(), data_, size_ * sizeof(T));
    return out;
  }
  void zero(const Context& ctx) { memory::set_zero(ctx, data_, size_ * sizeof(T)); }

 private:
  Backend backend_ = Backend::cpu;
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace hepcat
