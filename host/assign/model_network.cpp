// Forward and backward of the ABC model on the host (see model_network.hpp). The layer order and
// every quirk kept from the published code are described in ../shared/fixtures/assign/README.md;
// the one departure is the pairwise bias, which is each event's own (head h of event b uses the
// bias of event b).
#include "host/assign/model_network.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>

#include "hepcat/error.hpp"
#include "hepcat/math/assign.hpp"
#include "host/engine/parallel.hpp"

namespace hepcat::assign {

// ---- architecture -------------------------------------------------------------------------------

namespace {

std::size_t off(const AssignModel& m, const std::string& name) {
  return m.layout().find(name).offset;
}

// Published module numbering: Linear at 3k, LayerNorm at 3k + 1 (ReLU at 3k + 2).
MlpDef mlp_def(const AssignModel& m, const std::string& prefix, const std::vector<int>& widths,
               bool last_norm_relu) {
  MlpDef def;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    LinearDef lin;
    const std::string lname = prefix + std::to_string(3 * l);
    lin.w = off(m, lname + ".weight");
    lin.b = off(m, lname + ".bias");
    lin.in = widths[l];
    lin.out = widths[l + 1];
    lin.norm_relu = last_norm_relu || l + 2 < widths.size();
    if (lin.norm_relu) {
      const std::string nname = prefix + std::to_string(3 * l + 1);
      lin.gamma = off(m, nname + ".weight");
      lin.beta = off(m, nname + ".bias");
    }
    def.layers.push_back(lin);
  }
  return def;
}

AttnDef attn_def(const AssignModel& m, const std::string& prefix) {
  const AssignConfig& c = m.config();
  AttnDef a;
  a.in_w = off(m, prefix + ".attn.in_proj_weight");
  a.in_b = off(m, prefix + ".attn.in_proj_bias");
  a.bias_k = off(m, prefix + ".attn.bias_k");
  a.bias_v = off(m, prefix + ".attn.bias_v");
  a.out_w = off(m, prefix + ".attn.out_proj.weight");
  a.out_b = off(m, prefix + ".attn.out_proj.bias");
  a.n1_gamma = off(m, prefix + ".post_attn_norm.weight");
  a.n1_beta = off(m, prefix + ".post_attn_norm.bias");
  a.n2_gamma = off(m, prefix + ".post_ffwd_norm.weight");
  a.n2_beta = off(m, prefix + ".post_ffwd_norm.bias");
  std::vector<int> widths{c.embed_dim};
  for (int l = 0; l < c.ffwd_layers; ++l) widths.push_back(c.ffwd_dim);
  widths.push_back(c.embed_dim);
  a.ffwd = mlp_def(m, prefix + ".ffwd.", widths, true);
  return a;
}

}  // namespace

Architecture::Architecture(const AssignModel& model)
    : config(model.config()), parameters(model.parameters().size()) {
  const AssignConfig& c = config;
  bn_gamma = off(model, "Encoder.embed.input_bn.weight");
  bn_beta = off(model, "Encoder.embed.input_bn.bias");
  bn_mean = off(model, "Encoder.embed.input_bn.running_mean");
  bn_var = off(model, "Encoder.embed.input_bn.running_var");
  std::vector<int> widths{5};
  for (int l = 0; l <= c.embed_layers; ++l) widths.push_back(c.embed_dim);
  embed = mlp_def(model, "Encoder.embed.net.", widths, false);
  widths = {3};
  for (int l = 0; l < c.mlp_layers; ++l) widths.push_back(c.mlp_dim);
  widths.push_back(1);
  pair = mlp_def(model, "Encoder.mlp.net.", widths, false);
  for (int b = 0; b < c.blocks; ++b) {
    obj.push_back(attn_def(model, "Encoder.obj_blocks." + std::to_string(b)));
    cand.push_back(attn_def(model, "Encoder.cand_blocks." + std::to_string(b)));
    cross.push_back(attn_def(model, "Encoder.cross_blocks." + std::to_string(b)));
  }
  const std::vector<int> ae = c.ae_widths();
  ae_in = mlp_def(model, "Encoder.ae_in.net.", ae, false);
  ae_out = mlp_def(model, "Encoder.ae_out.net.", std::vector<int>(ae.rbegin(), ae.rend()), false);
}

// ---- building blocks ----------------------------------------------------------------------------

namespace {

using std::size_t;
using Index = std::int64_t;  // OpenMP loop counters

void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
              k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
              k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/// out[c] += sum over rows of m[row][c], rows in order (deterministic for any thread count).
template <class T>
void add_column_sums(const T* m, size_t rows, int cols, T* out) {
  for (size_t r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) out[c] += m[r * cols + c];
}

bool in_parallel() {
#ifdef _OPENMP
  return omp_in_parallel() != 0;
#else
  return false;
#endif
}

/// The GEMMs run single-threaded inside the OpenMP threads, each over its own block of rows:
/// OpenBLAS's own threads would compete with the OpenMP loops around them. OpenBLAS's thread
/// count is process-wide, so it is set for the duration of a call from outside any parallel
/// region and given back afterwards.
class BlasOnOneThread {
 public:
  BlasOnOneThread() : active_(!in_parallel()), saved_(active_ ? openblas_get_num_threads() : 1) {
    if (active_ && saved_ != 1) openblas_set_num_threads(1);
  }
  ~BlasOnOneThread() {
    if (active_ && saved_ != 1) openblas_set_num_threads(saved_);
  }
  BlasOnOneThread(const BlasOnOneThread&) = delete;
  BlasOnOneThread& operator=(const BlasOnOneThread&) = delete;

