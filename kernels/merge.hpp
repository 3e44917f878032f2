// Launchers of the greedy nonlocal merger on the GPU (twin of host/merge/merge_cpu.cpp), callable
// from host code compiled by the C++ compiler. All pointers are device pointers; every launcher
// queues its work on `stream`. The host drives the loop; per merge only the 4-int step record
// crosses to the host.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "hepcat/math/merge.hpp"

namespace hepcat::cuda {

/// The merger's device state over `cap` bins: v (n_hyp x cap, hypothesis-major), cached
/// sqrt(t) per bin, position <-> id maps, each bin's best partner (score, id, stale flag),
/// per-block partial minima and the step record {pos, stale, lo id, hi id, merged pos}.
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
  int cap = 0;
};

/// Bytes of the per-block partial minima for rows of up to `cap` bins.
std::size_t merge_partials_bytes(int cap);

/// Fills ids, positions and sqrt(t), then every bin's exact best partner over all others.
void launch_merge_init(const MergeDeviceState& s, const math::MergeScoreParams<double>& p, int m,
                       cudaStream_t stream);
/// Writes the step record: the bin with the smallest key (score, stale first, lowest pair).
void launch_merge_select(const MergeDeviceState& s, int m, cudaStream_t stream);
/// Rescans the best partner of the stale bin the step record names.
void launch_merge_rescan(const MergeDeviceState& s, const math::MergeScoreParams<double>& p, int m,
                         cudaStream_t stream);
/// Merges the step's pair (m bins before), then rescores the merged bin against the m - 1 left.
void launch_merge_apply(const MergeDeviceState& s, const math::MergeScoreParams<double>& p, int m,
                        cudaStream_t stream);

/// out[i] = map[event_flat_bin(i)] (map null: the flat bin) over the column-major features.
void launch_place_events(const float* d_features, std::size_t n, const int* d_columns, int n_dims,
                         const double* d_edges, const int* d_offsets, const int* d_map,
                         std::int32_t* d_out, cudaStream_t stream);

}  // namespace hepcat::cuda
