// The greedy nonlocal merger on the GPU: the same state and selection rule as the CPU twin
// (host/merge/merge_cpu.cpp), with score rows computed by many threads and minima found by CUB
// block reductions. Scores use the shared math without FMA contraction (math::mul_rn), so both
// backends take the same sequence of merges.
//
// The greedy loop stays on the device. An iteration is either a rescan (the selected bin's best
// partner was stale) or a merge, and which one only the select kernel knows; copying its record
// to the host to decide costs a synchronisation per iteration, about as long as the iteration's
// kernels themselves, so a 27k-bin merge would be bound by 27k round trips. Instead every
// iteration queues the same kernels, and each reads the step record and returns at once when it
// has nothing to do (the rescan when the bin is fresh, the merge and its rescore when it is
// stale, all of them once the target is reached). The number of bins and of merges done live in
// the record too, the merged pairs go to a device log, and the host replays a captured graph of
// kGraphIterations iterations until as many iterations were queued as merges remain, then reads
// the record once to learn how many rescans took their place.
#include <cub/block/block_reduce.cuh>

#include <algorithm>
#include <cfloat>
#include <climits>

#include "hepcat/math/merge.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/grid.cuh"
#include "kernels/merge.hpp"

namespace hepcat::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kSelectThreads = 1024;
constexpr int kMaxRowBlocks = 1024;
constexpr int kGraphIterations = 32;

// The step record: selected position, stale flag, pair (lo, hi) or (id, -1), merged position,
// bins left, merges done, and whether the iteration runs (bins left > target).
enum StepSlot { kPos, kStale, kLo, kHi, kMergedPos, kBins, kMerges, kActive, kStepSlots };
static_assert(kBins == kMergeStepBins && kMerges == kMergeStepMerges, "step record layout");

// A bin's partner candidate, ordered by math::partner_better.
struct Partner {
  double score;
  int id;
};
struct PartnerMin {
  __device__ Partner operator()(const Partner& a, const Partner& b) const {
    return math::partner_better(b.score, b.id, a.score, a.id) ? b : a;
  }
};

// Selection key of one position (math::merge_select_less, as the CPU twin), ties to the lowest
// position.
struct SelectKey {
  math::MergeSelectKey key;
  int pos;
};
struct SelectMin {
  __device__ SelectKey operator()(const SelectKey& a, const SelectKey& b) const {
    if (math::merge_select_less(a.key, b.key)) return a;
    if (math::merge_select_less(b.key, a.key)) return b;
    return a.pos <= b.pos ? a : b;
  }
};

__device__ double pair_score(const math::MergeScoreParams<double>& p, const double* v, int cap,
                             const double* root, int i, int j) {
  return math::merge_score(p, v + i, cap, root[i], v + j, cap, root[j]);
}

__global__ void merge_init_kernel(math::MergeScoreParams<double> p, double* __restrict__ v,
                                  double* __restrict__ root, int* __restrict__ id,
                                  int* __restrict__ pos_of, int* __restrict__ stale, int cap, int m,
                                  int* __restrict__ step) {
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    for (int k = 0; k < kStepSlots; ++k) step[k] = 0;  // the host reads the whole record
    step[kBins] = m;
  }
  grid_stride(m, [&](std::size_t k) {
    const int i = static_cast<int>(k);
    id[i] = pos_of[i] = i;
    stale[i] = 0;
    root[i] = p.loc_length ? math::loc_root_t(p, v + i, cap) : 0.0;
  });
}

// One thread per bin scans its whole row; a warp reads the same partner at once (broadcast).
__global__ void merge_initial_best_kernel(math::MergeScoreParams<double> p,
                                          const double* __restrict__ v,
                                          const double* __restrict__ root, int cap, int m,
                                          double* __restrict__ best_score,
                                          int* __restrict__ best_partner) {
  grid_stride(m, [&](std::size_t k) {
    const int i = static_cast<int>(k);
    Partner best{DBL_MAX, INT_MAX};
    for (int j = 0; j < m; ++j) {
      if (j == i) continue;
      best = PartnerMin()(best, Partner{pair_score(p, v, cap, root, i, j), j});
    }
    best_score[i] = best.score;
    best_partner[i] = best.id;
  });
}

__global__ void merge_select_kernel(const double* __restrict__ best_score,
                                    const int* __restrict__ best_partner,
                                    const int* __restrict__ stale, const int* __restrict__ id,
                                    int target, int* __restrict__ step) {
  using Reduce = cub::BlockReduce<SelectKey, kSelectThreads>;
  __shared__ typename Reduce::TempStorage temp;
  const int m = step[kBins];
  if (m <= target) {
    if (threadIdx.x == 0) step[kActive] = 0;
    return;
  }
  SelectKey key{{DBL_MAX, 0, INT_MAX, INT_MAX}, INT_MAX};
  for (int i = threadIdx.x; i < m; i += blockDim.x) {
    const SelectKey k{math::merge_select_key(best_score[i], stale[i] != 0, id[i], best_partner[i]),
                      i};
    key = SelectMin()(key, k);
  }
  key = Reduce(temp).Reduce(key, SelectMin());
  if (threadIdx.x == 0) {
    step[kPos] = key.pos;
    step[kStale] = key.key.stale;
    step[kLo] = key.key.lo;
    step[kHi] = key.key.hi;
    step[kActive] = 1;
  }
}