 private:
  bool active_;
  int saved_;
};

/// Row blocks of a fixed size (whatever the thread count, each block's GEMM and partial sums are
/// the same computation).
struct RowBlocks {
  static constexpr size_t kRows = 1024;
  size_t count, size = kRows;
  explicit RowBlocks(size_t rows) : count(std::max<size_t>(1, (rows + kRows - 1) / kRows)) {}
};

/// y[rows][out] = x W^T + b.
template <class T>
void linear_forward(const LinearDef& l, const T* p, const T* x, size_t rows, T* y) {
  const RowBlocks blocks(rows);
  const T* b = p + l.b;
#pragma omp parallel for schedule(static, 1)
  for (Index c = 0; c < static_cast<Index>(blocks.count); ++c) {
    const size_t begin = c * blocks.size, n = std::min(blocks.size, rows - std::min(rows, begin));
    if (n == 0) continue;
    gemm(false, true, static_cast<int>(n), l.out, l.in, T(1), x + begin * l.in, l.in, p + l.w, l.in,
         T(0), y + begin * l.out, l.out);
    for (size_t r = begin; r < begin + n; ++r)
      for (int o = 0; o < l.out; ++o) y[r * l.out + o] += b[o];
  }
}

/// From dy: dW += dy^T x (per row block, blocks added in order), db += column sums, and
/// dx = dy W when dx is not null.
template <class T>
void linear_backward(const LinearDef& l, const T* p, const T* x, const T* dy, size_t rows, T* g,
                     T* dx) {
  const RowBlocks blocks(rows);
  const size_t wsize = static_cast<size_t>(l.out) * l.in;
  std::vector<T> partial(blocks.count * wsize, T(0));
#pragma omp parallel for schedule(static, 1)
  for (Index c = 0; c < static_cast<Index>(blocks.count); ++c) {
    const size_t begin = c * blocks.size, n = std::min(blocks.size, rows - std::min(rows, begin));
    if (n == 0) continue;
    gemm(true, false, l.out, l.in, static_cast<int>(n), T(1), dy + begin * l.out, l.out,
         x + begin * l.in, l.in, T(0), &partial[c * wsize], l.in);
    if (dx)
      gemm(false, false, static_cast<int>(n), l.in, l.out, T(1), dy + begin * l.out, l.out, p + l.w,
           l.in, T(0), dx + begin * l.in, l.in);
  }
  add_column_sums(partial.data(), blocks.count, static_cast<int>(wsize), g + l.w);
  add_column_sums(dy, rows, l.out, g + l.b);
}

// The row loops are compiled twice, for x86-64 and for x86-64-v3 (AVX2 and FMA), the CPU picking
// at load time, with the per-row math inlined. Like OpenBLAS's kernels, the two may differ in the
// last bits (FMA); the thread count never changes a bit.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define HEPCAT_ASSIGN_CLONES __attribute__((flatten, target_clones("arch=x86-64-v3", "default")))
#else
#define HEPCAT_ASSIGN_CLONES
#endif

/// Rows per block of the row loops over the OpenMP threads.
constexpr size_t kNormRows = 256;

template <class T>
HEPCAT_ASSIGN_CLONES void norm_rows_forward(const T* gamma, const T* beta, bool relu, int n,
                                            size_t begin, size_t end, T* y, T* xhat, T* rstd) {
  for (size_t r = begin; r < end; ++r)
    rstd[r] = math::layer_norm_forward(y + r * n, n, gamma, beta, relu, xhat + r * n, y + r * n);
}

template <class T>
HEPCAT_ASSIGN_CLONES void norm_rows_backward(const T* gamma, bool relu, int n, size_t begin,
                                             size_t end, const T* y, const T* xhat, const T* rstd,
                                             T* dy, T* dgamma, T* dbeta) {
  // Sums in local arrays the compiler knows apart from dy, so the row loops vectorise.
  constexpr int kLocal = 128;
  if (n > kLocal) {
    for (size_t r = begin; r < end; ++r)
      math::layer_norm_backward(dy + r * n, y + r * n, xhat + r * n, rstd[r], n, gamma, relu,
                                dy + r * n, dgamma, dbeta);
    return;
  }
  T dg[kLocal] = {}, db[kLocal] = {};
  for (size_t r = begin; r < end; ++r)
    math::layer_norm_backward(dy + r * n, y + r * n, xhat + r * n, rstd[r], n, gamma, relu,
                              dy + r * n, dg, db);
  for (int i = 0; i < n; ++i) {
    dgamma[i] += dg[i];
    dbeta[i] += db[i];
  }
}

/// LayerNorm (and ReLU) of every row of y in place, saving xhat and 1/std.
template <class T>
void norm_forward(const T* p, size_t gamma, size_t beta, bool relu, int n, size_t rows, T* y,
                  std::vector<T>& xhat, std::vector<T>& rstd) {
  xhat.resize(rows * n);
  rstd.resize(rows);
  const size_t blocks = (rows + kNormRows - 1) / kNormRows;
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < static_cast<Index>(blocks); ++c)
    norm_rows_forward(p + gamma, p + beta, relu, n, c * kNormRows,
                      std::min(rows, (c + 1) * kNormRows), y, xhat.data(), rstd.data());
}

/// Backward of norm_forward: dy (gradient of the output y) becomes the gradient of the input,
/// in place; gamma and beta gradients summed per row block, blocks added in order.
template <class T>
void norm_backward(const T* p, size_t gamma, size_t beta, bool relu, int n, size_t rows, const T* y,
                   const std::vector<T>& xhat, const std::vector<T>& rstd, T* dy, T* g) {
  const size_t blocks = (rows + kNormRows - 1) / kNormRows;
  std::vector<T> partial(blocks * 2 * n, T(0));
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < static_cast<Index>(blocks); ++c) {
    T* dgamma = &partial[c * 2 * n];
    norm_rows_backward(p + gamma, relu, n, c * kNormRows, std::min(rows, (c + 1) * kNormRows), y,
                       xhat.data(), rstd.data(), dy, dgamma, dgamma + n);
  }
  for (size_t c = 0; c < blocks; ++c)
    for (int i = 0; i < n; ++i) {
      g[gamma + i] += partial[c * 2 * n + i];
      g[beta + i] += partial[c * 2 * n + n + i];
    }
}

template <class T>
const T* mlp_forward(const MlpDef& def, const T* p, const T* x, size_t rows, MlpCache<T>& c) {
  c.in.assign(x, x + rows * def.in());
  c.y.resize(def.layers.size());
  c.xhat.resize(def.layers.size());
  c.rstd.resize(def.layers.size());
  const T* in = c.in.data();
  for (size_t l = 0; l < def.layers.size(); ++l) {
    const LinearDef& lin = def.layers[l];
    c.y[l].resize(rows * lin.out);
    linear_forward(lin, p, in, rows, c.y[l].data());
    if (lin.norm_relu)
      norm_forward(p, lin.gamma, lin.beta, true, lin.out, rows, c.y[l].data(), c.xhat[l],
                   c.rstd[l]);
    in = c.y[l].data();
  }
  return in;
}

