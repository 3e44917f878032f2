#include "host/cuts/cuts_cpu.hpp"

#include <algorithm>
#include <vector>

#include "host/engine/reduce.hpp"

namespace hepcat::cpu {
namespace {

// Each reduction chunk is taken in tiles small enough that a tile's standardised features and
// cut passes for one network stay in L1; the inner loops run across the tile's events so they
// vectorise.
constexpr int kChunk = 64;

struct Chunk {
  std::size_t cell;
  std::size_t begin, end;
};

struct ChunkScratch {
  explicit ChunkScratch(int m) : xs(m * kChunk), s(m * kChunk) {}
  std::vector<float> xs, s;
  float ws[kChunk], wb[kChunk], y[kChunk], ys[kChunk], yb[kChunk], g[kChunk];
};

template <bool Hard, bool Learned, bool Bce>
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void accumulate_chunk(const detail::CutPassInput& in, const Chunk& chunk, ChunkScratch& t, double* acc) {
  const math::CutSumLayout& L = in.layout;
  const int m = L.m, width = L.width();
  const int ne = static_cast<int>(chunk.end - chunk.begin);
  const std::uint8_t* sig = in.signal + chunk.begin;
  const float* w = in.w + chunk.begin;
  for (int k = 0; k < m; ++k) {
    const float* xk = in.x + static_cast<std::size_t>(k) * in.n + chunk.begin;
    float* xs = t.xs.data() + k * kChunk;
    const float mu = in.mean[k], isd = in.inv_sd[k];
#pragma omp simd
    for (int e = 0; e < ne; ++e) xs[e] = (xk[e] - mu) * isd;
  }
#pragma omp simd
  for (int e = 0; e < ne; ++e) {
    t.ws[e] = sig[e] ? w[e] : 0.f;
    t.wb[e] = sig[e] ? 0.f : w[e];
  }
  for (int j = 0; j < in.n_targets; ++j) {
    const std::size_t slot = static_cast<std::size_t>(chunk.cell) * in.n_targets + j;
    const float* bias = in.bias + slot * m;
    const float* weight = in.weight + slot * in.weight_slot_stride;
    double* row = acc + static_cast<std::size_t>(j) * width;
    std::fill(t.y, t.y + ne, 1.f);
    for (int k = 0; k < m; ++k) {
      const float a = weight[k], b = bias[k];
      const float* xs = t.xs.data() + k * kChunk;
      float* s = t.s.data() + k * kChunk;
#pragma omp simd
      for (int e = 0; e < ne; ++e) {
        s[e] = math::cut_pass<Hard>(math::cut_argument(xs[e], a, b, in.steepness));
        t.y[e] *= s[e];
      }
    }
    float sum_s = 0.f, sum_b = 0.f;
#pragma omp simd reduction(+ : sum_s, sum_b)
    for (int e = 0; e < ne; ++e) {
      t.ys[e] = t.ws[e] * t.y[e];
      t.yb[e] = t.wb[e] * t.y[e];
      sum_s += t.ys[e];
      sum_b += t.yb[e];
    }
    row[0] += sum_s;
    row[1] += sum_b;
    if constexpr (!Hard) {
      if constexpr (Bce) {
        float sum_bce = 0.f;
#pragma omp simd reduction(+ : sum_bce)
        for (int e = 0; e < ne; ++e) {
          sum_bce += w[e] * math::bce(t.y[e], sig[e] != 0);
          t.g[e] = w[e] * math::bce_score_coefficient(t.y[e], sig[e] != 0);
        }
        row[L.bce()] += sum_bce;
      }
      for (int k = 0; k < m; ++k) {
        const float* xs = t.xs.data() + k * kChunk;
        const float* s = t.s.data() + k * kChunk;
        float as = 0.f, ab = 0.f, aws = 0.f, awb = 0.f, ag = 0.f, agw = 0.f;
#pragma omp simd reduction(+ : as, ab, aws, awb, ag, agw)
        for (int e = 0; e < ne; ++e) {
          const math::CutFeatureTerms<float> f =
              math::cut_feature_terms(t.ys[e], t.yb[e], Bce ? t.g[e] : 0.f, s[e], xs[e]);
          as += f.signal_bias;
          ab += f.background_bias;
          if constexpr (Learned) {
            aws += f.signal_weight;
            awb += f.background_weight;
          }
          if constexpr (Bce) {
            ag += f.bce_bias;
            if constexpr (Learned) agw += f.bce_weight;
          }
        }
        row[L.signal_bias() + k] += as;
        row[L.background_bias() + k] += ab;
        if constexpr (Learned) {
          row[L.signal_weight() + k] += aws;
          row[L.background_weight() + k] += awb;
        }
        if constexpr (Bce) {
          row[L.bce_bias() + k] += ag;
          if constexpr (Learned) row[L.bce_weight() + k] += agw;
        }
      }
    }
  }
}

template <bool Hard, bool Learned, bool Bce>
void run_pass(const detail::CutPassInput& in, double* out) {
  // One segment per grid cell: a cell's rows hold the sums of its own (cell, target) slots.
  const std::size_t width = static_cast<std::size_t>(in.n_targets) * in.layout.width();
  reduce_segments(in.cell_offsets, static_cast<std::size_t>(in.n_cells), width, out,
                  [&](const ReductionChunk& c, double* acc) {
                    ChunkScratch scratch(in.layout.m);
                    for (std::size_t b = c.begin; b < c.end; b += kChunk)
                      accumulate_chunk<Hard, Learned, Bce>(
                          in, {c.segment, b, std::min<std::size_t>(b + kChunk, c.end)}, scratch,
                          acc);
                  });
}

}  // namespace

void cut_scan_sums(const detail::CutPassInput& in, bool hard, double* out) {
  const bool learned = in.layout.learned, bce = in.layout.with_bce;
  if (hard)
    run_pass<true, false, false>(in, out);
  else if (learned && bce)
    run_pass<false, true, true>(in, out);
  else if (learned)
    run_pass<false, true, false>(in, out);
  else if (bce)
    run_pass<false, false, true>(in, out);
  else
    run_pass<false, false, false>(in, out);
}

}  // namespace hepcat::cpu
