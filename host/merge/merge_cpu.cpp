#include "host/merge/merge_cpu.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "host/engine/parallel.hpp"

namespace hepcat::cpu {
namespace {

using math::kMaxMergeHypotheses;

// Rows with fewer score terms than this run on one thread: a parallel region costs more than
// the row (and far more when the cores are shared and a thread gets descheduled at the barrier).
constexpr long kParallelTerms = 1L << 18;

// A bin's best partner: score and partner id, ties to the lowest id.
struct Best {
  double score = std::numeric_limits<double>::infinity();
  int partner = std::numeric_limits<int>::max();
  void offer(double s, int id) {
    if (math::partner_better(s, id, score, partner)) {
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
    initial_bests();
  }

  int size() const { return m_; }

  MergePair next_pair() {
    for (;;) {
      const int pos = select();
      if (!stale_[pos]) {
        const int a = id_[pos], b = best_[pos].partner;
        return {std::min(a, b), std::max(a, b)};
      }
      best_[pos] = scan(pos);
      stale_[pos] = 0;
    }
  }

  void merge(MergePair pair) {
    const int a = pair.first, b = pair.second;
    const int pa =
        math::merge_columns(v_.data(), n_, cap_, pos_of_[a], pos_of_[b], m_, [&](int from, int to) {
          root_[to] = root_[from];
          id_[to] = id_[from];
          best_[to] = best_[from];
          stale_[to] = stale_[from];
          pos_of_[id_[to]] = to;
        });
    --m_;
    root_[pa] = root_t(pa);
    best_[pa] = rescore_against(pa, a, b);
    stale_[pa] = 0;
  }

 private:
  static constexpr int kChunk = 256;

  std::size_t col(int h) const { return static_cast<std::size_t>(h) * cap_; }
  bool parallel_row() const { return static_cast<long>(m_) * n_ >= kParallelTerms; }
  double root_t(int pos) const {
    return p_.loc_length ? math::loc_root_t(p_, v_.data() + pos, cap_) : 0.0;
  }
  void load(int pos, double* x) const {
    for (int h = 0; h < n_; ++h) x[h] = v_[col(h) + pos];
  }

  // Scores of bin x against positions [begin, end); the hypothesis count as a template argument
  // lets the compiler unroll over hypotheses and vectorise over bins.
  template <int NH>
  void row_scores(const double* x, double root_x, int begin, int end,
                  double* __restrict__ out) const {
    const math::MergeScoreParams<double> p = p_;
    const double* __restrict__ v = v_.data();
    const double* __restrict__ root = root_.data();
    const std::ptrdiff_t cap = cap_;
    if (p.loc_length)
      for (int j = begin; j < end; ++j)
        out[j - begin] = math::loc_length_score<NH>(p, x, 1, root_x, v + j, cap, root[j]);
    else
      for (int j = begin; j < end; ++j)
        out[j - begin] = math::determinant_score<NH>(p, x, 1, v + j, cap);
  }
  void scores(const double* x, double root_x, int begin, int end, double* out) const {
    switch (n_) {
      case 2:
        return row_scores<2>(x, root_x, begin, end, out);
      case 3:
        return row_scores<3>(x, root_x, begin, end, out);
      case 4:
        return row_scores<4>(x, root_x, begin, end, out);
      case 5:
        return row_scores<5>(x, root_x, begin, end, out);
      case 6:
        return row_scores<6>(x, root_x, begin, end, out);
      case 7:
        return row_scores<7>(x, root_x, begin, end, out);
      case 8:
        return row_scores<8>(x, root_x, begin, end, out);
      default:
        return row_scores<0>(x, root_x, begin, end, out);
    }
  }

  // Every pair scored once (scores are symmetric to the bit): row i offers to i and to each
  // j > i in per-thread tables, combined afterwards; the minimum is unique, so the result does
  // not depend on the thread count.
  void initial_bests() {
    const int threads = max_threads();
    std::vector<Best> partial(static_cast<std::size_t>(threads) * m_);
#pragma omp parallel num_threads(threads)
    {
      Best* mine = partial.data() + static_cast<std::size_t>(thread_id()) * m_;
      double x[kMaxMergeHypotheses], buf[kChunk];
#pragma omp for schedule(dynamic, 8)
      for (int i = 0; i < m_; ++i) {
        load(i, x);
        for (int j0 = i + 1; j0 < m_; j0 += kChunk) {
          const int j1 = std::min(j0 + kChunk, m_);
          scores(x, root_[i], j0, j1, buf);
          for (int j = j0; j < j1; ++j) {
            mine[i].offer(buf[j - j0], id_[j]);
            mine[j].offer(buf[j - j0], id_[i]);
          }
        }
      }
    }
    for (int t = 0; t < threads; ++t)
      for (int i = 0; i < m_; ++i) {
        const Best& b = partial[static_cast<std::size_t>(t) * m_ + i];
        best_[i].offer(b.score, b.partner);
      }
  }

  // The best partner of the bin at pos among all others.
  Best scan(int pos) const {
    return score_row(pos, [](int, double) {});
  }

  // Scores the merged bin (id a, at pos) against every other bin: its own best partner, and a
  // better partner for any bin that it beats. Bins that had a or b as partner become stale
  // unless the merged bin is strictly better than their old (now lower-bound) score.
  Best rescore_against(int pos, int a, int b) {
    return score_row(pos, [&](int j, double s) {
      math::offer_merged_bin(s, a, b, best_[j].score, best_[j].partner, stale_[j]);
    });
  }

  // Scores the bin at pos against every other bin j (in chunks, over the threads when the row is
  // long), calls visit(j, score) for each, and returns pos's best partner. visit may only touch
  // state of bin j.
  template <class Visit>
  Best score_row(int pos, Visit visit) const {
    double x[kMaxMergeHypotheses];
    load(pos, x);
    Best best;
#pragma omp parallel if (parallel_row())
    {
      Best local;
      double buf[kChunk];
#pragma omp for schedule(static) nowait
      for (int j0 = 0; j0 < m_; j0 += kChunk) {
        const int j1 = std::min(j0 + kChunk, m_);
        scores(x, root_[pos], j0, j1, buf);
        for (int j = j0; j < j1; ++j) {
          if (j == pos) continue;
          local.offer(buf[j - j0], id_[j]);
          visit(j, buf[j - j0]);
        }
      }
#pragma omp critical
      best.offer(local.score, local.partner);
    }
    return best;
  }

  // The position holding the smallest selection key (math::merge_select_less); the score
  // comparison first keeps the scan cheap.
  int select() const {
    int arg = 0;
    for (int i = 1; i < m_; ++i) {
      if (best_[i].score > best_[arg].score) continue;
      if (math::merge_select_less(key(i), key(arg))) arg = i;
    }
    return arg;
  }
  math::MergeSelectKey key(int pos) const {
    return math::merge_select_key(best_[pos].score, stale_[pos] != 0, id_[pos], best_[pos].partner);
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

void place_events(const float* const* columns, std::size_t n, int n_dims, const double* edges,
                  const int* offsets, const int* map, std::int32_t* out) {
  for_each_index(n, [&](std::size_t i) {
    const int b = math::event_flat_bin(columns, i, n_dims, edges, offsets);
    out[i] = map ? map[b] : b;
  });
}

}  // namespace hepcat::cpu