/// dy: gradient of the MLP output (consumed). dx: gradient of its input, or null.
template <class T>
void mlp_backward(const MlpDef& def, const T* p, MlpCache<T>& c, size_t rows, std::vector<T> dy,
                  T* g, T* dx) {
  for (size_t l = def.layers.size(); l-- > 0;) {
    const LinearDef& lin = def.layers[l];
    if (lin.norm_relu)
      norm_backward(p, lin.gamma, lin.beta, true, lin.out, rows, c.y[l].data(), c.xhat[l],
                    c.rstd[l], dy.data(), g);
    const T* in = l == 0 ? c.in.data() : c.y[l - 1].data();
    if (l == 0) {
      linear_backward(lin, p, in, dy.data(), rows, g, dx);
    } else {
      std::vector<T> dprev(rows * lin.in);
      linear_backward(lin, p, in, dy.data(), rows, g, dprev.data());
      dy.swap(dprev);
    }
  }
}

/// What the attention of every event of a block reads and writes.
template <class T>
struct AttnEvents {
  const T *bk, *bv;
  int e, heads, lq, lk;
  const T* bias;
  const std::uint8_t* pad;
  AttnCache<T>& c;
};

/// The attention of event b: every head and query, the dropout factors already in c.keep.
template <class T>
HEPCAT_ASSIGN_CLONES void attention_event_forward(const AttnEvents<T>& a, size_t b) {
  const int e = a.e, dh = e / a.heads, lq = a.lq, lk = a.lk;
  const size_t row = static_cast<size_t>(lk) + 1;
  AttnCache<T>& c = a.c;
  for (int h = 0; h < a.heads; ++h)
    for (int i = 0; i < lq; ++i) {
      const size_t pi = ((b * a.heads + h) * lq + i) * row;
      const T* kb = &c.kv[(b * lk) * 2 * e + h * dh];
      math::attention_row_forward(
          &c.q[(b * lq + i) * e + h * dh], kb, kb + e, 2 * e, lk, a.bk + h * dh, a.bv + h * dh, dh,
          a.bias ? a.bias + (b * lq + i) * lk : nullptr, a.pad ? a.pad + b * lk : nullptr,
          c.keep.empty() ? nullptr : &c.keep[pi], &c.p[pi], &c.heads[(b * lq + i) * e + h * dh]);
    }
}

/// Gradients of the attention of every event: from dheads [B][lq][E] to dq [B][lq][E], dkv
/// [B][lk][2E], the bias key and value per event [B][2E] and the pairwise bias (when not null).
template <class T>
struct AttnGrads {
  const T* dheads;
  T *dq, *dkv, *dbkv, *dbias;
};

template <class T>
HEPCAT_ASSIGN_CLONES void attention_event_backward(const AttnEvents<T>& a, const AttnGrads<T>& g,
                                                   size_t b) {
  const int e = a.e, dh = e / a.heads, lq = a.lq, lk = a.lk;
  const size_t row = static_cast<size_t>(lk) + 1;
  const AttnCache<T>& c = a.c;
  for (int h = 0; h < a.heads; ++h)
    for (int i = 0; i < lq; ++i) {
      const size_t pi = ((b * a.heads + h) * lq + i) * row;
      const size_t kb = (b * lk) * 2 * e + h * dh, qi = (b * lq + i) * e + h * dh;
      math::attention_row_backward(
          &g.dheads[qi], &c.q[qi], &c.kv[kb], &c.kv[kb + e], 2 * e, lk, a.bk + h * dh,
          a.bv + h * dh, dh, &c.p[pi], c.keep.empty() ? nullptr : &c.keep[pi], &g.dq[qi],
          &g.dkv[kb], &g.dkv[kb + e], &g.dbkv[b * 2 * e + h * dh], &g.dbkv[b * 2 * e + e + h * dh],
          g.dbias ? g.dbias + (b * lq + i) * lk : nullptr);
    }
}

/// One AttnBlock: multi-head attention of xq [B][lq][E] over xkv [B][lk][E] with the bias key,
/// optional per-event pairwise bias [B][lq][lk] and key padding [B][lk]; residual (self
/// attention) or not (cross attention); post-attention LayerNorm; feed-forward; residual;
/// post-feed-forward LayerNorm. Returns the output [B][lq][E].
template <class T>
const T* attn_forward(const AssignConfig& cfg, const AttnDef& a, const T* p, const T* xq,
                      const T* xkv, size_t events, int lq, int lk, const T* bias,
                      const std::uint8_t* pad, bool residual, const Dropout& dropout,
                      std::uint64_t dropout_base, AttnCache<T>& c) {
  const int e = cfg.embed_dim, heads = cfg.heads;
  const size_t nq = events * lq, nkv = events * lk;
  c.events = events;
  c.lq = lq;
  c.lk = lk;
  c.residual = residual;
  c.xq.assign(xq, xq + nq * e);
  c.xkv.assign(xkv, xkv + nkv * e);
  c.q.resize(nq * e);
  c.kv.resize(nkv * 2 * e);
  const LinearDef wq{a.in_w, a.in_b, e, e, false, 0, 0};
  const LinearDef wkv{a.in_w + static_cast<size_t>(e) * e, a.in_b + e, e, 2 * e, false, 0, 0};
  linear_forward(wq, p, c.xq.data(), nq, c.q.data());
  linear_forward(wkv, p, c.xkv.data(), nkv, c.kv.data());
  const size_t row = static_cast<size_t>(lk) + 1;
  c.p.resize(events * heads * lq * row);
  c.keep.clear();
  if (dropout.on) c.keep.resize(c.p.size());
  c.heads.resize(nq * e);
  const AttnEvents<T> ev{p + a.bias_k, p + a.bias_v, e, heads, lq, lk, bias, pad, c};
#pragma omp parallel for schedule(static)
  for (Index b = 0; b < static_cast<Index>(events); ++b) {
    const size_t pb = static_cast<size_t>(b) * heads * lq * row;
    if (dropout.on)
      math::dropout_keep_range(dropout.seed, dropout.stream, dropout_base + pb,
                               dropout_base + pb + heads * lq * row, T(dropout.p), &c.keep[pb]);
    attention_event_forward(ev, static_cast<size_t>(b));
  }
  const LinearDef wo{a.out_w, a.out_b, e, e, false, 0, 0};
  c.attn_out.resize(nq * e);
  linear_forward(wo, p, c.heads.data(), nq, c.attn_out.data());
  c.h = c.attn_out;
  if (residual)
    for (size_t i = 0; i < nq * e; ++i) c.h[i] += c.xq[i];
  norm_forward(p, a.n1_gamma, a.n1_beta, false, e, nq, c.h.data(), c.xhat1, c.rstd1);
  const T* f = mlp_forward(a.ffwd, p, c.h.data(), nq, c.ffwd);
  c.out.resize(nq * e);
  for (size_t i = 0; i < nq * e; ++i) c.out[i] = f[i] + c.h[i];
  norm_forward(p, a.n2_gamma, a.n2_beta, false, e, nq, c.out.data(), c.xhat2, c.rstd2);
  return c.out.data();
}

