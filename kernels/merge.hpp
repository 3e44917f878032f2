// Launchers of the greedy nonlocal merger on the GPU (twin of host/merge/merge_cpu.cpp), callable
// from host code compiled by the C++ compiler. All pointers are device pointers; every launcher
// queues its work on `stream`. The greedy loop runs on the device (kernels/merge.cu says how):
// the host queues batches of iterations and reads the step record once per batch.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "hepcat/math/merge.hpp"

namespace hepcat::cuda {

/// The merger's device state over `cap` bins: v (n_hyp x cap, hypothesis-major), cached
/// sqrt(t) per bin, position <-> id maps, each bin's best partner (score, id, stale flag),
/// per-block partial minima, the step record (merge_step_ints() ints: the selected position and
/// pair, the merged position, the bins left at step[5] and the merges done at step[6]) and the
/// log of merged pairs (lo, hi), two ints per merge.
struct MergeDeviceState {
  double* v = nullptr;
  double* root = nullptr;
  int* id = nullptr;
  int* pos_of = nullptr;
  double* best_score = nullptr;
  int* best_partner = nullptr;
  int* stale = nullptr;
  void* partials = nullptr;
  int* step = nullptr;
  int* pairs = nullptr;
  int cap = 0;
};

/// Bytes of the per-block partial minima for rows of up to `cap` bins.
std::size_t merge_partials_bytes(int cap);

/// Ints in the step record.
std::size_t merge_step_ints();
/// Slots of the step record the host reads: bins left, merges done.
constexpr int kMergeStepBins = 5, kMergeStepMerges = 6;

/// Fills ids, positions and sqrt(t), every bin's exact best partner over all others, and the
/// step record (m bins, no merges).
void launch_merge_init(const MergeDeviceState& s, const math::MergeScoreParams<double>& p, int m,
                       cudaStream_t stream);
/// Queues `count` iterations of the greedy loop, each the CPU twin's select followed by either
/// the rescan of a stale best partner or one merge (logged) and the rescore of the merged bin.
/// Iterations once `target` bins are left do nothing.
void launch_merge_iterations(const MergeDeviceState& s, const math::MergeScoreParams<double>& p,
                             int target, int count, cudaStream_t stream);

/// out[i] = map[event_flat_bin(i)] (map null: the flat bin) over the columns (one per dimension).
void launch_place_events(const float* const* d_columns, std::size_t n, int n_dims,
                         const double* d_edges, const int* d_offsets, const int* d_map,
                         std::int32_t* d_out, cudaStream_t stream);

}  // namespace hepcat::cuda