// Whether this iteration rescans (rescore false: the selected bin was stale) or merges and
// rescores (rescore true: it was fresh).
__device__ bool row_runs(const int* step, bool rescore) {
  return step[kActive] && (rescore ? !step[kStale] : step[kStale]);
}

// Scores bin `pos` (the step's stale bin, or the merged bin when rescoring) against every other
// bin and writes each block's best partner. When rescoring (a >= 0) the row also offers the
// merged bin a to every bin j, and marks stale the bins whose partner was a or b, exactly as
// NonlocalMerger::rescore_against.
__global__ void merge_row_kernel(math::MergeScoreParams<double> p, const double* __restrict__ v,
                                 const double* __restrict__ root, const int* __restrict__ id,
                                 int cap, const int* __restrict__ step, int pos_slot, bool rescore,
                                 double* __restrict__ best_score, int* __restrict__ best_partner,
                                 int* __restrict__ stale, Partner* __restrict__ partials) {
  using Reduce = cub::BlockReduce<Partner, kThreads>;
  __shared__ typename Reduce::TempStorage temp;
  if (!row_runs(step, rescore)) return;
  const int m = step[kBins];
  const int pos = step[pos_slot];
  const int a = step[kLo], b = step[kHi];
  Partner local{DBL_MAX, INT_MAX};
  grid_stride(m, [&](std::size_t k) {
    const int j = static_cast<int>(k);
    if (j == pos) return;
    const double s = pair_score(p, v, cap, root, pos, j);
    local = PartnerMin()(local, Partner{s, id[j]});
    if (rescore) math::offer_merged_bin(s, a, b, best_score[j], best_partner[j], stale[j]);
  });
  local = Reduce(temp).Reduce(local, PartnerMin());
  if (threadIdx.x == 0) partials[blockIdx.x] = local;
}

__global__ void merge_finish_kernel(const Partner* __restrict__ partials, int n_partials,
                                    const int* __restrict__ step, int pos_slot, bool rescore,
                                    double* __restrict__ best_score, int* __restrict__ best_partner,
                                    int* __restrict__ stale) {
  using Reduce = cub::BlockReduce<Partner, kThreads>;
  __shared__ typename Reduce::TempStorage temp;
  if (!row_runs(step, rescore)) return;
  Partner local{DBL_MAX, INT_MAX};
  for (int k = threadIdx.x; k < n_partials; k += blockDim.x)
    local = PartnerMin()(local, partials[k]);
  local = Reduce(temp).Reduce(local, PartnerMin());
  if (threadIdx.x == 0) {
    const int pos = step[pos_slot];
    best_score[pos] = local.score;
    best_partner[pos] = local.id;
    stale[pos] = 0;
  }
}

// One thread, when the selected bin was fresh: adds bin b into bin a, moves the last position
// into b's place (the CPU twin's compaction), logs the pair, counts the merge and records a's
// position.
__global__ void merge_pair_kernel(math::MergeScoreParams<double> p, double* __restrict__ v,
                                  double* __restrict__ root, int* __restrict__ id,
                                  int* __restrict__ pos_of, double* __restrict__ best_score,
                                  int* __restrict__ best_partner, int* __restrict__ stale, int cap,
                                  int* __restrict__ step, int* __restrict__ pairs) {
  if (!step[kActive] || step[kStale]) return;
  const int a = step[kLo], b = step[kHi], m = step[kBins];
  const int pa =
      math::merge_columns(v, p.n_hyp, cap, pos_of[a], pos_of[b], m, [&](int from, int to) {
        root[to] = root[from];
        id[to] = id[from];
        best_score[to] = best_score[from];
        best_partner[to] = best_partner[from];
        stale[to] = stale[from];
        pos_of[id[to]] = to;
      });
  root[pa] = p.loc_length ? math::loc_root_t(p, v + pa, cap) : 0.0;
  pairs[2 * step[kMerges]] = a;
  pairs[2 * step[kMerges] + 1] = b;
  step[kMerges] += 1;
  step[kBins] = m - 1;
  step[kMergedPos] = pa;
}

// Blocks of a row over the bins left (at most cap: blocks past them find no bin and offer no
// partner), no more than the partials buffer holds.
int row_blocks(int cap) {
  const std::size_t work = (static_cast<std::size_t>(cap) + kThreads - 1) / kThreads;
  return grid_blocks(merge_row_kernel, std::min<std::size_t>(work, kMaxRowBlocks), kThreads);
}