/// Backward of attn_forward: dout [B][lq][E] (consumed) -> dxq and dxkv (overwritten), dbias
/// [B][lq][lk] added to when not null, parameter gradients added to g.
template <class T>
void attn_backward(const AssignConfig& cfg, const AttnDef& a, const T* p, AttnCache<T>& c,
                   std::vector<T> dout, T* dxq, T* dxkv, T* dbias, T* g) {
  const int e = cfg.embed_dim, heads = cfg.heads;
  const size_t events = c.events;
  const int lq = c.lq, lk = c.lk;
  const size_t nq = events * lq, nkv = events * lk;
  norm_backward(p, a.n2_gamma, a.n2_beta, false, e, nq, c.out.data(), c.xhat2, c.rstd2, dout.data(),
                g);
  std::vector<T> d_h(nq * e);
  mlp_backward(a.ffwd, p, c.ffwd, nq, dout, g, d_h.data());
  for (size_t i = 0; i < nq * e; ++i) d_h[i] += dout[i];
  norm_backward(p, a.n1_gamma, a.n1_beta, false, e, nq, c.h.data(), c.xhat1, c.rstd1, d_h.data(),
                g);
  // d_h is now the gradient of attn_out (+ residual).
  const LinearDef wo{a.out_w, a.out_b, e, e, false, 0, 0};
  std::vector<T> dheads(nq * e);
  linear_backward(wo, p, c.heads.data(), d_h.data(), nq, g, dheads.data());
  std::vector<T> dq(nq * e, T(0)), dkv(nkv * 2 * e, T(0));
  std::vector<T> dbkv(events * 2 * e, T(0));  // per event, summed in order below
  const AttnEvents<T> ev{p + a.bias_k, p + a.bias_v, e, heads, lq, lk, nullptr, nullptr, c};
  const AttnGrads<T> gr{dheads.data(), dq.data(), dkv.data(), dbkv.data(), dbias};
#pragma omp parallel for schedule(static)
  for (Index b = 0; b < static_cast<Index>(events); ++b)
    attention_event_backward(ev, gr, static_cast<size_t>(b));
  for (size_t b = 0; b < events; ++b)
    for (int d = 0; d < e; ++d) {
      g[a.bias_k + d] += dbkv[b * 2 * e + d];
      g[a.bias_v + d] += dbkv[b * 2 * e + e + d];
    }
  const LinearDef wq{a.in_w, a.in_b, e, e, false, 0, 0};
  const LinearDef wkv{a.in_w + static_cast<size_t>(e) * e, a.in_b + e, e, 2 * e, false, 0, 0};
  linear_backward(wq, p, c.xq.data(), dq.data(), nq, g, dxq);
  linear_backward(wkv, p, c.xkv.data(), dkv.data(), nkv, g, dxkv);
  if (c.residual)
    for (size_t i = 0; i < nq * e; ++i) dxq[i] += d_h[i];
}

template <class T>
void mask_rows(std::vector<T>& x, const std::vector<std::uint8_t>& pad, int e) {
  for (size_t r = 0; r < pad.size(); ++r)
    if (pad[r]) std::fill(x.begin() + r * e, x.begin() + (r + 1) * e, T(0));
}

/// The published T = 3 prior: channel 2 (ISR score) of every slot is lowered by 1, in place,
/// before each jet choice.
template <class T>
void shift_isr(std::vector<T>& x, int categories, int e) {
  if (categories != 3) return;
  for (size_t r = 0; r < x.size() / e; ++r) x[r * e + 2] -= T(1);
}

/// Jet choice a [B][J][T] from channels 0..T-1 of x.
template <class T>
void jet_choice(const std::vector<T>& x, size_t rows, int e, int t, bool soft, T temperature,
                std::vector<T>& a) {
  a.assign(rows * t, T(0));
#pragma omp parallel for schedule(static)
  for (Index r = 0; r < static_cast<Index>(rows); ++r) {
    if (soft)
      math::soft_choice(&x[r * e], t, temperature, &a[r * t]);
    else
      a[r * t + math::argmax(&x[r * e], t)] = T(1);
  }
}

/// out[b][t][:] = sum_j a[b][j][t] v[b][j][:] for v of width w.
template <class T>
void choice_sum(const std::vector<T>& a, const T* v, size_t events, size_t jets, int t, int w,
                std::vector<T>& out) {
  out.assign(events * t * w, T(0));
#pragma omp parallel for schedule(static)
  for (Index b = 0; b < static_cast<Index>(events); ++b)
    for (size_t j = 0; j < jets; ++j)
      for (int k = 0; k < t; ++k) {
        const T a_w = a[(b * jets + j) * t + k];
        if (a_w == T(0)) continue;
        for (int d = 0; d < w; ++d) out[(b * t + k) * w + d] += a_w * v[(b * jets + j) * w + d];
      }
}

/// Backward of choice_sum: da[b][j][t] = v_j . dout_t (overwritten), dv += a dout (when dv).
template <class T>
void choice_sum_backward(const std::vector<T>& a, const T* v, const T* dout, size_t events,
                         size_t jets, int t, int w, std::vector<T>& da, T* dv) {
  da.assign(events * jets * t, T(0));
#pragma omp parallel for schedule(static)
  for (Index b = 0; b < static_cast<Index>(events); ++b)
    for (size_t j = 0; j < jets; ++j)
      for (int k = 0; k < t; ++k) {
        const T* dk = dout + (b * t + k) * w;
        const T* vj = v + (b * jets + j) * w;
        T s = 0;
        for (int d = 0; d < w; ++d) s += vj[d] * dk[d];
        da[(b * jets + j) * t + k] = s;
        if (dv) {
          const T a_w = a[(b * jets + j) * t + k];
          for (int d = 0; d < w; ++d) dv[(b * jets + j) * w + d] += a_w * dk[d];
        }
      }
}

template <class T>
void soft_choice_backward(const std::vector<T>& a, const std::vector<T>& da, size_t rows, int e,
                          int t, T temperature, T* dx) {
#pragma omp parallel for schedule(static)
  for (Index r = 0; r < static_cast<Index>(rows); ++r)
    math::soft_choice_backward(&a[r * t], &da[r * t], t, temperature, dx + r * e);
}

