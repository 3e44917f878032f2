// One checking macro for CUDA runtime and cuBLAS status codes, and the launch check that
// follows every kernel. Internal to the library (never included from include/hepcat/).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>

#include "hepcat/error.hpp"

namespace hepcat::cuda {

[[noreturn]] void throw_cuda_error(const char* what, const char* expr, const char* file, int line);

inline void check(cudaError_t status, const char* expr, const char* file, int line) {
  if (status != cudaSuccess) throw_cuda_error(cudaGetErrorString(status), expr, file, line);
}
inline void check(cublasStatus_t status, const char* expr, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw_cuda_error(cublasGetStatusString(status), expr, file, line);
}

/// After a launch: reports configuration errors at once; with HEPCAT_SYNC_LAUNCHES defined
/// (CMake option of that name) also waits for the kernel, to pin asynchronous faults to it.
inline void check_launch(cudaStream_t stream, const char* kernel, const char* file, int line) {
  check(cudaGetLastError(), kernel, file, line);
#ifdef HEPCAT_SYNC_LAUNCHES
  check(cudaStreamSynchronize(stream), kernel, file, line);
#else
  (void)stream;
#endif
}

}  // namespace hepcat::cuda

#define HEPCAT_CUDA_CHECK(expr) ::hepcat::cuda::check((expr), #expr, __FILE__, __LINE__)
#define HEPCAT_LAUNCH_CHECK(stream, kernel) \
  ::hepcat::cuda::check_launch((stream), (kernel), __FILE__, __LINE__)
