#include "hepcat/context.hpp"

#include <cstdlib>
#include <iostream>
#include <string>

#include "hepcat/communicator.hpp"
#include "hepcat/error.hpp"
#include "host/engine/enum_names.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef HEPCAT_HAVE_CUDA
#include "kernels/cuda_check.hpp"
#endif

namespace hepcat {

namespace {
const detail::EnumName<Backend> kBackendNames[] = {{Backend::cpu, "cpu"}, {Backend::cuda, "cuda"}};
}  // namespace

const char* to_string(Backend backend) {
  return detail::enum_to_string(kBackendNames, backend);
}

namespace {
int cpu_thread_count() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
}  // namespace

BuildInfo build_info() {
  BuildInfo info;
  info.version = HEPCAT_VERSION;
#ifdef HEPCAT_HAVE_CUDA
  info.cuda = true;
  info.cuda_architectures = HEPCAT_CUDA_ARCHITECTURES;
#endif
#ifdef HEPCAT_HAVE_HDF5
  info.hdf5 = true;
#endif
#ifdef _OPENMP
  info.openmp = true;
#endif
  info.cpu_threads = cpu_thread_count();
  return info;
}

#ifdef HEPCAT_HAVE_CUDA
namespace cuda {
[[noreturn]] void throw_cuda_error(const char* what, const char* expr, const char* file, int line) {
  throw Error(std::string("CUDA error '") + what + "' in " + expr + " at " + file + ":" +
              std::to_string(line));
}
}  // namespace cuda

namespace {
DeviceInfo query_device(int index) {
  cudaDeviceProp prop{};
  HEPCAT_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  int clock_khz = 0, bus_bits = 0;
  HEPCAT_CUDA_CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, index));
  HEPCAT_CUDA_CHECK(cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, index));
  DeviceInfo d;
  d.index = index;
  d.name = prop.name;
  d.memory_bytes = prop.totalGlobalMem;
  d.compute_major = prop.major;
  d.compute_minor = prop.minor;
  d.multiprocessors = prop.multiProcessorCount;
  // Double data rate: two transfers per memory clock over the whole bus.
  d.peak_bandwidth_gbs = 2.0 * clock_khz * 1e3 * (bus_bits / 8.0) / 1e9;
  return d;
}
}  // namespace
#endif

std::vector<DeviceInfo> cuda_devices() {
  std::vector<DeviceInfo> out;
#ifdef HEPCAT_HAVE_CUDA
  int count = 0;
  // Any error here (no driver, no device, driver too old) means "no CUDA device".
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return out;
  }
  for (int i = 0; i < count; ++i) out.push_back(query_device(i));
#endif
  return out;
}

DeviceSpec DeviceSpec::parse(const std::string& text) {
  DeviceSpec spec;
  if (text == "auto") return spec;
  if (text == "cpu") {
    spec.kind = Kind::cpu;
    return spec;
  }
  if (text.rfind("cuda", 0) == 0) {
    spec.kind = Kind::cuda;
    if (text.size() == 4) return spec;
    if (text[4] == ':' && text.size() > 5 &&
        text.find_first_not_of("0123456789", 5) == std::string::npos) {
      spec.index = std::stoi(text.substr(5));
      return spec;
    }
  }
  throw Error("invalid device '" + text + "': expected auto, cpu, cuda or cuda:N");
}

struct Context::Impl {
  Backend backend = Backend::cpu;
  DeviceInfo device;
  void* scratch = nullptr;
  std::size_t scratch_bytes = 0;
#ifdef HEPCAT_HAVE_CUDA
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
#endif

  ~Impl() {
#ifdef HEPCAT_HAVE_CUDA
    if (backend == Backend::cuda) {
      // Destructors must not throw: release quietly.
      cudaSetDevice(device.index);
      if (scratch) cudaFree(scratch);
      if (cublas) cublasDestroy(cublas);
      if (stream) cudaStreamDestroy(stream);
      return;
    }
#endif
    std::free(scratch);
  }
};

