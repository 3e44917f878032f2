// CPU twin of kernels/merge.cu: the exact greedy nonlocal merger as OpenMP loops over the math of
// include/hepcat/math/merge.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "hepcat/math/merge.hpp"

namespace hepcat::cpu {

/// A merge of the bins with ids lo < hi (a bin's id is its lowest original bin); the merged bin
/// keeps id lo.
using MergePair = std::pair<int, int>;

/// Greedy nonlocal merges of `counts` (n_hyp x n_bins, hypothesis-major) until `target` bins
/// remain, in the order they happen. params.w and params.c are host pointers.
std::vector<MergePair> nonlocal_merges(const double* counts, int n_hyp, int n_bins, int target,
                                       const math::MergeScoreParams<double>& params,
                                       const std::function<void(long, long)>& progress);

}  // namespace hepcat::cpu

namespace hepcat::cpu {

/// out[i] = map[event_flat_bin(i)] (map null: the flat bin itself) for the n events of
/// `columns` (one per dimension).
void place_events(const float* const* columns, std::size_t n, int n_dims, const double* edges,
                  const int* offsets, const int* map, std::int32_t* out);

}  // namespace hepcat::cpu
