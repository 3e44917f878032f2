// Backend selection and the per-device resources every operation runs on.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "hepcat/api.hpp"

namespace hepcat {

enum class Backend { cpu, cuda };

HEPCAT_API const char* to_string(Backend backend);

/// What was compiled into this build of the library.
struct HEPCAT_API BuildInfo {
  std::string version;
  bool cuda = false;  ///< CUDA backend compiled in
  std::string cuda_architectures;
  bool hdf5 = false;  ///< HDF5 reader and writer compiled in
  bool openmp = false;
  int cpu_threads = 1;  ///< threads the CPU backend uses
};
HEPCAT_API BuildInfo build_info();

/// One CUDA device as the runtime reports it.
struct HEPCAT_API DeviceInfo {
  int index = 0;
  std::string name;
  std::size_t memory_bytes = 0;
  int compute_major = 0, compute_minor = 0;
  int multiprocessors = 0;
  double peak_bandwidth_gbs = 0;  ///< 2 * memory clock * bus width, from the device properties
};

/// The CUDA devices present. Empty (never an error) when the build has no CUDA backend, when no
/// driver is installed, or when the driver reports no device.
HEPCAT_API std::vector<DeviceInfo> cuda_devices();

/// A parsed device request: "auto", "cpu", "cuda" or "cuda:N".
struct HEPCAT_API DeviceSpec {
  enum class Kind { automatic, cpu, cuda } kind = Kind::automatic;
  int index = 0;
  static DeviceSpec parse(const std::string& text);  ///< throws Error naming the bad text
};

/// Owns what operations run on: the chosen backend, and on CUDA the device, the stream, the
/// cuBLAS handle bound to that stream and a grow-only scratch allocation. All work a Context
/// launches is ordered on its one stream. Move-only.
class HEPCAT_API Context {
 public:
  /// `device` as in DeviceSpec::parse. "auto" picks CUDA device 0 when present, else the CPU;
  /// with `verbose` the choice is reported in one line on stderr. Asking for "cuda" on a
  /// machine without a device throws Error.
  explicit Context(const std::string& device = "auto", bool verbose = false);
  ~Context();
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Backend backend() const;
  bool is_cuda() const { return backend() == Backend::cuda; }
  int device_index() const;           ///< CUDA device ordinal; -1 on the CPU
  std::string device_name() const;    ///< GPU name, or "cpu (N threads)"
  double peak_bandwidth_gbs() const;  ///< 0 on the CPU
  int multiprocessors() const;        ///< 0 on the CPU

  /// Blocks until all work queued on the stream finished (no-op on the CPU).
  void synchronize() const;

  /// Opaque handles for the CUDA backend (cudaStream_t, cublasHandle_t); null on the CPU.
  void* stream() const;
  void* cublas() const;

  /// Scratch memory on this context's backend, at least `bytes` large, valid until the next
  /// call. Grows, never shrinks; callers must not hold it across operations.
  void* scratch(std::size_t bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hepcat
