// The ABC model on a CUDA context (see model_device.hpp). The layer order, the caches and the
// gradient flow are those of host/assign/model_network.cpp step for step; the names of the
// recorded intermediates are the fixture's.
#ifdef HEPCAT_HAVE_CUDA

#include "host/assign/model_device.hpp"

#include <cmath>
#include <cstdint>
#include <map>
#include <string>

#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "kernels/assign.hpp"
#include "kernels/cuda_check.hpp"

namespace hepcat::assign {

namespace dev = cuda::assign;
using std::size_t;

namespace {

// Device pointers of one MLP's forward (all owned by the network's workspace).
struct MlpState {
  const float* in = nullptr;
  std::vector<float*> y, xhat, rstd;
};

struct AttnState {
  size_t events = 0;
  int lq = 0, lk = 0;
  bool residual = false;
  const float *xq = nullptr, *xkv = nullptr;
  float *q = nullptr, *kv = nullptr, *p = nullptr, *keep = nullptr, *heads = nullptr,
        *attn_out = nullptr, *h = nullptr, *xhat1 = nullptr, *rstd1 = nullptr, *xhat2 = nullptr,
        *rstd2 = nullptr, *out = nullptr;
  MlpState ffwd;
};

struct BlockState {
  AttnState obj, cand, cross;
  float *x1 = nullptr, *a = nullptr, *c = nullptr;
};

}  // namespace

struct DeviceNetwork::Impl {
  const Context& ctx;
  Architecture arch;
  cublasHandle_t handle;
  cudaStream_t stream;
  std::map<std::string, Buffer<float>> buffers;
  Buffer<std::uint8_t> pad;
  Buffer<double> norm2, clip_partial;
  size_t ones_filled = 0;

  // The last forward.
  size_t events = 0, jets = 0;
  bool soft = false, four = false;
  const float* x = nullptr;
  float *bn_xhat = nullptr, *bn_out = nullptr, *pair_in = nullptr, *x_final = nullptr,
        *a_final = nullptr, *p4 = nullptr, *cp4 = nullptr, *m2 = nullptr, *ae_x = nullptr,
        *loss_event = nullptr;
  const float* wij = nullptr;
  MlpState embed, pair, ae_in, ae_out;
  std::vector<BlockState> blocks;
  // Four-term loss: a random assignment's candidates through the last candidate block and the
  // encoder.
  float *rand_a = nullptr, *rand_cp4 = nullptr, *rand_m2 = nullptr;
  AttnState rand_cand;
  MlpState rand_ae_in;

  Impl(const Context& c, const Architecture& a)
      : ctx(c),
        arch(a),
        handle(static_cast<cublasHandle_t>(c.cublas())),
        stream(static_cast<cudaStream_t>(c.stream())),
        norm2(c, 1),
        clip_partial(c, dev::kClipPartials) {}

  /// The workspace array called `key`, at least n floats; grown (not kept) when too small.
  float* buf(const std::string& key, size_t n) {
    Buffer<float>& b = buffers[key];
    if (b.size() < n || b.empty()) b = Buffer<float>(ctx, n > 0 ? n : 1);
    return b.data();
  }
  float* zeroed(const std::string& key, size_t n) {
    float* p = buf(key, n);
    HEPCAT_CUDA_CHECK(cudaMemsetAsync(p, 0, n * sizeof(float), stream));
    return p;
  }
  float* copy(const std::string& key, const float* src, size_t n) {
    float* p = buf(key, n);
    HEPCAT_CUDA_CHECK(cudaMemcpyAsync(p, src, n * sizeof(float), cudaMemcpyDeviceToDevice, stream));
    return p;
  }
  /// At least n ones, for column sums.
  const float* ones(size_t n) {
    float* p = buf("ones", n);
    if (ones_filled < n) {
      dev::fill(p, n, 1.0f, stream);
      ones_filled = n;
    }
    return p;
  }

