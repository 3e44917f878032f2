// Sizes shared by every backend: the event chunks of the deterministic reduction and the largest
// accumulator table one reduction pass may hold. Declared once here; host code checks them when an
// object is built, on every backend alike (host/engine/limits.hpp), so no call succeeds on one
// backend and fails on another.
#pragma once

#include <cstddef>

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

/// Events per chunk of the deterministic reduction (CPU: host/engine/reduce.hpp; CUDA:
/// kernels/chunk_sums.cuh). Independent of threads, blocks, devices and processes.
constexpr std::size_t kReductionChunk = std::size_t(1) << 14;

/// Chunks of n events.
HEPCAT_HD std::size_t chunk_count(std::size_t n) {
  return (n + kReductionChunk - 1) / kReductionChunk;
}

/// Slices of a chunk on the device: one warp sums each slice, the slices are added in order.
constexpr int kChunkSlices = 4;

/// Shared memory one device block may use for accumulators: the opt-in per-block maximum of the
/// smallest supported architecture (sm_80: 163 KiB; sm_90: 227 KiB). A fixed figure rather than
/// the device's own, so that the table layout, and with it every sum, is the same on every GPU.
constexpr std::size_t kSharedBudgetBytes = std::size_t(160) * 1024;

/// Values one reduction pass may accumulate per event chunk (a float table per slice).
constexpr std::size_t kMaxAccumulators = kSharedBudgetBytes / (kChunkSlices * sizeof(float));

}  // namespace hepcat::math
