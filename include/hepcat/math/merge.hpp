// Minimal-loss bin merging (SCIENCE.md section 2): the LOC length term and the two pair scores,
// shared by the CPU and CUDA mergers. A bin is a vector over hypotheses read with a stride, so
// the same code reads a column of a hypothesis-major histogram or a small local array.
#pragma once

#include <cmath>
#include <cstddef>

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

/// Hypotheses a merge can compare; bounds the per-thread arrays of the mergers.
constexpr int kMaxMergeHypotheses = 32;

// Products nvcc may not fuse into FMAs: host and device then round every score identically and
// the CPU and GPU mergers take the same sequence of merges, ties included.
HEPCAT_HD double mul_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
HEPCAT_HD float mul_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}

/// Euclidean norm of a bin's hypothesis vector: the bin's share of the LOC length
/// (SCIENCE.md section 2, LOC = sum over bins of ||H_b||).
template <class T>
HEPCAT_HD T loc_term(const T* v, std::ptrdiff_t stride, int n_hyp) {
  T s = 0;
  for (int h = 0; h < n_hyp; ++h) s += mul_rn(v[h * stride], v[h * stride]);
  return std::sqrt(s);
}

/// Whether the pair of hypotheses (h, k), h < k, enters a score; comp_to_first keeps only the
/// pairs with hypothesis 0 ("SM versus each coupling").
HEPCAT_HD bool merge_pair_used(int h, bool comp_to_first) {
  return !comp_to_first || h == 0;
}

/// What a score needs besides the two bins. `w` (n x n, row-major, upper triangle read) weights
/// the determinant terms; `c` holds the diagonal of the quadratic form t below.
template <class T>
struct MergeScoreParams {
  int n_hyp = 0;
  bool loc_length = false;  ///< loc_length score, else determinant
  bool comp_to_first = false;
  const T* w = nullptr;
  const T* c = nullptr;
};

/// t(v) = sum_{h<k} W_hk^2 (v_h^2 + v_k^2) = sum_h c_h v_h^2 with c_h the sum of W^2 over the
/// used pairs that contain h: computing c once makes t linear in n instead of quadratic.
template <class T>
HEPCAT_HD void loc_length_coefficients(const T* w, int n_hyp, bool comp_to_first, T* c) {
  for (int h = 0; h < n_hyp; ++h) c[h] = 0;
  for (int h = 0; h < n_hyp; ++h) {
    if (!merge_pair_used(h, comp_to_first)) continue;
    for (int k = h + 1; k < n_hyp; ++k) {
      const T w2 = mul_rn(w[h * n_hyp + k], w[h * n_hyp + k]);
      c[h] += w2;
      c[k] += w2;
    }
  }
}

/// sqrt(t(v)): cached per bin by the mergers, since it does not depend on the partner.
template <class T>
HEPCAT_HD T loc_root_t(const MergeScoreParams<T>& p, const T* v, std::ptrdiff_t stride) {
  T t = 0;
  for (int h = 0; h < p.n_hyp; ++h) t += mul_rn(p.c[h], mul_rn(v[h * stride], v[h * stride]));
  return std::sqrt(t);
}

// The scores take the number of hypotheses as an optional template argument NH (0: p.n_hyp at
// run time), so that the mergers' row loops unroll over hypotheses and vectorise over bins.

/// determinant: D_xy = sum_{h<k} W_hk (x_h y_k - x_k y_h)^2.
template <int NH = 0, class T>
HEPCAT_HD T determinant_score(const MergeScoreParams<T>& p, const T* x, std::ptrdiff_t sx,
                              const T* y, std::ptrdiff_t sy) {
  T s = 0;
  const int n = NH > 0 ? NH : p.n_hyp;
  for (int h = 0; h < n; ++h) {
    if (!merge_pair_used(h, p.comp_to_first)) continue;
    for (int k = h + 1; k < n; ++k) {
      const T d = mul_rn(x[h * sx], y[k * sy]) - mul_rn(x[k * sx], y[h * sy]);
      s += mul_rn(p.w[h * n + k], mul_rn(d, d));
    }
  }
  return s;
}

/// loc_length: D_xy = (sqrt(t(x)) + sqrt(t(y)) - sqrt(t(x + y)))^2 / (n - 1), the squared loss
/// of curve length; root_tx and root_ty are loc_root_t of x and y.
template <int NH = 0, class T>
HEPCAT_HD T loc_length_score(const MergeScoreParams<T>& p, const T* x, std::ptrdiff_t sx, T root_tx,
                             const T* y, std::ptrdiff_t sy, T root_ty) {
  T t = 0;
  const int n = NH > 0 ? NH : p.n_hyp;
  for (int h = 0; h < n; ++h) {
    const T v = x[h * sx] + y[h * sy];
    t += mul_rn(p.c[h], mul_rn(v, v));
  }
  const T loss = root_tx + root_ty - std::sqrt(t);
  return mul_rn(loss, loss) / T(n - 1);
}

