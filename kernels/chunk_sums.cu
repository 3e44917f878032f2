#include <string>

#include "hepcat/error.hpp"
#include "kernels/chunk_sums.cuh"
#include "kernels/cuda_check.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 256;
constexpr std::size_t kDefaultShared = 48 * 1024;

__global__ void sum_chunk_partials_kernel(const double* __restrict__ partial, std::size_t n_chunks,
                                          int width, double* __restrict__ out) {
  grid_stride(static_cast<std::size_t>(width), [&](std::size_t c) {
    double s = 0;
    for (std::size_t k = 0; k < n_chunks; ++k) s += partial[k * width + c];
    out[c] = s;
  });
}

}  // namespace

std::size_t chunk_partials_bytes(std::size_t n, int width) {
  return chunk_count(n) * static_cast<std::size_t>(width) * sizeof(double);
}

void launch_sum_chunk_partials(const double* d_partial, std::size_t n_chunks, int width,
                               double* d_out, cudaStream_t stream) {
  if (n_chunks == 0) {
    HEPCAT_CUDA_CHECK(
        cudaMemsetAsync(d_out, 0, static_cast<std::size_t>(width) * sizeof(double), stream));
    return;
  }
  const int blocks = grid_blocks_for_items(sum_chunk_partials_kernel, width, kThreads);
  sum_chunk_partials_kernel<<<blocks, kThreads, 0, stream>>>(d_partial, n_chunks, width, d_out);
  HEPCAT_LAUNCH_CHECK(stream, "sum_chunk_partials_kernel");
}

void allow_shared(const void* kernel, std::size_t bytes, const char* what) {
  if (bytes <= kDefaultShared) return;
  int device = 0, optin = 0;
  HEPCAT_CUDA_CHECK(cudaGetDevice(&device));
  HEPCAT_CUDA_CHECK(
      cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  if (bytes > static_cast<std::size_t>(optin))
    throw Error(std::string(what) + ": needs " + std::to_string(bytes) +
                " bytes of shared memory per block, the device allows " + std::to_string(optin));
  HEPCAT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(bytes)));
}

}  // namespace hepcat::cuda