template <class T>
void record(AssignTrace* trace, const std::string& name, const T* v, size_t n) {
  if (trace) (*trace)[name] = std::vector<double>(v, v + n);
}
template <class T>
void record(AssignTrace* trace, const std::string& name, const std::vector<T>& v) {
  record(trace, name, v.data(), v.size());
}

/// Autoencoder inputs [B][2][D]: candidate embedding without the T score channels, then the
/// candidate mass / mass_scale, for candidates 0 and 1.
template <class T>
void ae_inputs(const AssignConfig& cfg, const T* c, const std::vector<T>& m2, size_t events,
               std::vector<T>& out) {
  const int e = cfg.embed_dim, t = cfg.categories, d = e - t + 1;
  out.resize(events * 2 * d);
  for (size_t b = 0; b < events; ++b)
    for (int k = 0; k < 2; ++k)
      math::autoencoder_input(c + (b * t + k) * e, m2[b * t + k], e, t, T(cfg.mass_scale),
                              &out[(b * 2 + k) * d]);
}

/// A uniformly random category for every real jet, as a one-hot [B][J][T].
template <class T>
void random_assignment(const std::vector<std::uint8_t>& pad, size_t rows, size_t first_row, int t,
                       std::uint64_t seed, std::vector<T>& a) {
  a.assign(rows * t, T(0));
  for (size_t r = 0; r < rows; ++r) {
    if (pad[r]) continue;
    a[r * t + math::random_category(seed, first_row + r, t)] = T(1);
  }
}

}  // namespace

// ---- forward ------------------------------------------------------------------------------------