void launch_row(const MergeDeviceState& s, const math::MergeScoreParams<double>& p, int blocks,
                int pos_slot, bool rescore, cudaStream_t stream) {
  auto* partials = static_cast<Partner*>(s.partials);
  merge_row_kernel<<<blocks, kThreads, 0, stream>>>(p, s.v, s.root, s.id, s.cap, s.step, pos_slot,
                                                    rescore, s.best_score, s.best_partner, s.stale,
                                                    partials);
  HEPCAT_LAUNCH_CHECK(stream, "merge_row_kernel");
  merge_finish_kernel<<<1, kThreads, 0, stream>>>(partials, blocks, s.step, pos_slot, rescore,
                                                  s.best_score, s.best_partner, s.stale);
  HEPCAT_LAUNCH_CHECK(stream, "merge_finish_kernel");
}

// One iteration of the greedy loop: select; rescan if stale; else merge and rescore the merged
// bin against the bins left.
void launch_iteration(const MergeDeviceState& s, const math::MergeScoreParams<double>& p,
                      int target, int blocks, cudaStream_t stream) {
  merge_select_kernel<<<1, kSelectThreads, 0, stream>>>(s.best_score, s.best_partner, s.stale, s.id,
                                                        target, s.step);
  HEPCAT_LAUNCH_CHECK(stream, "merge_select_kernel");
  launch_row(s, p, blocks, kPos, false, stream);
  merge_pair_kernel<<<1, 1, 0, stream>>>(p, s.v, s.root, s.id, s.pos_of, s.best_score,
                                         s.best_partner, s.stale, s.cap, s.step, s.pairs);
  HEPCAT_LAUNCH_CHECK(stream, "merge_pair_kernel");
  launch_row(s, p, blocks, kMergedPos, true, stream);
}

__global__ void place_events_kernel(const float* const* __restrict__ columns, std::size_t n,
                                    int n_dims, const double* __restrict__ edges,
                                    const int* __restrict__ offsets, const int* __restrict__ map,
                                    std::int32_t* __restrict__ out) {
  grid_stride(n, [&](std::size_t i) {
    const int b = math::event_flat_bin(columns, i, n_dims, edges, offsets);
    out[i] = map ? map[b] : b;
  });
}

}  // namespace

std::size_t merge_partials_bytes(int) {
  return kMaxRowBlocks * sizeof(Partner);
}

std::size_t merge_step_ints() {
  return kStepSlots;
}

void launch_merge_init(const MergeDeviceState& s, const math::MergeScoreParams<double>& p, int m,
                       cudaStream_t stream) {
  const int blocks = grid_blocks_for_items(merge_init_kernel, m, kThreads);
  merge_init_kernel<<<blocks, kThreads, 0, stream>>>(p, s.v, s.root, s.id, s.pos_of, s.stale, s.cap,
                                                     m, s.step);
  HEPCAT_LAUNCH_CHECK(stream, "merge_init_kernel");
  // Small blocks: one thread per row, so spread the rows over every multiprocessor.
  constexpr int kRowThreads = 64;
  merge_initial_best_kernel<<<grid_blocks_for_items(merge_initial_best_kernel, m, kRowThreads),
                              kRowThreads, 0, stream>>>(p, s.v, s.root, s.cap, m, s.best_score,
                                                        s.best_partner);
  HEPCAT_LAUNCH_CHECK(stream, "merge_initial_best_kernel");
}

void launch_merge_iterations(const MergeDeviceState& s, const math::MergeScoreParams<double>& p,
                             int target, int count, cudaStream_t stream) {
  const int blocks = row_blocks(s.cap);
  int direct = count;
#ifndef HEPCAT_SYNC_LAUNCHES
  // Whole graphs of kGraphIterations iterations (7 kernels each), the rest launched one by one.
  // A graph launch queues its kernels with less overhead than as many stream launches. Not with
  // HEPCAT_SYNC_LAUNCHES: a stream cannot synchronise while it is being captured.
  if (count >= kGraphIterations) {
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    HEPCAT_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    for (int k = 0; k < kGraphIterations; ++k) launch_iteration(s, p, target, blocks, stream);
    HEPCAT_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
    const cudaError_t made = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    HEPCAT_CUDA_CHECK(made);
    cudaError_t launched = cudaSuccess;
    for (int k = 0; k + kGraphIterations <= count && launched == cudaSuccess; k += kGraphIterations)
      launched = cudaGraphLaunch(exec, stream);
    cudaGraphExecDestroy(exec);  // deferred by the runtime until the launches complete
    HEPCAT_CUDA_CHECK(launched);
    direct = count % kGraphIterations;
  }
#endif
  for (int k = 0; k < direct; ++k) launch_iteration(s, p, target, blocks, stream);
}

void launch_place_events(const float* const* d_columns, std::size_t n, int n_dims,
                         const double* d_edges, const int* d_offsets, const int* d_map,
                         std::int32_t* d_out, cudaStream_t stream) {
  if (n == 0) return;
  const int blocks = grid_blocks_for_items(place_events_kernel, n, kThreads);
  place_events_kernel<<<blocks, kThreads, 0, stream>>>(d_columns, n, n_dims, d_edges, d_offsets,
                                                       d_map, d_out);
  HEPCAT_LAUNCH_CHECK(stream, "place_events_kernel");
}

}  // namespace hepcat::cuda