/// The score the params select. root_t* are ignored by the determinant score.
template <int NH = 0, class T>
HEPCAT_HD T merge_score(const MergeScoreParams<T>& p, const T* x, std::ptrdiff_t sx, T root_tx,
                        const T* y, std::ptrdiff_t sy, T root_ty) {
  return p.loc_length ? loc_length_score<NH>(p, x, sx, root_tx, y, sy, root_ty)
                      : determinant_score<NH>(p, x, sx, y, sy);
}

/// A merge candidate: its score and the lower and higher bin ids of the pair. Candidates order
/// by score, then by the lower id, then by the higher id: ties go to the lowest index pair.
struct MergeCandidate {
  double score;
  int lo, hi;
};
HEPCAT_HD bool candidate_less(const MergeCandidate& a, const MergeCandidate& b) {
  if (a.score != b.score) return a.score < b.score;
  if (a.lo != b.lo) return a.lo < b.lo;
  return a.hi < b.hi;
}

// ---- the greedy nonlocal merger's step rules (one definition for the CPU and GPU mergers) ------

/// A bin's best partner: the lower score, ties to the lower partner id.
template <class T>
HEPCAT_HD bool partner_better(T score, int id, T best_score, int best_id) {
  return score < best_score || (score == best_score && id < best_id);
}

/// Which bin the merger resolves next: the smallest best score; on a tie a stale bin (its score a
/// lower bound to rescan) before an exact one, stale bins by their id (lo = id, hi = -1) and exact
/// ones by their pair (lower id, then higher id).
struct MergeSelectKey {
  double score;
  int stale, lo, hi;
};

HEPCAT_HD MergeSelectKey merge_select_key(double score, bool stale, int id, int partner) {
  if (stale) return {score, 1, id, -1};
  return {score, 0, id < partner ? id : partner, id < partner ? partner : id};
}

HEPCAT_HD bool merge_select_less(const MergeSelectKey& a, const MergeSelectKey& b) {
  if (a.score != b.score) return a.score < b.score;
  if (a.stale != b.stale) return a.stale > b.stale;
  return candidate_less({a.score, a.lo, a.hi}, {b.score, b.lo, b.hi});
}

/// Adds the column at position pb into the one at pa (v hypothesis-major, row length cap, m
/// active positions) and keeps the active positions dense: the last one moves into pb, and
/// move(from, to) moves its per-position state. Returns the merged bin's position.
template <class T, class Move>
HEPCAT_HD int merge_columns(T* v, int n_hyp, std::ptrdiff_t cap, int pa, int pb, int m, Move move) {
  const int last = m - 1;
  for (int h = 0; h < n_hyp; ++h) v[h * cap + pa] += v[h * cap + pb];
  if (pb != last) {
    for (int h = 0; h < n_hyp; ++h) v[h * cap + pb] = v[h * cap + last];
    move(last, pb);
    if (pa == last) pa = pb;
  }
  return pa;
}

/// The merged bin a (bins a and b merged) offers score s to a bin whose best partner is
/// (score, partner, stale): a partner that merged away leaves its score a stale lower bound; the
/// merged bin takes the place when strictly better, or equal with a lower id than an exact
/// partner.
template <class T, class Flag>
HEPCAT_HD void offer_merged_bin(T s, int a, int b, T& score, int& partner, Flag& stale) {
  if (partner == a || partner == b) stale = 1;
  if (s < score || (s == score && !stale && a < partner)) {
    score = s;
    partner = a;
    stale = 0;
  }
}

/// Bin of x among the n_edges - 1 bins of sorted `edges`: values below the first edge go to the
/// first bin and values at or above the last edge to the last bin, as hepcat::weighted_bin_sums
/// clamps, so every event lands in some bin.
template <class T, class E>
HEPCAT_HD int edge_bin(T x, const E* edges, int n_edges) {
  int lo = 0, hi = n_edges - 2;  // answer in [lo, hi]
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (static_cast<E>(x) >= edges[mid])
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

/// Flattened (C order) bin of event i: dimension d reads columns[d][i] and bins it with
/// edges[offsets[d], offsets[d + 1]).
template <class E>
HEPCAT_HD int event_flat_bin(const float* const* columns, std::size_t i, int n_dims, const E* edges,
                             const int* offsets) {
  int b = 0;
  for (int d = 0; d < n_dims; ++d) {
    const int n_edges = offsets[d + 1] - offsets[d];
    const float x = columns[d][i];
    b = b * (n_edges - 1) + edge_bin(x, edges + offsets[d], n_edges);
  }
  return b;
}

}  // namespace hepcat::math