template <class T>
void forward(const Architecture& arch, const T* params, const T* x, size_t events, size_t jets,
             bool soft, const AssignLoss& loss, const Dropout& dropout, std::uint64_t loss_seed,
             ForwardCache<T>& c, AssignTrace* trace) {
  const AssignConfig& cfg = arch.config;
  const int e = cfg.embed_dim, t = cfg.categories, d = e - t + 1;
  const T temperature = T(cfg.temperature);
  const size_t rows = events * jets;
  const T* p = params;
  if (jets > 31) throw Error("assign: at most 31 jet slots per event, got " + std::to_string(jets));
  const BlasOnOneThread blas;
  const size_t first = c.part.first, total = c.part.total ? c.part.total : events;
  c.events = events;
  c.jets = jets;
  c.soft = soft;
  c.x.assign(x, x + rows * 5);
  c.pad.resize(rows);
  for (size_t r = 0; r < rows; ++r) c.pad[r] = math::is_padding(&c.x[r * 5]) ? 1 : 0;

  // Embedding with the fixed input normalisation.
  c.bn_xhat.resize(rows * 5);
  c.bn_out.resize(rows * 5);
  for (size_t r = 0; r < rows; ++r)
    for (int f = 0; f < 5; ++f) {
      const T h = math::fixed_normalise(c.x[r * 5 + f], p[arch.bn_mean + f], p[arch.bn_var + f]);
      c.bn_xhat[r * 5 + f] = h;
      c.bn_out[r * 5 + f] = h * p[arch.bn_gamma + f] + p[arch.bn_beta + f];
    }
  record(trace, "input_bn_out", c.bn_out);
  const T* emb = mlp_forward(arch.embed, p, c.bn_out.data(), rows, c.embed);
  std::vector<T> xs(emb, emb + rows * e);
  record(trace, "embed_out_unmasked", xs);
  mask_rows(xs, c.pad, e);
  record(trace, "embed_out", xs);

  // Pairwise bias, each event's own.
  // Only pairs of two real jets reach the loss (a padded key has weight 0, a padded query row is
  // masked after the block, and both get zero gradient), so the MLP runs over those alone; with
  // a trace, over every pair, as the published code.
  c.pairs.clear();
  for (size_t b = 0; b < events; ++b)
    for (size_t i = 0; i < jets; ++i)
      for (size_t j = 0; j < jets; ++j)
        if (trace || (!c.pad[b * jets + i] && !c.pad[b * jets + j]))
          c.pairs.push_back(static_cast<std::uint32_t>((b * jets + i) * jets + j));
  const size_t n_pairs = c.pairs.size();
  c.pair_in.resize(n_pairs * 3);
#pragma omp parallel for schedule(static)
  for (Index k = 0; k < static_cast<Index>(n_pairs); ++k) {
    const size_t pair = c.pairs[k], i = pair / jets, j = pair / (jets * jets) * jets + pair % jets;
    math::pair_features(&c.x[i * 5 + 1], &c.x[j * 5 + 1], &c.pair_in[k * 3]);
  }
  record(trace, "wij_pair_features", c.pair_in);
  const T* w = mlp_forward(arch.pair, p, c.pair_in.data(), n_pairs, c.pair);
  c.wij.assign(rows * jets, T(0));
  for (size_t k = 0; k < n_pairs; ++k) c.wij[c.pairs[k]] = w[k];
  record(trace, "wij_mlp_out", c.wij);

  c.blocks.resize(cfg.blocks);
  // Dropout counters: every attention weight of the batch has its own, whatever the part.
  const std::uint64_t per_attn = total * cfg.heads * jets * (jets + 1);
  const auto part_base = [&](std::uint64_t base, std::size_t lq, std::size_t lk) {
    return base + first * cfg.heads * lq * (lk + 1);
  };
  for (int ib = 0; ib < cfg.blocks; ++ib) {
    auto& blk = c.blocks[ib];
    const std::string pre = "block" + std::to_string(ib) + "_";
    const std::uint64_t base = static_cast<std::uint64_t>(ib) * 3 * per_attn;
    const T* o = attn_forward(cfg, arch.obj[ib], p, xs.data(), xs.data(), events,
                              static_cast<int>(jets), static_cast<int>(jets), c.wij.data(),
                              c.pad.data(), true, dropout, part_base(base, jets, jets), blk.obj);
    record(trace, pre + "obj_attn_out", blk.obj.attn_out);
    record(trace, pre + "obj_post_attn_norm", blk.obj.h);
    record(trace, pre + "obj_ffwd_out", blk.obj.ffwd.y.back());
    record(trace, pre + "obj_out", o, rows * e);
    blk.x1.assign(o, o + rows * e);
    mask_rows(blk.x1, c.pad, e);
    record(trace, pre + "x_after_obj", blk.x1);
    shift_isr(blk.x1, t, e);
    std::vector<T> logits(rows * t);
    for (size_t r = 0; r < rows; ++r)
      for (int k = 0; k < t; ++k) logits[r * t + k] = blk.x1[r * e + k];
    record(trace, pre + "jet_logits", logits);
    jet_choice(blk.x1, rows, e, t, soft, temperature, blk.a);
    record(trace, pre + "jet_choice", blk.a);
    choice_sum(blk.a, blk.x1.data(), events, jets, t, e, blk.c);
    record(trace, pre + "cand_in", blk.c);
    const T* cc = attn_forward(cfg, arch.cand[ib], p, blk.c.data(), blk.c.data(), events, t, t,
                               static_cast<const T*>(nullptr), nullptr, true, dropout,
                               part_base(base + per_attn, t, t), blk.cand);
    record(trace, pre + "cand_attn_out", blk.cand.attn_out);
    record(trace, pre + "cand_post_attn_norm", blk.cand.h);
    record(trace, pre + "cand_ffwd_out", blk.cand.ffwd.y.back());
    record(trace, pre + "cand_out", cc, events * t * e);
    const T* xo = attn_forward(cfg, arch.cross[ib], p, blk.x1.data(), cc, events,
                               static_cast<int>(jets), t, static_cast<const T*>(nullptr), nullptr,
                               false, dropout, part_base(base + 2 * per_attn, jets, t), blk.cross);
    record(trace, pre + "cross_attn_out", blk.cross.attn_out);
    record(trace, pre + "cross_post_attn_norm", blk.cross.h);
    record(trace, pre + "cross_ffwd_out", blk.cross.ffwd.y.back());
    record(trace, pre + "cross_out", xo, rows * e);
    xs.assign(xo, xo + rows * e);
    mask_rows(xs, c.pad, e);
    record(trace, pre + "x_out", xs);
  }
  record(trace, "x_final", xs);

  // Final choice, candidate four-vectors and masses.
  shift_isr(xs, t, e);
  c.x_final = xs;
  {
    std::vector<T> logits(rows * t);
    for (size_t r = 0; r < rows; ++r)
      for (int k = 0; k < t; ++k) logits[r * t + k] = xs[r * e + k];
    record(trace, "jet_logits_final", logits);
  }
  jet_choice(c.x_final, rows, e, t, soft, temperature, c.a_final);
  record(trace, "jet_choice_final", c.a_final);
  c.p4.resize(rows * 4);
  for (size_t r = 0; r < rows; ++r) math::feature_p4(&c.x[r * 5], &c.p4[r * 4]);
  record(trace, "jet_p4", c.p4);
  choice_sum(c.a_final, c.p4.data(), events, jets, t, 4, c.cp4);
  record(trace, "candidates_p4", c.cp4);
  c.m2.resize(events * t);
  for (size_t i = 0; i < events * t; ++i) c.m2[i] = math::regulated_mass2(&c.cp4[i * 4]);
  if (trace) {
    std::vector<double> m(events * t), ms(events * t);
    for (size_t i = 0; i < m.size(); ++i) {
      m[i] = static_cast<double>(std::sqrt(c.m2[i]));
      ms[i] = static_cast<double>(std::sqrt(c.m2[i]) / T(cfg.mass_scale));
    }
    (*trace)["cand_mass"] = m;
    (*trace)["cand_mass_scaled"] = ms;
  }

  // Shared autoencoder on candidates 0 and 1 (the last candidate block's output).
  const T* c_last = c.blocks.back().cand.out.data();
  ae_inputs(cfg, c_last, c.m2, events, c.ae_x);
  record(trace, "ae_input", c.ae_x);
  const T* z = mlp_forward(arch.ae_in, p, c.ae_x.data(), events * 2, c.ae_in);
  record(trace, "ae_latent", z, events * 2 * cfg.ae_dim);
  const T* rec = mlp_forward(arch.ae_out, p, z, events * 2, c.ae_out);
  record(trace, "ae_recon", rec, events * 2 * d);

  const bool four = loss.kind == AssignLoss::Kind::four_term;
  if (four) {
    // Candidates of a random assignment, through the same last candidate block and encoder.
    const auto& last = c.blocks.back();
    random_assignment(c.pad, rows, first * jets, t, loss_seed, c.rand_a);
    choice_sum(c.rand_a, last.x1.data(), events, jets, t, e, c.rand_c);
    const T* rc =
        attn_forward(cfg, arch.cand.back(), p, c.rand_c.data(), c.rand_c.data(), events, t, t,
                     static_cast<const T*>(nullptr), nullptr, true, Dropout{}, 0, c.rand_cand);
    choice_sum(c.rand_a, c.p4.data(), events, jets, t, 4, c.rand_cp4);
    c.rand_m2.resize(events * t);
    for (size_t i = 0; i < events * t; ++i)
      c.rand_m2[i] = math::regulated_mass2(&c.rand_cp4[i * 4]);
    ae_inputs(cfg, rc, c.rand_m2, events, c.rand_ae_x);
    mlp_forward(arch.ae_in, p, c.rand_ae_x.data(), events * 2, c.rand_ae_in);
  }

  // Losses per event.
  c.loss_event.assign(events, T(0));
  std::vector<double> recon(events), crossed(events), mse4[4];
  for (auto& v : mse4) v.resize(events);
  const int zd = cfg.ae_dim;
  for (size_t b = 0; b < events; ++b) {
    const T* a0 = &c.ae_x[(b * 2) * d];
    const T* a1 = a0 + d;
    const T* r0 = &c.ae_out.y.back()[(b * 2) * d];
    const T* r1 = r0 + d;
    const T m00 = math::mse(a0, r0, d), m11 = math::mse(a1, r1, d);
    const T m01 = math::mse(a0, r1, d), m10 = math::mse(a1, r0, d);
    mse4[0][b] = m00;
    mse4[1][b] = m01;
    mse4[2][b] = m10;
    mse4[3][b] = m11;
    recon[b] = m00 + m11;
    crossed[b] = m01 + m10;
    T l = math::pair_reconstruction_loss(a0, a1, r0, r1, d, T(loss.w_recon), T(loss.w_crossed));
    if (four) {
      const T* z0 = &c.ae_in.y.back()[(b * 2) * zd];
      const T* rz0 = &c.rand_ae_in.y.back()[(b * 2) * zd];
      l += math::latent_hinge_loss(z0, z0 + zd, rz0, rz0 + zd, zd, T(loss.w_latent),
                                   T(loss.w_hinge), T(loss.margin));
    }
    if (t == 3) l += T(loss.w_isr) * math::isr_transverse_energy(&c.cp4[(b * t + 2) * 4]);
    c.loss_event[b] = l;
  }
  if (trace) {
    (*trace)["mse_c0_c0recon"] = mse4[0];
    (*trace)["mse_c0_c1recon"] = mse4[1];
    (*trace)["mse_c1_c0recon"] = mse4[2];
    (*trace)["mse_c1_c1recon"] = mse4[3];
    (*trace)["loss_per_event"] = recon;
    (*trace)["xloss_per_event"] = crossed;
    record(trace, "loss_total", c.loss_event);
  }
  double sum = 0;
  for (size_t b = 0; b < events; ++b) sum += static_cast<double>(c.loss_event[b]);
  c.loss = events ? sum / static_cast<double>(events) : 0;
}