  void record(AssignTrace* trace, const std::string& name, const float* d, size_t n) const {
    if (!trace) return;
    std::vector<float> h(n);
    memory::copy_to_host(ctx, h.data(), d, n * sizeof(float));
    (*trace)[name] = std::vector<double>(h.begin(), h.end());
  }
  /// Records columns [0, cols) of the rows of a [rows][ld] array.
  void record_columns(AssignTrace* trace, const std::string& name, const float* d, size_t rows,
                      int ld, int cols) const {
    if (!trace) return;
    std::vector<float> h(rows * cols);
    copy_columns(d, rows, ld, cols, h.data());
    (*trace)[name] = std::vector<double>(h.begin(), h.end());
  }
  void copy_columns(const float* d, size_t rows, int ld, int cols, float* h) const {
    if (rows == 0) return;
    HEPCAT_CUDA_CHECK(cudaMemcpy2DAsync(h, cols * sizeof(float), d, ld * sizeof(float),
                                        cols * sizeof(float), rows, cudaMemcpyDeviceToHost,
                                        stream));
    HEPCAT_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  // ---- layers ---------------------------------------------------------------------------------

  void linear(const LinearDef& l, const float* p, const float* in, size_t rows, float* y) {
    dev::linear_forward(handle, p + l.w, p + l.b, l.in, l.out, in, rows, y, stream);
  }

  void norm_backward(const float* p, size_t gamma, size_t beta, bool relu, int n, size_t rows,
                     const float* y, const float* xhat, const float* rstd, float* dy, float* g) {
    float* partial = buf("norm_partial", rows * 2 * n);
    dev::layer_norm_backward(p + gamma, relu, n, rows, y, xhat, rstd, dy, partial, stream);
    const float* one = ones(rows);
    dev::column_sums(handle, partial, rows, n, 2 * n, one, g + gamma);
    dev::column_sums(handle, partial + n, rows, n, 2 * n, one, g + beta);
  }

  const float* mlp_forward(const std::string& key, const MlpDef& def, const float* p,
                           const float* in, size_t rows, MlpState& c) {
    const size_t n = def.layers.size();
    c.in = in;
    c.y.assign(n, nullptr);
    c.xhat.assign(n, nullptr);
    c.rstd.assign(n, nullptr);
    const float* cur = in;
    for (size_t l = 0; l < n; ++l) {
      const LinearDef& lin = def.layers[l];
      const std::string k = key + "." + std::to_string(l);
      c.y[l] = buf(k + ".y", rows * lin.out);
      linear(lin, p, cur, rows, c.y[l]);
      if (lin.norm_relu) {
        c.xhat[l] = buf(k + ".xhat", rows * lin.out);
        c.rstd[l] = buf(k + ".rstd", rows);
        dev::layer_norm_forward(p + lin.gamma, p + lin.beta, true, lin.out, rows, c.y[l], c.xhat[l],
                                c.rstd[l], stream);
      }
      cur = c.y[l];
    }
    return cur;
  }

  /// dy: gradient of the MLP output (not changed). dx: gradient of its input (overwritten), or
  /// null.
  void mlp_backward(const std::string& key, const MlpDef& def, const float* p, const MlpState& c,
                    size_t rows, const float* dy, float* g, float* dx) {
    const size_t n = def.layers.size();
    float* cur = copy(key + ".d" + std::to_string(n), dy, rows * def.out());
    for (size_t l = n; l-- > 0;) {
      const LinearDef& lin = def.layers[l];
      if (lin.norm_relu)
        norm_backward(p, lin.gamma, lin.beta, true, lin.out, rows, c.y[l], c.xhat[l], c.rstd[l],
                      cur, g);
      const float* in = l == 0 ? c.in : c.y[l - 1];
      float* prev = l == 0 ? dx : buf(key + ".d" + std::to_string(l), rows * lin.in);
      dev::linear_backward(handle, p + lin.w, lin.in, lin.out, in, cur, rows, ones(rows), g + lin.w,
                           g + lin.b, prev);
      cur = prev;
    }
  }

  const float* attn_forward(const std::string& key, const AttnDef& a, const float* p,
                            const float* xq, const float* xkv, size_t ev, int lq, int lk,
                            const float* bias, const std::uint8_t* pad_, bool residual,
                            const Dropout& dropout, std::uint64_t dropout_base, AttnState& c) {
    const AssignConfig& cfg = arch.config;
    const int e = cfg.embed_dim, heads = cfg.heads;
    const size_t nq = ev * lq, nkv = ev * lk;
    c.events = ev;
    c.lq = lq;
    c.lk = lk;
    c.residual = residual;
    c.xq = xq;
    c.xkv = xkv;
    c.q = buf(key + ".q", nq * e);
    c.kv = buf(key + ".kv", nkv * 2 * e);
    const size_t ee = static_cast<size_t>(e) * e;
    dev::linear_forward(handle, p + a.in_w, p + a.in_b, e, e, xq, nq, c.q, stream);
    dev::linear_forward(handle, p + a.in_w + ee, p + a.in_b + e, e, 2 * e, xkv, nkv, c.kv, stream);
    const size_t probs = ev * heads * lq * static_cast<size_t>(lk + 1);
    c.p = buf(key + ".p", probs);
    c.keep = dropout.on ? buf(key + ".keep", probs) : nullptr;
    c.heads = buf(key + ".heads", nq * e);
    dev::AttentionShape s{ev, heads, e / heads, lq, lk};
    dev::AttentionDropout d{dropout.on, dropout.seed, dropout_base, dropout.stream,
                            static_cast<float>(dropout.p)};
    dev::attention_forward(s, c.q, c.kv, p + a.bias_k, p + a.bias_v, bias, pad_, d, c.keep, c.p,
                           c.heads, stream);
    c.attn_out = buf(key + ".attn_out", nq * e);
    dev::linear_forward(handle, p + a.out_w, p + a.out_b, e, e, c.heads, nq, c.attn_out, stream);
    c.h = copy(key + ".h", c.attn_out, nq * e);
    if (residual) dev::add(handle, xq, nq * e, c.h);
    c.xhat1 = buf(key + ".xhat1", nq * e);
    c.rstd1 = buf(key + ".rstd1", nq);
    dev::layer_norm_forward(p + a.n1_gamma, p + a.n1_beta, false, e, nq, c.h, c.xhat1, c.rstd1,
                            stream);
    const float* f = mlp_forward(key + ".ffwd", a.ffwd, p, c.h, nq, c.ffwd);
    c.out = copy(key + ".out", f, nq * e);
    dev::add(handle, c.h, nq * e, c.out);
    c.xhat2 = buf(key + ".xhat2", nq * e);
    c.rstd2 = buf(key + ".rstd2", nq);
    dev::layer_norm_forward(p + a.n2_gamma, p + a.n2_beta, false, e, nq, c.out, c.xhat2, c.rstd2,
                            stream);
    return c.out;
  }

  /// dout [B][lq][E] (consumed) -> dxq [B][lq][E] and dxkv [B][lk][E] (overwritten), dbias
  /// [B][lq][lk] added to when not null, parameter gradients added to g.
  void attn_backward(const std::string& key, const AttnDef& a, const float* p, const AttnState& c,
                     float* dout, float* dxq, float* dxkv, float* dbias, float* g) {
    const AssignConfig& cfg = arch.config;
    const int e = cfg.embed_dim, heads = cfg.heads;
    const size_t ev = c.events, nq = ev * c.lq, nkv = ev * c.lk;
    norm_backward(p, a.n2_gamma, a.n2_beta, false, e, nq, c.out, c.xhat2, c.rstd2, dout, g);
    float* dh = buf(key + ".g.h", nq * e);
    mlp_backward(key + ".ffwd", a.ffwd, p, c.ffwd, nq, dout, g, dh);
    dev::add(handle, dout, nq * e, dh);
    norm_backward(p, a.n1_gamma, a.n1_beta, false, e, nq, c.h, c.xhat1, c.rstd1, dh, g);
    // dh is now the gradient of attn_out (and of xq through the residual).
    float* dheads = buf(key + ".g.heads", nq * e);
    dev::linear_backward(handle, p + a.out_w, e, e, c.heads, dh, nq, ones(nq), g + a.out_w,
                         g + a.out_b, dheads);
    float* dq = buf(key + ".g.q", nq * e);
    float* dkv = buf(key + ".g.kv", nkv * 2 * e);
    float* dbkv = buf(key + ".g.bkv", ev * 2 * e);
    float* dbias_heads =
        dbias ? buf(key + ".g.bias", ev * heads * static_cast<size_t>(c.lq) * c.lk) : nullptr;
    dev::AttentionShape s{ev, heads, e / heads, c.lq, c.lk};
    dev::attention_backward(s, dheads, c.q, c.kv, p + a.bias_k, p + a.bias_v, c.p, c.keep, dq, dkv,
                            dbkv, dbias_heads, stream);
    if (dbias) dev::sum_heads(dbias_heads, ev, heads, c.lq * c.lk, dbias, stream);
    const float* one = ones(nkv > nq ? nkv : nq);
    dev::column_sums(handle, dbkv, ev, e, 2 * e, one, g + a.bias_k);
    dev::column_sums(handle, dbkv + e, ev, e, 2 * e, one, g + a.bias_v);
    const size_t ee = static_cast<size_t>(e) * e;
    dev::linear_backward(handle, p + a.in_w, e, e, c.xq, dq, nq, one, g + a.in_w, g + a.in_b, dxq);
    dev::linear_backward(handle, p + a.in_w + ee, e, 2 * e, c.xkv, dkv, nkv, one, g + a.in_w + ee,
                         g + a.in_b + e, dxkv);
    if (c.residual) dev::add(handle, dh, nq * e, dxq);
  }

  void masked(float* xs, size_t rows, int e) { dev::mask_rows(pad.data(), rows, e, xs, stream); }
  void shifted(float* xs, size_t rows, int e) {
    if (arch.config.categories == 3) dev::shift_isr(rows, e, xs, stream);
  }
  dev::EventLoss event_loss(const AssignLoss& loss) const {
    dev::EventLoss l;
    l.recon = static_cast<float>(loss.w_recon);
    l.crossed = static_cast<float>(loss.w_crossed);
    l.isr = static_cast<float>(loss.w_isr);
    l.zd = arch.config.ae_dim;
    l.z = ae_in.y.back();
    if (loss.kind == AssignLoss::Kind::four_term) {
      l.latent_hinge = true;
      l.latent = static_cast<float>(loss.w_latent);
      l.hinge = static_cast<float>(loss.w_hinge);
      l.margin = static_cast<float>(loss.margin);
      l.zr = rand_ae_in.y.back();
    }
    return l;
  }
};

DeviceNetwork::DeviceNetwork(const Context& ctx, const Architecture& arch)
    : impl_(ctx.is_cuda() ? std::make_unique<Impl>(ctx, arch) : nullptr) {
  if (!impl_) throw Error("assign: the device network needs a CUDA context");
}

DeviceNetwork::~DeviceNetwork() = default;

const float* DeviceNetwork::upload(const float* x, size_t events, size_t jets) {
  const size_t n = events * jets * 5;
  float* d = impl_->buf("input", n);
  memory::copy_to_backend(impl_->ctx, d, x, n * sizeof(float));
  return d;
}

void DeviceNetwork::forward(const float* params, const float* x, size_t events, size_t jets,
                            bool soft, const AssignLoss& loss, const Dropout& dropout,
                            std::uint64_t loss_seed, AssignTrace* trace) {
  Impl& m = *impl_;
  const Architecture& arch = m.arch;
  const AssignConfig& cfg = arch.config;
  if (jets > 31) throw Error("assign: at most 31 jet slots per event, got " + std::to_string(jets));
  if (events == 0) throw Error("assign: no events");
  const int e = cfg.embed_dim, t = cfg.categories, d = e - t + 1;
  const int J = static_cast<int>(jets);
  const size_t rows = events * jets;
  const float* p = params;
  const cudaStream_t s = m.stream;
  m.events = events;
  m.jets = jets;
  m.soft = soft;
  m.four = loss.kind == AssignLoss::Kind::four_term;
  m.x = x;
  if (m.pad.size() < rows) m.pad = Buffer<std::uint8_t>(m.ctx, rows);
  // Ones for every column sum of this batch (the jet-pair MLP's rows are the most).
  m.ones(events * (jets * jets + 4));

  // Embedding with the fixed input normalisation.
  m.bn_xhat = m.buf("bn_xhat", rows * 5);
  m.bn_out = m.buf("bn_out", rows * 5);
  dev::input_norm_forward(x, rows, p + arch.bn_mean, p + arch.bn_var, p + arch.bn_gamma,
                          p + arch.bn_beta, m.pad.data(), m.bn_xhat, m.bn_out, s);
  m.record(trace, "input_bn_out", m.bn_out, rows * 5);
  const float* emb = m.mlp_forward("embed", arch.embed, p, m.bn_out, rows, m.embed);
  float* xs = m.copy("x.0", emb, rows * e);
  m.record(trace, "embed_out_unmasked", xs, rows * e);
  m.masked(xs, rows, e);
  m.record(trace, "embed_out", xs, rows * e);

  // Pairwise bias, each event's own.
  m.pair_in = m.buf("pair_in", rows * jets * 3);
  dev::pair_features(x, events, J, m.pair_in, s);
  m.record(trace, "wij_pair_features", m.pair_in, rows * jets * 3);
  m.wij = m.mlp_forward("pair", arch.pair, p, m.pair_in, rows * jets, m.pair);
  m.record(trace, "wij_mlp_out", m.wij, rows * jets);

  m.blocks.resize(cfg.blocks);
  const std::uint64_t per_attn = events * cfg.heads * jets * (jets + 1);  // dropout counters
  for (int ib = 0; ib < cfg.blocks; ++ib) {
    BlockState& blk = m.blocks[ib];
    const std::string k = std::to_string(ib), pre = "block" + k + "_";
    const std::uint64_t base = static_cast<std::uint64_t>(ib) * 3 * per_attn;
    const float* o = m.attn_forward("obj" + k, arch.obj[ib], p, xs, xs, events, J, J, m.wij,
                                    m.pad.data(), true, dropout, base, blk.obj);
    m.record(trace, pre + "obj_attn_out", blk.obj.attn_out, rows * e);
    m.record(trace, pre + "obj_post_attn_norm", blk.obj.h, rows * e);
    m.record(trace, pre + "obj_ffwd_out", blk.obj.ffwd.y.back(), rows * e);
    m.record(trace, pre + "obj_out", o, rows * e);
    blk.x1 = m.copy("x1." + k, o, rows * e);
    m.masked(blk.x1, rows, e);
    m.record(trace, pre + "x_after_obj", blk.x1, rows * e);
    m.shifted(blk.x1, rows, e);
    m.record_columns(trace, pre + "jet_logits", blk.x1, rows, e, t);
    blk.a = m.buf("a." + k, rows * t);
    dev::jet_choice(blk.x1, rows, e, t, soft, static_cast<float>(cfg.temperature), blk.a, s);
    m.record(trace, pre + "jet_choice", blk.a, rows * t);
    blk.c = m.buf("c." + k, events * t * e);
    dev::choice_sum(blk.a, blk.x1, events, J, t, e, blk.c, s);
    m.record(trace, pre + "cand_in", blk.c, events * t * e);
    const float* cc = m.attn_forward("cand" + k, arch.cand[ib], p, blk.c, blk.c, events, t, t,
                                     nullptr, nullptr, true, dropout, base + per_attn, blk.cand);
    m.record(trace, pre + "cand_attn_out", blk.cand.attn_out, events * t * e);
    m.record(trace, pre + "cand_post_attn_norm", blk.cand.h, events * t * e);
    m.record(trace, pre + "cand_ffwd_out", blk.cand.ffwd.y.back(), events * t * e);
    m.record(trace, pre + "cand_out", cc, events * t * e);
    const float* xo =
        m.attn_forward("cross" + k, arch.cross[ib], p, blk.x1, cc, events, J, t, nullptr, nullptr,
                       false, dropout, base + 2 * per_attn, blk.cross);
    m.record(trace, pre + "cross_attn_out", blk.cross.attn_out, rows * e);
    m.record(trace, pre + "cross_post_attn_norm", blk.cross.h, rows * e);
    m.record(trace, pre + "cross_ffwd_out", blk.cross.ffwd.y.back(), rows * e);
    m.record(trace, pre + "cross_out", xo, rows * e);
    xs = m.copy("x." + std::to_string(ib + 1), xo, rows * e);
    m.masked(xs, rows, e);
    m.record(trace, pre + "x_out", xs, rows * e);
  }
  m.record(trace, "x_final", xs, rows * e);

  // Final choice, candidate four-vectors and masses.
  m.x_final = m.copy("x_final", xs, rows * e);
  m.shifted(m.x_final, rows, e);
  m.record_columns(trace, "jet_logits_final", m.x_final, rows, e, t);
  m.a_final = m.buf("a_final", rows * t);
  dev::jet_choice(m.x_final, rows, e, t, soft, static_cast<float>(cfg.temperature), m.a_final, s);
  m.record(trace, "jet_choice_final", m.a_final, rows * t);
  m.p4 = m.buf("p4", rows * 4);
  dev::feature_p4(x, rows, m.p4, s);
  m.record(trace, "jet_p4", m.p4, rows * 4);
  m.cp4 = m.buf("cp4", events * t * 4);
  dev::choice_sum(m.a_final, m.p4, events, J, t, 4, m.cp4, s);
  m.record(trace, "candidates_p4", m.cp4, events * t * 4);
  m.m2 = m.buf("m2", events * t);
  dev::regulated_mass2(m.cp4, events * t, m.m2, s);
  if (trace) {
    std::vector<float> m2(events * t);
    memory::copy_to_host(m.ctx, m2.data(), m.m2, m2.size() * sizeof(float));
    std::vector<double> mass(m2.size()), scaled(m2.size());
    for (size_t i = 0; i < m2.size(); ++i) {
      mass[i] = static_cast<double>(std::sqrt(m2[i]));
      scaled[i] = static_cast<double>(std::sqrt(m2[i]) / static_cast<float>(cfg.mass_scale));
    }
    (*trace)["cand_mass"] = mass;
    (*trace)["cand_mass_scaled"] = scaled;
  }

  // Shared autoencoder on candidates 0 and 1 (the last candidate block's output), and the loss.
  m.ae_x = m.buf("ae_x", events * 2 * d);
  dev::autoencoder_inputs(m.blocks.back().cand.out, m.m2, events, e, t,
                          static_cast<float>(cfg.mass_scale), m.ae_x, s);
  m.record(trace, "ae_input", m.ae_x, events * 2 * d);
  const float* z = m.mlp_forward("ae_in", arch.ae_in, p, m.ae_x, events * 2, m.ae_in);
  m.record(trace, "ae_latent", z, events * 2 * cfg.ae_dim);
  const float* rec = m.mlp_forward("ae_out", arch.ae_out, p, z, events * 2, m.ae_out);
  m.record(trace, "ae_recon", rec, events * 2 * d);
  if (loss.kind == AssignLoss::Kind::four_term) {
    const BlockState& last = m.blocks.back();
    m.rand_a = m.buf("rand_a", rows * t);
    dev::random_assignment(m.pad.data(), rows, t, loss_seed, m.rand_a, s);
    float* rand_c = m.buf("rand_c", events * t * e);
    dev::choice_sum(m.rand_a, last.x1, events, J, t, e, rand_c, s);
    const float* rc = m.attn_forward("rand_cand", arch.cand.back(), p, rand_c, rand_c, events, t, t,
                                     nullptr, nullptr, true, Dropout{}, 0, m.rand_cand);
    m.rand_cp4 = m.buf("rand_cp4", events * t * 4);
    dev::choice_sum(m.rand_a, m.p4, events, J, t, 4, m.rand_cp4, s);
    m.rand_m2 = m.buf("rand_m2", events * t);
    dev::regulated_mass2(m.rand_cp4, events * t, m.rand_m2, s);
    float* rand_ae_x = m.buf("rand_ae_x", events * 2 * d);
    dev::autoencoder_inputs(rc, m.rand_m2, events, e, t, static_cast<float>(cfg.mass_scale),
                            rand_ae_x, s);
    m.mlp_forward("rand_ae_in", arch.ae_in, p, rand_ae_x, events * 2, m.rand_ae_in);
  }
  m.loss_event = m.buf("loss_event", events);
  dev::event_loss(m.ae_x, rec, m.cp4, events, d, t, m.event_loss(loss), m.loss_event, s);
  m.record(trace, "loss_total", m.loss_event, events);
}

std::vector<float> DeviceNetwork::event_losses() const {
  std::vector<float> l(impl_->events);
  memory::copy_to_host(impl_->ctx, l.data(), impl_->loss_event, l.size() * sizeof(float));
  return l;
}

double DeviceNetwork::loss() const {
  double sum = 0;
  for (float l : event_losses()) sum += static_cast<double>(l);
  return impl_->events ? sum / static_cast<double>(impl_->events) : 0;
}

void DeviceNetwork::results(std::vector<float>& logits, std::vector<float>& cp4,
                            std::vector<float>& m2) const {
  const Impl& m = *impl_;
  const int e = m.arch.config.embed_dim, t = m.arch.config.categories;
  logits.resize(m.events * m.jets * t);
  m.copy_columns(m.x_final, m.events * m.jets, e, t, logits.data());
  cp4.resize(m.events * t * 4);
  memory::copy_to_host(m.ctx, cp4.data(), m.cp4, cp4.size() * sizeof(float));
  m2.resize(m.events * t);
  memory::copy_to_host(m.ctx, m2.data(), m.m2, m2.size() * sizeof(float));
}

void DeviceNetwork::backward(const float* params, const AssignLoss& loss, float* g, size_t n) {
  Impl& m = *impl_;
  const Architecture& arch = m.arch;
  const AssignConfig& cfg = arch.config;
  if (!m.soft) throw Error("assign: the backward needs the soft jet choice");
  const bool four = loss.kind == AssignLoss::Kind::four_term;
  if (four != m.four) throw Error("assign: the backward needs the forward's loss");
  const int e = cfg.embed_dim, t = cfg.categories, d = e - t + 1, zd = cfg.ae_dim;
  const int J = static_cast<int>(m.jets);
  const size_t events = m.events, rows = events * m.jets;
  const float temperature = static_cast<float>(cfg.temperature);
  const float* p = params;
  const cudaStream_t s = m.stream;
  HEPCAT_CUDA_CHECK(cudaMemsetAsync(g, 0, n * sizeof(float), s));

  // Loss -> autoencoder inputs and reconstructions -> latents -> inputs.
  float* dae = m.buf("g.ae_x", events * 2 * d);
  float* drec = m.buf("g.rec", events * 2 * d);
  float* dcp4 = m.buf("g.cp4", events * t * 4);
  float* dz = m.buf("g.z", events * 2 * zd);
  float* dzr = four ? m.buf("g.zr", events * 2 * zd) : nullptr;
  dev::event_loss_backward(m.ae_x, m.ae_out.y.back(), m.cp4, events, d, t, m.event_loss(loss), dae,
                           drec, dcp4, dz, dzr, s);
  float* dz_dec = m.buf("g.z_dec", events * 2 * zd);
  m.mlp_backward("ae_out", arch.ae_out, p, m.ae_out, events * 2, drec, g, dz_dec);
  dev::add(m.handle, dz_dec, events * 2 * zd, dz);
  float* denc = m.buf("g.enc", events * 2 * d);
  m.mlp_backward("ae_in", arch.ae_in, p, m.ae_in, events * 2, dz, g, denc);
  dev::add(m.handle, denc, events * 2 * d, dae);

  // Autoencoder inputs -> last candidate block output and the candidates' masses.
  float* dc_last = m.zeroed("g.c_last", events * t * e);
  dev::autoencoder_inputs_backward(dae, m.m2, m.cp4, events, e, t,
                                   static_cast<float>(cfg.mass_scale), dc_last, dcp4, s);

  // Final choice -> final x.
  float* dx = m.zeroed("g.x", rows * e);
  float* da = m.buf("g.a", rows * t);
  dev::choice_sum_backward(m.a_final, m.p4, dcp4, events, J, t, 4, da, nullptr, s);
  dev::soft_choice_backward(m.a_final, da, rows, e, t, temperature, dx, s);

  float* dx1_rand = nullptr;
  if (four) {
    // Random-assignment branch: latents -> encoder -> candidate block -> x1 of the last block.
    float* drand_x = m.buf("g.rand_x", events * 2 * d);
    m.mlp_backward("rand_ae_in", arch.ae_in, p, m.rand_ae_in, events * 2, dzr, g, drand_x);
    float* drc = m.zeroed("g.rand_c", events * t * e);
    dev::autoencoder_inputs_backward(drand_x, m.rand_m2, m.rand_cp4, events, e, t,
                                     static_cast<float>(cfg.mass_scale), drc, nullptr, s);
    float* drq = m.buf("g.rand_q", events * t * e);
    float* drkv = m.buf("g.rand_kv", events * t * e);
    m.attn_backward("rand_cand", arch.cand.back(), p, m.rand_cand, drc, drq, drkv, nullptr, g);
    dev::add(m.handle, drkv, events * t * e, drq);
    dx1_rand = m.zeroed("g.x1_rand", rows * e);
    dev::choice_sum_backward(m.rand_a, m.blocks.back().x1, drq, events, J, t, e,
                             m.buf("g.rand_a", rows * t), dx1_rand, s);
  }

  float* dwij = m.zeroed("g.wij", rows * m.jets);
  float* dx1 = m.buf("g.x1", rows * e);
  float* dcand = m.buf("g.cand", events * t * e);
  float* dc = m.buf("g.c", events * t * e);
  float* dckv = m.buf("g.ckv", events * t * e);
  float* dkv = m.buf("g.xkv", rows * e);
  for (int ib = cfg.blocks - 1; ib >= 0; --ib) {
    const BlockState& blk = m.blocks[ib];
    const std::string k = std::to_string(ib);
    m.masked(dx, rows, e);
    // Cross block: Q = x1, K = V = candidate block output.
    m.attn_backward("cross" + k, arch.cross[ib], p, blk.cross, dx, dx1, dcand, nullptr, g);
    if (ib == cfg.blocks - 1) {
      dev::add(m.handle, dc_last, events * t * e, dcand);
      if (dx1_rand) dev::add(m.handle, dx1_rand, rows * e, dx1);
    }
    // Candidate block: Q = K = V = c.
    m.attn_backward("cand" + k, arch.cand[ib], p, blk.cand, dcand, dc, dckv, nullptr, g);
    dev::add(m.handle, dckv, events * t * e, dc);
    // c = a^T x1 and a = softmax(x1[:T] / temperature).
    dev::choice_sum_backward(blk.a, blk.x1, dc, events, J, t, e, da, dx1, s);
    dev::soft_choice_backward(blk.a, da, rows, e, t, temperature, dx1, s);
    m.masked(dx1, rows, e);
    // Object block: Q = K = V = x, with the pairwise bias.
    m.attn_backward("obj" + k, arch.obj[ib], p, blk.obj, dx1, dx, dkv, dwij, g);
    dev::add(m.handle, dkv, rows * e, dx);
  }
  m.masked(dx, rows, e);
  float* dbn = m.buf("g.bn", rows * 5);
  m.mlp_backward("embed", arch.embed, p, m.embed, rows, dx, g, dbn);
  float* prod = m.buf("g.bn_xhat", rows * 5);
  dev::multiply(dbn, m.bn_xhat, rows * 5, prod, s);
  const float* one = m.ones(rows);
  dev::column_sums(m.handle, prod, rows, 5, 5, one, g + arch.bn_gamma);
  dev::column_sums(m.handle, dbn, rows, 5, 5, one, g + arch.bn_beta);
  m.mlp_backward("pair", arch.pair, p, m.pair, rows * m.jets, dwij, g, nullptr);
}

void DeviceNetwork::clip(float* grads, size_t n, double clip_norm) {
  if (clip_norm <= 0) return;
  dev::clip_gradient_norm(grads, n, clip_norm, impl_->clip_partial.data(), impl_->norm2.data(),
                          impl_->stream);
}

}  // namespace hepcat::assign

#endif  // HEPCAT_HAVE_CUDA
