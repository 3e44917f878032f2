// HEPCAT_HD marks per-element math that compiles for both the host and the device.
// Every formula in include/hepcat/math/ is written once, templated on the scalar type,
// and called from CUDA kernels and from the CPU backend's OpenMP loops alike.
#pragma once

#if defined(__CUDACC__)
#define HEPCAT_HD __host__ __device__ __forceinline__
#else
#define HEPCAT_HD inline
#endif
