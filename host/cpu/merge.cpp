#include "host/cpu/merge.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "host/cpu/parallel.hpp"

namespace hepcat::cpu {
namespace {

using math::kMaxMergeHypotheses;

// A bin's best partner: score and partner id, ties to the lowest id.
struct Best {
  double score = std::numeric_limits<double>::infinity();
  int partner = std::numeric_limits<int>::max();
  void offer(double s, int id) {
    if (s < score || (s == score && id < partner)) {
      score = s;
      partner = id;
    }
  }
};

// Active bins live compactly in positions [0, m): column `pos` of v (hypothesis-major with row
// length `cap`). Removing a bin moves the last one into its place, so the row scans stay dense.
// best_[pos] is exact unless stale_[pos]; a stale score is a lower bound of the bin's true best
// (its partner merged away, and only new, scored bins have joined since), so a stale bin is
// rescanned only when its bound is the smallest one.
class NonlocalMerger {
 public:
  NonlocalMerger(const double* counts, int n_hyp, int n_bins,
                 const math::MergeScoreParams<double>& params)
      : p_(params),
        n_(n_hyp),
        cap_(n_bins),
        m_(n_bins),
        v_(counts, counts + static_cast<std::size_t>(n_hyp) * n_bins),
        root_(n_bins, 0.0),
        id_(n_bins),
        pos_of_(n_bins),
        best_(n_bins),
        stale_(n_bins, 0) {
    for (int i = 0; i < n_bins; ++i) {
      id_[i] = pos_of_[i] = i;
      root_[i] = root_t(i);
    }
#pragma omp parallel for schedule(dynamic, 16)
    for (int i = 0; i < m_; ++i) best_[i] = scan_serial(i);
  }

  int size() const {
    return m_;
  }

  MergePair next_pair() {
    for (;;) {
      const int pos = select();
      if (!stale_[pos]) {
        const int a = id_[pos], b = best_[pos].partner;
        return {std::min(a, b), std::max(a, b)};
      }
      best_[pos] = scan_parallel(pos);
      stale_[pos] = 0;
    }
  }

  void merge(MergePair pair) {
    const int a = pair.first, b = pair.second;
    int pa = pos_of_[a];
    const int pb = pos_of_[b];
    for (int h = 0; h < n_; ++h) v_[col(h) + pa] += v_[col(h) + pb];
    const int last = m_ - 1;
    if (pb != last) {
      for (int h = 0; h < n_; ++h) v_[col(h) + pb] = v_[col(h) + last];
      root_[pb] = root_[last];
      id_[pb] = id_[last];
      best_[pb] = best_[last];
      stale_[pb] = stale_[last];
      pos_of_[id_[pb]] = pb;
      if (pa == last) pa = pb;
    }
    --m_;
    root_[pa] = root_t(pa);
    best_[pa] = rescore_against(pa, a, b);
    stale_[pa] = 0;
  }

 private:
  std::size_t col(int h) const {
    return static_cast<std::size_t>(h) * cap_;
  }
  double root_t(int pos) const {
    return p_.loc_length ? math::loc_root_t(p_, v_.data() + pos, cap_) : 0.0;
  }
  double score(const double* x, double root_x, int j) const {
    return math::merge_score(p_, x, 1, root_x, v_.data() + j, cap_, root_[j]);
  }
  void load(int pos, double* x) const {
    for (int h = 0; h < n_; ++h) x[h] = v_[col(h) + pos];
  }

  Best scan_serial(int pos) const {
    double x[kMaxMergeHypotheses];
    load(pos, x);
    Best best;
    for (int j = 0; j < m_; ++j)
      if (j != pos) best.offer(score(x, root_[pos], j), id_[j]);
    return best;
  }

  // The same scan split over threads; the minimum is unique, so the thread count does not matter.
  Best scan_parallel(int pos) const {
    double x[kMaxMergeHypotheses];
    load(pos, x);
    Best best;
#pragma omp parallel
    {
      Best local;
#pragma omp for schedule(static) nowait
      for (int j = 0; j < m_; ++j)
        if (j != pos) local.offer(score(x, root_[pos], j), id_[j]);
#pragma omp critical
      best.offer(local.score, local.partner);
    }
    return best;
  }

  // Scores the merged bin (id a, at pos) against every other bin: its own best partner, and a
  // better partner for any bin that it beats. Bins that had a or b as partner become stale
  // unless the merged bin is strictly better than their old (now lower-bound) score.
  Best rescore_against(int pos, int a, int b) {
    double x[kMaxMergeHypotheses];
    load(pos, x);
    const double rx = root_[pos];
    Best best;
#pragma omp parallel
    {
      Best local;
#pragma omp for schedule(static) nowait
      for (int j = 0; j < m_; ++j) {
        if (j == pos) continue;
        const double s = score(x, rx, j);
        local.offer(s, id_[j]);
        Best& bj = best_[j];
        if (bj.partner == a || bj.partner == b) stale_[j] = 1;
        if (s < bj.score || (s == bj.score && !stale_[j] && a < bj.partner)) {
          bj.score = s;
          bj.partner = a;
          stale_[j] = 0;
        }
      }
#pragma omp critical
      best.offer(local.score, local.partner);
    }
    return best;
  }

  // The position holding the smallest key: score, then stale before exact (a stale bound equal
  // to the best exact score must be resolved first), then the lowest pair.
  int select() const {
    int arg = 0;
    auto key_less = [&](int i, int j) {
      if (best_[i].score != best_[j].score) return best_[i].score < best_[j].score;
      if (stale_[i] != stale_[j]) return stale_[i] > stale_[j];
      if (stale_[i]) return id_[i] < id_[j];
      const math::MergeCandidate ci{best_[i].score, std::min(id_[i], best_[i].partner),
                                    std::max(id_[i], best_[i].partner)};
      const math::MergeCandidate cj{best_[j].score, std::min(id_[j], best_[j].partner),
                                    std::max(id_[j], best_[j].partner)};
      return math::candidate_less(ci, cj);
    };
    for (int i = 1; i < m_; ++i)
      if (key_less(i, arg)) arg = i;
    return arg;
  }

  math::MergeScoreParams<double> p_;
  int n_, cap_, m_;
  std::vector<double> v_, root_;
  std::vector<int> id_, pos_of_;
  std::vector<Best> best_;
  std::vector<std::uint8_t> stale_;
};

}  // namespace

std::vector<MergePair> nonlocal_merges(const double* counts, int n_hyp, int n_bins, int target,
                                       const math::MergeScoreParams<double>& params,
                                       const std::function<void(long, long)>& progress) {
  std::vector<MergePair> merges;
  if (n_bins <= target) return merges;
  const long total = n_bins - target;
  merges.reserve(total);
  NonlocalMerger merger(counts, n_hyp, n_bins, params);
  const long every = std::max(1L, total / 200);
  while (merger.size() > target) {
    const MergePair pair = merger.next_pair();
    merger.merge(pair);
    merges.push_back(pair);
    if (progress && static_cast<long>(merges.size()) % every == 0)
      progress(static_cast<long>(merges.size()), total);
  }
  return merges;
}

}  // namespace hepcat::cpu

namespace hepcat::cpu {

void place_events(const float* features, std::size_t n, const int* columns, int n_dims,
                  const double* edges, const int* offsets, const int* map, std::int32_t* out) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) {
    const int b = math::event_flat_bin(features, n, static_cast<std::size_t>(i), columns, n_dims,
                                       edges, offsets);
    out[i] = map ? map[b] : b;
  }
}

}  // namespace hepcat::cpu