Context::Context(const std::string& device, bool verbose) : impl_(std::make_unique<Impl>()) {
  const DeviceSpec spec = DeviceSpec::parse(device);
  const std::vector<DeviceInfo> devices =
      spec.kind == DeviceSpec::Kind::cpu ? std::vector<DeviceInfo>{} : cuda_devices();
  if (spec.kind == DeviceSpec::Kind::cuda) {
    if (!build_info().cuda) throw Error("device '" + device + "': this build has no CUDA backend");
    if (devices.empty()) throw Error("device '" + device + "': no CUDA device is present");
    if (spec.index >= static_cast<int>(devices.size()))
      throw Error("device '" + device + "': only " + std::to_string(devices.size()) +
                  " CUDA device(s) present");
  }
  const bool use_cuda = spec.kind == DeviceSpec::Kind::cuda ||
                        (spec.kind == DeviceSpec::Kind::automatic && !devices.empty());
#ifdef HEPCAT_HAVE_CUDA
  if (use_cuda) {
    impl_->backend = Backend::cuda;
    // Ranks sharing a node spread over its GPUs unless a device is named.
    const bool named = device.find(':') != std::string::npos;
    const int index = named ? spec.index : world().local_rank() % static_cast<int>(devices.size());
    impl_->device = devices[index];
    HEPCAT_CUDA_CHECK(cudaSetDevice(impl_->device.index));
    HEPCAT_CUDA_CHECK(cudaStreamCreateWithFlags(&impl_->stream, cudaStreamNonBlocking));
  }
#else
  (void)use_cuda;
#endif
  if (verbose) {
    if (impl_->backend == Backend::cuda)
      std::cerr << "hepcat: using CUDA device " << impl_->device.index << " (" << impl_->device.name
                << ")\n";
    else if (spec.kind == DeviceSpec::Kind::automatic)
      std::cerr << "hepcat: no CUDA device found, using the CPU backend (" << cpu_thread_count()
                << " threads)\n";
    else
      std::cerr << "hepcat: using the CPU backend (" << cpu_thread_count() << " threads)\n";
  }
}

Context::~Context() = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

Backend Context::backend() const {
  return impl_->backend;
}
int Context::device_index() const {
  return is_cuda() ? impl_->device.index : -1;
}
std::string Context::device_name() const {
  if (is_cuda()) return impl_->device.name;
  return "cpu (" + std::to_string(cpu_thread_count()) + " threads)";
}
double Context::peak_bandwidth_gbs() const {
  return impl_->device.peak_bandwidth_gbs;
}
int Context::multiprocessors() const {
  return impl_->device.multiprocessors;
}

void Context::synchronize() const {
#ifdef HEPCAT_HAVE_CUDA
  if (is_cuda()) HEPCAT_CUDA_CHECK(cudaStreamSynchronize(impl_->stream));
#endif
}

void* Context::stream() const {
#ifdef HEPCAT_HAVE_CUDA
  return impl_->stream;
#else
  return nullptr;
#endif
}

void* Context::cublas() const {
#ifdef HEPCAT_HAVE_CUDA
  // Created on first use, on this context's device and stream: most contexts never need one.
  if (is_cuda() && !impl_->cublas) {
    HEPCAT_CUDA_CHECK(cudaSetDevice(impl_->device.index));
    HEPCAT_CUDA_CHECK(cublasCreate(&impl_->cublas));
    HEPCAT_CUDA_CHECK(cublasSetStream(impl_->cublas, impl_->stream));
  }
  return impl_->cublas;
#else
  return nullptr;
#endif
}

void* Context::scratch(std::size_t bytes) {
  if (bytes <= impl_->scratch_bytes) return impl_->scratch;
#ifdef HEPCAT_HAVE_CUDA
  if (is_cuda()) {
    // The stream may still use the old block.
    HEPCAT_CUDA_CHECK(cudaStreamSynchronize(impl_->stream));
    if (impl_->scratch) HEPCAT_CUDA_CHECK(cudaFree(impl_->scratch));
    impl_->scratch = nullptr;
    HEPCAT_CUDA_CHECK(cudaMalloc(&impl_->scratch, bytes));
    impl_->scratch_bytes = bytes;
    return impl_->scratch;
  }
#endif
  std::free(impl_->scratch);
  impl_->scratch = std::malloc(bytes);
  if (!impl_->scratch) {
    impl_->scratch_bytes = 0;
    throw Error("out of host memory allocating " + std::to_string(bytes) + " bytes of scratch");
  }
  impl_->scratch_bytes = bytes;
  return impl_->scratch;
}

}  // namespace hepcat