// ---- backward -----------------------------------------------------------------------------------

template <class T>
void backward(const Architecture& arch, const T* params, const AssignLoss& loss, ForwardCache<T>& c,
              T* g) {
  const AssignConfig& cfg = arch.config;
  const int e = cfg.embed_dim, t = cfg.categories, d = e - t + 1, zd = cfg.ae_dim;
  const T temperature = T(cfg.temperature);
  const size_t events = c.events, jets = c.jets, rows = events * jets;
  const T* p = params;
  if (!c.soft) throw Error("assign: the backward needs the soft jet choice");
  const BlasOnOneThread blas;
  const T inv_b = T(1) / T(c.part.total ? c.part.total : events);
  const bool four = loss.kind == AssignLoss::Kind::four_term;

  // Loss -> autoencoder inputs, outputs and latents.
  std::vector<T> dae_x(events * 2 * d, T(0)), drec(events * 2 * d, T(0));
  std::vector<T> dz(events * 2 * zd, T(0)), drand_z(four ? events * 2 * zd : 0, T(0));
  std::vector<T> dcp4(events * t * 4, T(0));
  for (size_t b = 0; b < events; ++b) {
    const T* a0 = &c.ae_x[(b * 2) * d];
    const T* a1 = a0 + d;
    const T* r0 = &c.ae_out.y.back()[(b * 2) * d];
    const T* r1 = r0 + d;
    T* da0 = &dae_x[(b * 2) * d];
    T* da1 = da0 + d;
    T* dr0 = &drec[(b * 2) * d];
    T* dr1 = dr0 + d;
    const T wr = T(loss.w_recon) * inv_b, wc = T(loss.w_crossed) * inv_b;
    math::pair_reconstruction_loss_backward(a0, a1, r0, r1, d, wr, wc, da0, da1, dr0, dr1);
    if (four) {
      const T* z0 = &c.ae_in.y.back()[(b * 2) * zd];
      const T* rz0 = &c.rand_ae_in.y.back()[(b * 2) * zd];
      T* dz0 = &dz[(b * 2) * zd];
      T* drz0 = &drand_z[(b * 2) * zd];
      math::latent_hinge_loss_backward(z0, z0 + zd, rz0, rz0 + zd, zd, T(loss.w_latent) * inv_b,
                                       T(loss.w_hinge) * inv_b, T(loss.margin), dz0, dz0 + zd, drz0,
                                       drz0 + zd);
    }
    if (t == 3)
      math::isr_transverse_energy_backward(&c.cp4[(b * t + 2) * 4], T(loss.w_isr) * inv_b,
                                           &dcp4[(b * t + 2) * 4]);
  }
  std::vector<T> dz_dec(events * 2 * zd);
  mlp_backward(arch.ae_out, p, c.ae_out, events * 2, drec, g, dz_dec.data());
  for (size_t i = 0; i < dz.size(); ++i) dz[i] += dz_dec[i];
  std::vector<T> dx_enc(events * 2 * d);
  mlp_backward(arch.ae_in, p, c.ae_in, events * 2, dz, g, dx_enc.data());
  for (size_t i = 0; i < dae_x.size(); ++i) dae_x[i] += dx_enc[i];

  // Autoencoder inputs -> last candidate block output and candidate masses.
  std::vector<T> dc_last(events * t * e, T(0));
  std::vector<T> dm2(events * t, T(0));
  auto split_ae = [&](const std::vector<T>& dax, const std::vector<T>& m2, std::vector<T>& dcand,
                      std::vector<T>& dmass2) {
    for (size_t b = 0; b < events; ++b)
      for (int k = 0; k < 2; ++k)
        dmass2[b * t + k] += math::autoencoder_input_backward(
            &dax[(b * 2 + k) * d], m2[b * t + k], e, t, T(cfg.mass_scale), &dcand[(b * t + k) * e]);
  };
  split_ae(dae_x, c.m2, dc_last, dm2);
  for (size_t i = 0; i < events * t; ++i)
    math::regulated_mass2_backward(&c.cp4[i * 4], dm2[i], &dcp4[i * 4]);

  std::vector<T> dx(rows * e, T(0));  // gradient of x after the current block
  std::vector<T> da;
  // Final choice -> final x.
  choice_sum_backward(c.a_final, c.p4.data(), dcp4.data(), events, jets, t, 4, da,
                      static_cast<T*>(nullptr));
  soft_choice_backward(c.a_final, da, rows, e, t, temperature, dx.data());

  std::vector<T> dx1_rand(four ? rows * e : 0, T(0));
  if (four) {
    // Random-assignment branch: latents -> encoder -> candidate block -> x1 of the last block.
    std::vector<T> drand_x(events * 2 * d);
    mlp_backward(arch.ae_in, p, c.rand_ae_in, events * 2, drand_z, g, drand_x.data());
    std::vector<T> drc(events * t * e, T(0)), drm2(events * t, T(0));
    split_ae(drand_x, c.rand_m2, drc, drm2);
    std::vector<T> dq(events * t * e), dkv(events * t * e);
    attn_backward(cfg, arch.cand.back(), p, c.rand_cand, drc, dq.data(), dkv.data(),
                  static_cast<T*>(nullptr), g);
    for (size_t i = 0; i < dq.size(); ++i) dq[i] += dkv[i];
    std::vector<T> unused;
    choice_sum_backward(c.rand_a, c.blocks.back().x1.data(), dq.data(), events, jets, t, e, unused,
                        dx1_rand.data());
  }

  std::vector<T> dwij(rows * jets, T(0));
  for (int ib = cfg.blocks - 1; ib >= 0; --ib) {
    auto& blk = c.blocks[ib];
    mask_rows(dx, c.pad, e);
    // Cross block: Q = x1, K = V = candidate block output.
    std::vector<T> dx1(rows * e), dcand(events * t * e);
    attn_backward(cfg, arch.cross[ib], p, blk.cross, dx, dx1.data(), dcand.data(),
                  static_cast<T*>(nullptr), g);
    if (ib == cfg.blocks - 1) {
      for (size_t i = 0; i < dcand.size(); ++i) dcand[i] += dc_last[i];
      for (size_t i = 0; i < dx1_rand.size(); ++i) dx1[i] += dx1_rand[i];
    }
    // Candidate block: Q = K = V = c.
    std::vector<T> dc(events * t * e), dckv(events * t * e);
    attn_backward(cfg, arch.cand[ib], p, blk.cand, dcand, dc.data(), dckv.data(),
                  static_cast<T*>(nullptr), g);
    for (size_t i = 0; i < dc.size(); ++i) dc[i] += dckv[i];
    // c = a^T x1 and a = softmax(x1[:T] / temperature).
    choice_sum_backward(blk.a, blk.x1.data(), dc.data(), events, jets, t, e, da, dx1.data());
    soft_choice_backward(blk.a, da, rows, e, t, temperature, dx1.data());
    mask_rows(dx1, c.pad, e);
    // Object block: Q = K = V = x, with the pairwise bias.
    std::vector<T> dkv(rows * e);
    attn_backward(cfg, arch.obj[ib], p, blk.obj, dx1, dx.data(), dkv.data(), dwij.data(), g);
    for (size_t i = 0; i < dx.size(); ++i) dx[i] += dkv[i];
  }
  mask_rows(dx, c.pad, e);
  std::vector<T> dbn(rows * 5);
  mlp_backward(arch.embed, p, c.embed, rows, dx, g, dbn.data());
  for (size_t r = 0; r < rows; ++r)
    for (int f = 0; f < 5; ++f) {
      g[arch.bn_gamma + f] += dbn[r * 5 + f] * c.bn_xhat[r * 5 + f];
      g[arch.bn_beta + f] += dbn[r * 5 + f];
    }
  std::vector<T> dpair(c.pairs.size());
  for (size_t k = 0; k < c.pairs.size(); ++k) dpair[k] = dwij[c.pairs[k]];
  mlp_backward(arch.pair, p, c.pair, c.pairs.size(), dpair, g, static_cast<T*>(nullptr));
}

// ---- batches in parts ---------------------------------------------------------------------------

namespace {

/// body(part) for every part of a batch over the OpenMP threads, dynamically scheduled; the
/// first error of any part is thrown once all parts are done.
template <class Body>
void for_each_part(size_t parts, Body body) {
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 1)
  for (Index i = 0; i < static_cast<Index>(parts); ++i) {
    try {
      body(static_cast<size_t>(i));
    } catch (...) {
#pragma omp critical(hepcat_assign_part_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

template <class T>
void run_parts(const Architecture& arch, const T* params, const T* x, size_t events, size_t jets,
               bool soft, const AssignLoss& loss, const Dropout& dropout, std::uint64_t loss_seed,
               BatchWorkspace<T>& ws, T* grads) {
  if (jets > 31) throw Error("assign: at most 31 jet slots per event, got " + std::to_string(jets));
  if (grads && !soft) throw Error("assign: the backward needs the soft jet choice");
  const BlasOnOneThread blas;
  const size_t parts = (events + kPartEvents - 1) / kPartEvents;
  const size_t n_params = arch.parameters;
  ws.parts.resize(parts);
  if (grads) ws.grads.assign(parts * n_params, T(0));
  for_each_part(parts, [&](size_t i) {
    ForwardCache<T>& c = ws.parts[i];
    const size_t first = i * kPartEvents, count = std::min(kPartEvents, events - first);
    c.part = BatchPart{first, events};
    forward(arch, params, x + first * jets * 5, count, jets, soft, loss, dropout, loss_seed, c,
            nullptr);
    if (grads) backward(arch, params, loss, c, &ws.grads[i * n_params]);
  });
  double sum = 0;
  for (const ForwardCache<T>& c : ws.parts)
    for (T l : c.loss_event) sum += static_cast<double>(l);
  ws.loss = events ? sum / static_cast<double>(events) : 0;
  if (!grads) return;
  std::fill(grads, grads + n_params, T(0));
  for (size_t i = 0; i < parts; ++i) {
    const T* part = &ws.grads[i * n_params];
    for (size_t k = 0; k < n_params; ++k) grads[k] += part[k];
  }
}

}  // namespace

template <class T>
void forward_batch(const Architecture& arch, const T* params, const T* x, size_t events,
                   size_t jets, bool soft, const AssignLoss& loss, const Dropout& dropout,
                   std::uint64_t loss_seed, BatchWorkspace<T>& ws) {
  run_parts(arch, params, x, events, jets, soft, loss, dropout, loss_seed, ws,
            static_cast<T*>(nullptr));
}

template <class T>
double gradient_batch(const Architecture& arch, const T* params, const T* x, size_t events,
                      size_t jets, const AssignLoss& loss, const Dropout& dropout,
                      std::uint64_t loss_seed, BatchWorkspace<T>& ws, T* grads) {
  run_parts(arch, params, x, events, jets, true, loss, dropout, loss_seed, ws, grads);
  return ws.loss;
}

template void forward<float>(const Architecture&, const float*, const float*, size_t, size_t, bool,
                             const AssignLoss&, const Dropout&, std::uint64_t, ForwardCache<float>&,
                             AssignTrace*);
template void forward<double>(const Architecture&, const double*, const double*, size_t, size_t,
                              bool, const AssignLoss&, const Dropout&, std::uint64_t,
                              ForwardCache<double>&, AssignTrace*);
template void backward<float>(const Architecture&, const float*, const AssignLoss&,
                              ForwardCache<float>&, float*);
template void backward<double>(const Architecture&, const double*, const AssignLoss&,
                               ForwardCache<double>&, double*);
template void forward_batch<float>(const Architecture&, const float*, const float*, size_t, size_t,
                                   bool, const AssignLoss&, const Dropout&, std::uint64_t,
                                   BatchWorkspace<float>&);
template void forward_batch<double>(const Architecture&, const double*, const double*, size_t,
                                    size_t, bool, const AssignLoss&, const Dropout&, std::uint64_t,
                                    BatchWorkspace<double>&);
template double gradient_batch<float>(const Architecture&, const float*, const float*, size_t,
                                      size_t, const AssignLoss&, const Dropout&, std::uint64_t,
                                      BatchWorkspace<float>&, float*);
template double gradient_batch<double>(const Architecture&, const double*, const double*, size_t,
                                       size_t, const AssignLoss&, const Dropout&, std::uint64_t,
                                       BatchWorkspace<double>&, double*);

}  // namespace hepcat::assign
