// Per-row and per-event math of the ABC jet-assignment model (SCIENCE.md section 5; the layer by
// layer description is ../shared/fixtures/assign/README.md). Every formula the CPU loops and the
// CUDA kernels use lives here once, templated on the scalar; the loops only iterate over rows,
// events and heads. The linear layers are GEMMs and are not here.
#pragma once

#include <cmath>
#include <cstdint>

#include "hepcat/math/hd.hpp"
#include "hepcat/math/random.hpp"
#include "hepcat/math/softmax.hpp"

namespace hepcat::math {

/// Epsilon of every LayerNorm and of the input normalisation (torch's default).
constexpr double kAssignNormEps = 1e-5;
/// The published mass regulator: m^2 = (E (1 + eps))^2 - |p|^2 + eps, in GeV^2.
constexpr double kAssignMassEps = 1e-4;

// ---- inputs -------------------------------------------------------------------------------------

/// The five per-jet features [log pt, eta, cos phi, sin phi, log E] (GeV). log 0 is taken as 0, as
/// the published batcher does: a padded slot (all zero) becomes (0, 0, 1, 0, 0). The logs are
/// taken in double and the angles in the storage precision of phi, like the published code.
template <class T>
HEPCAT_HD void jet_features(float pt, float eta, float phi, double e, T* f) {
  f[0] = pt > 0 ? static_cast<T>(std::log(static_cast<double>(pt))) : T(0);
  f[1] = static_cast<T>(eta);
  f[2] = static_cast<T>(std::cos(phi));
  f[3] = static_cast<T>(std::sin(phi));
  f[4] = e > 0 ? static_cast<T>(std::log(e)) : T(0);
}

/// A slot is padding when its log pt is exactly 0 (the published rule; a jet of exactly 1 GeV
/// would count as padding too).
template <class T>
HEPCAT_HD bool is_padding(const T* features) {
  return features[0] == T(0);
}

/// Input normalisation with fixed statistics (the published BatchNorm's running statistics):
/// (x - mean) / sqrt(var + eps). The affine part is applied by the caller (gamma xhat + beta).
template <class T>
HEPCAT_HD T fixed_normalise(T x, T mean, T var) {
  return (x - mean) / std::sqrt(var + T(kAssignNormEps));
}

/// Pairwise features of query jet i and key jet j from w = (eta, cos phi, sin phi):
/// (eta_i - eta_j, cos(phi_i - phi_j), sin(phi_i - phi_j)).
template <class T>
HEPCAT_HD void pair_features(const T* wi, const T* wj, T* f) {
  f[0] = wi[0] - wj[0];
  f[1] = wi[1] * wj[1] + wi[2] * wj[2];
  f[2] = wi[2] * wj[1] - wi[1] * wj[2];
}

// ---- LayerNorm and ReLU -------------------------------------------------------------------------

/// Lanes of the sums over a row: value i goes to partial sum i % kAssignLanes (the tail to the
/// first lanes), and the lanes are added pairwise. A fixed order that vector units follow.
constexpr int kAssignLanes = 8;

/// sum_i f(i) over i in [0, n) in the lane order above.
template <class T, class F>
HEPCAT_HD T lane_sum(int n, F f) {
  T acc[kAssignLanes] = {};
  const int full = n - n % kAssignLanes;
  for (int i0 = 0; i0 < full; i0 += kAssignLanes)
    for (int l = 0; l < kAssignLanes; ++l) acc[l] += f(i0 + l);
  for (int i = full; i < n; ++i) acc[i - full] += f(i);
  for (int w = kAssignLanes / 2; w > 0; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  return acc[0];
}

/// LayerNorm of one row of n values with eps 1e-5 (biased variance, as torch). Writes the
/// normalised values xhat and returns 1/sqrt(var + eps); y = gamma xhat + beta, then ReLU when
/// `relu`. y may alias x.
template <class T>
HEPCAT_HD T layer_norm_forward(const T* x, int n, const T* gamma, const T* beta, bool relu, T* xhat,
                               T* y) {
  const T mean = lane_sum<T>(n, [&](int i) { return x[i]; }) / T(n);
  const T var = lane_sum<T>(n, [&](int i) { return (x[i] - mean) * (x[i] - mean); }) / T(n);
  const T rstd = T(1) / std::sqrt(var + T(kAssignNormEps));
  for (int i = 0; i < n; ++i) {
    const T h = (x[i] - mean) * rstd;
    xhat[i] = h;
    const T v = gamma[i] * h + beta[i];
    y[i] = (relu & (v < T(0))) ? T(0) : v;
  }
  return rstd;
}

/// Backward of layer_norm_forward for one row: dy is the gradient of the output (of the ReLU when
/// `relu`, whose mask is y > 0). Writes dx (may alias dy) and adds to dgamma and dbeta.
template <class T>
HEPCAT_HD void layer_norm_backward(const T* dy, const T* y, const T* xhat, T rstd, int n,
                                   const T* gamma, bool relu, T* dx, T* dgamma, T* dbeta) {
  // Both loads unconditional and no short-circuit, so the select vectorises.
  const auto g = [&](int i) {
    const T d = dy[i], yi = y[i];
    return (!relu | (yi > T(0))) ? d : T(0);
  };
  for (int i = 0; i < n; ++i) {
    dgamma[i] += g(i) * xhat[i];
    dbeta[i] += g(i);
  }
  const T sum_d = lane_sum<T>(n, [&](int i) { return g(i) * gamma[i]; }) / T(n);
  const T sum_dx = lane_sum<T>(n, [&](int i) { return g(i) * gamma[i] * xhat[i]; }) / T(n);
  for (int i = 0; i < n; ++i) dx[i] = rstd * (g(i) * gamma[i] - sum_d - xhat[i] * sum_dx);
}

// ---- small-set attention ------------------------------------------------------------------------

/// Keep factor of attention-weight dropout from one random word: 0 or 1/(1 - p).
template <class T>
HEPCAT_HD T dropout_keep_word(std::uint32_t word, T p) {
  const T u = uniform_open0<T>(word);
  return u > p ? T(1) / (T(1) - p) : T(0);
}

/// Keep factor of attention-weight dropout for weight `index`, from the counter-based generator
/// (word index % 4 of item index / 4), so a seed gives the same mask on every backend and thread
/// count.
template <class T>
HEPCAT_HD T dropout_keep(std::uint64_t seed, std::uint32_t stream, std::uint64_t index, T p) {
  return dropout_keep_word(random_words(seed, index / 4, stream).v[index % 4], p);
}

/// dropout_keep for the weights [begin, end), four per draw of the generator.
template <class T>
HEPCAT_HD void dropout_keep_range(std::uint64_t seed, std::uint32_t stream, std::uint64_t begin,
                                  std::uint64_t end, T p, T* keep) {
  for (std::uint64_t item = begin / 4; item * 4 < end; ++item) {
    const Philox4x32 r = random_words(seed, item, stream);
    for (int w = 0; w < 4; ++w) {
      const std::uint64_t i = item * 4 + w;
      if (i >= begin && i < end) keep[i - begin] = dropout_keep_word(r.v[w], p);
    }
  }
}

/// One query of one head of multi-head attention with a learned extra key (torch's add_bias_kv):
/// keys 0..nk-1 at k + j*stride (values at v + j*stride), then the bias key bk/bv. Logit of key j:
/// q.k_j / sqrt(dh) + bias[j] (bias may be null; the bias key gets 0), -inf where pad[j] (pad may
/// be null; the bias key is never padded). Writes the softmax weights p[0..nk] (before dropout),
/// and out = sum_j keep[j] p_j v_j (keep may be null: no dropout).
template <class T>
HEPCAT_HD void attention_row_forward(const T* q, const T* k, const T* v, int stride, int nk,
                                     const T* bk, const T* bv, int dh, const T* bias,
                                     const std::uint8_t* pad, const T* keep, T* p, T* out) {
  const T scale = T(1) / std::sqrt(T(dh));
  for (int j = 0; j <= nk; ++j) {
    const T* kj = j < nk ? k + j * stride : bk;
    T s = 0;
    for (int d = 0; d < dh; ++d) s += q[d] * kj[d];
    s *= scale;
    if (j < nk && bias) s += bias[j];
    p[j] = s;
  }
  // The bias key is never masked, so the maximum over unmasked keys is finite.
  T mx = p[nk];
  for (int j = 0; j < nk; ++j)
    if (!(pad && pad[j]) && p[j] > mx) mx = p[j];
  T sum = 0;
  for (int j = 0; j <= nk; ++j) {
    const T e = j < nk && pad && pad[j] ? T(0) : std::exp(p[j] - mx);
    p[j] = e;
    sum += e;
  }
  for (int j = 0; j <= nk; ++j) p[j] /= sum;
  for (int d = 0; d < dh; ++d) out[d] = 0;
  for (int j = 0; j <= nk; ++j) {
    const T w = keep ? p[j] * keep[j] : p[j];
    if (w == T(0)) continue;
    const T* vj = j < nk ? v + j * stride : bv;
    for (int d = 0; d < dh; ++d) out[d] += w * vj[d];
  }
}

/// Backward of attention_row_forward: from dout and the saved weights p (and keep), adds to dq,
/// dk_j, dv_j (at the same strides), dbk, dbv and dbias[j] (when not null).
template <class T>
HEPCAT_HD void attention_row_backward(const T* dout, const T* q, const T* k, const T* v, int stride,
                                      int nk, const T* bk, const T* bv, int dh, const T* p,
                                      const T* keep, T* dq, T* dk, T* dv, T* dbk, T* dbv,
                                      T* dbias) {
  const T scale = T(1) / std::sqrt(T(dh));
  // dP_j = keep_j dout.v_j; dS_j = p_j (dP_j - sum_l p_l dP_l).
  T dp[32];
  T dot = 0;
  for (int j = 0; j <= nk; ++j) {
    const T* vj = j < nk ? v + j * stride : bv;
    T s = 0;
    for (int d = 0; d < dh; ++d) s += dout[d] * vj[d];
    if (keep) s *= keep[j];
    dp[j] = s;
    dot += p[j] * s;
  }
  for (int j = 0; j <= nk; ++j) {
    const T w = keep ? p[j] * keep[j] : p[j];
    T* dvj = j < nk ? dv + j * stride : dbv;
    if (w != T(0))
      for (int d = 0; d < dh; ++d) dvj[d] += w * dout[d];
    const T ds = p[j] * (dp[j] - dot);
    if (ds == T(0)) continue;
    if (j < nk && dbias) dbias[j] += ds;
    const T* kj = j < nk ? k + j * stride : bk;
    T* dkj = j < nk ? dk + j * stride : dbk;
    for (int d = 0; d < dh; ++d) {
      dq[d] += scale * ds * kj[d];
      dkj[d] += scale * ds * q[d];
    }
  }
}

// ---- jet choice, candidates, masses -------------------------------------------------------------

/// Soft jet choice of one jet: softmax(logits / temperature) over the n categories.
template <class T>
HEPCAT_HD void soft_choice(const T* logits, int n, T temperature, T* a) {
  T mx = logits[0];
  for (int t = 1; t < n; ++t) mx = logits[t] > mx ? logits[t] : mx;
  T sum = 0;
  for (int t = 0; t < n; ++t) {
    a[t] = std::exp((logits[t] - mx) / temperature);
    sum += a[t];
  }
  for (int t = 0; t < n; ++t) a[t] /= sum;
}

/// Backward of soft_choice: dlogits += a (da - a.da) / temperature.
template <class T>
HEPCAT_HD void soft_choice_backward(const T* a, const T* da, int n, T temperature, T* dlogits) {
  T dot = 0;
  for (int t = 0; t < n; ++t) dot += a[t] * da[t];
  for (int t = 0; t < n; ++t) dlogits[t] += a[t] * (da[t] - dot) / temperature;
}

/// Jet four-vector (E, px, py, pz) in GeV from the model input features; pt or E equal to exactly
/// 1 (log 0, padding) become 0, as in the published code.
template <class T>
HEPCAT_HD void feature_p4(const T* f, T* p4) {
  T pt = std::exp(f[0]);
  if (pt == T(1)) pt = 0;
  T e = std::exp(f[4]);
  if (e == T(1)) e = 0;
  p4[0] = e;
  p4[1] = pt * f[2];
  p4[2] = pt * f[3];
  p4[3] = pt * std::sinh(f[1]);
}

/// The published regulated squared mass (E (1 + eps))^2 - px^2 - py^2 - pz^2 + eps.
template <class T>
HEPCAT_HD T regulated_mass2(const T* p4) {
  const T e = p4[0] * T(1 + kAssignMassEps);
  return e * e - p4[1] * p4[1] - p4[2] * p4[2] - p4[3] * p4[3] + T(kAssignMassEps);
}

/// Adds d(m2)/d(p4) * dm2 to dp4.
template <class T>
HEPCAT_HD void regulated_mass2_backward(const T* p4, T dm2, T* dp4) {
  const T f = T(1 + kAssignMassEps);
  dp4[0] += dm2 * T(2) * p4[0] * f * f;
  dp4[1] -= dm2 * T(2) * p4[1];
  dp4[2] -= dm2 * T(2) * p4[2];
  dp4[3] -= dm2 * T(2) * p4[3];
}

/// Transverse energy of the ISR candidate as the published T = 3 loss has it:
/// sqrt(px^2 + py^2 + m2) with the regulated m2.
template <class T>
HEPCAT_HD T isr_transverse_energy(const T* p4) {
  return std::sqrt(p4[1] * p4[1] + p4[2] * p4[2] + regulated_mass2(p4));
}

template <class T>
HEPCAT_HD void isr_transverse_energy_backward(const T* p4, T d, T* dp4) {
  const T et = isr_transverse_energy(p4);
  const T g = d / (T(2) * et);
  dp4[1] += g * T(2) * p4[1];
  dp4[2] += g * T(2) * p4[2];
  regulated_mass2_backward(p4, g, dp4);
}

// ---- autoencoder input --------------------------------------------------------------------------

/// The autoencoder's input of one candidate (e - t + 1 values): its embedding c without the t
/// score channels, then its mass sqrt(m2) / mass_scale.
template <class T>
HEPCAT_HD void autoencoder_input(const T* c, T m2, int e, int t, T mass_scale, T* out) {
  for (int i = 0; i < e - t; ++i) out[i] = c[t + i];
  out[e - t] = std::sqrt(m2) / mass_scale;
}

/// Backward of autoencoder_input: adds the gradient of the embedding channels to dc and returns
/// the gradient of m2.
template <class T>
HEPCAT_HD T autoencoder_input_backward(const T* dout, T m2, int e, int t, T mass_scale, T* dc) {
  for (int i = 0; i < e - t; ++i) dc[t + i] += dout[i];
  return dout[e - t] / mass_scale / (T(2) * std::sqrt(m2));
}

// ---- losses -------------------------------------------------------------------------------------

/// mean_d (a_d - b_d)^2 over n values.
template <class T>
HEPCAT_HD T mse(const T* a, const T* b, int n) {
  T s = 0;
  for (int d = 0; d < n; ++d) s += (a[d] - b[d]) * (a[d] - b[d]);
  return s / T(n);
}

/// Adds w * d mse(a, b) / da to da and to db its opposite.
template <class T>
HEPCAT_HD void mse_backward(const T* a, const T* b, int n, T w, T* da, T* db) {
  for (int d = 0; d < n; ++d) {
    const T g = w * T(2) * (a[d] - b[d]) / T(n);
    if (da) da[d] += g;
    if (db) db[d] -= g;
  }
}

/// Euclidean distance |a - b| over n values.
template <class T>
HEPCAT_HD T distance(const T* a, const T* b, int n) {
  T s = 0;
  for (int d = 0; d < n; ++d) s += (a[d] - b[d]) * (a[d] - b[d]);
  return std::sqrt(s);
}

/// Adds w * d|a - b|/da to da and its opposite to db (0 at a = b).
template <class T>
HEPCAT_HD void distance_backward(const T* a, const T* b, int n, T w, T* da, T* db) {
  const T r = distance(a, b, n);
  if (r == T(0)) return;
  for (int d = 0; d < n; ++d) {
    const T g = w * (a[d] - b[d]) / r;
    da[d] += g;
    db[d] -= g;
  }
}

/// The published loss of one event from the autoencoder inputs a0, a1 of its two candidates and
/// their reconstructions r0, r1 (n values each): w_recon (mse(a0, r0) + mse(a1, r1)) +
/// w_crossed (mse(a0, r1) + mse(a1, r0)).
template <class T>
HEPCAT_HD T pair_reconstruction_loss(const T* a0, const T* a1, const T* r0, const T* r1, int n,
                                     T w_recon, T w_crossed) {
  return w_recon * (mse(a0, r0, n) + mse(a1, r1, n)) +
         w_crossed * (mse(a0, r1, n) + mse(a1, r0, n));
}

/// Adds the gradients of pair_reconstruction_loss (times the weights given) to da0, da1, dr0, dr1.
template <class T>
HEPCAT_HD void pair_reconstruction_loss_backward(const T* a0, const T* a1, const T* r0, const T* r1,
                                                 int n, T w_recon, T w_crossed, T* da0, T* da1,
                                                 T* dr0, T* dr1) {
  mse_backward(a0, r0, n, w_recon, da0, dr0);
  mse_backward(a1, r1, n, w_recon, da1, dr1);
  if (w_crossed != T(0)) {
    mse_backward(a0, r1, n, w_crossed, da0, dr1);
    mse_backward(a1, r0, n, w_crossed, da1, dr0);
  }
}

/// The four-term loss's latent terms of one event, from the latents z0, z1 of its two candidates
/// and zr0, zr1 of a random assignment's (n values each): w_latent |z0 - z1|^2 +
/// w_hinge max(0, margin + |z0 - z1| - |zr0 - zr1|).
template <class T>
HEPCAT_HD T latent_hinge_loss(const T* z0, const T* z1, const T* zr0, const T* zr1, int n,
                              T w_latent, T w_hinge, T margin) {
  const T dist = distance(z0, z1, n);
  const T hinge = margin + dist - distance(zr0, zr1, n);
  return w_latent * dist * dist + (hinge > T(0) ? w_hinge * hinge : T(0));
}

/// Adds the gradients of latent_hinge_loss (its weights already scaled as wanted) to dz0, dz1,
/// dzr0, dzr1.
template <class T>
HEPCAT_HD void latent_hinge_loss_backward(const T* z0, const T* z1, const T* zr0, const T* zr1,
                                          int n, T w_latent, T w_hinge, T margin, T* dz0, T* dz1,
                                          T* dzr0, T* dzr1) {
  // |z0 - z1|^2 = n mse(z0, z1).
  mse_backward(z0, z1, n, w_latent * T(n), dz0, dz1);
  if (margin + distance(z0, z1, n) - distance(zr0, zr1, n) > T(0)) {
    distance_backward(z0, z1, n, w_hinge, dz0, dz1);
    distance_backward(zr0, zr1, n, -w_hinge, dzr0, dzr1);
  }
}

/// The random assignment of the four-term loss for slot `row`: a uniformly random category in
/// [0, t), from the counter-based generator.
HEPCAT_HD int random_category(std::uint64_t seed, std::uint64_t row, int t) {
  const Philox4x32 w = random_words(seed, row, 0x5eed0001u);
  return static_cast<int>(w.v[0] % static_cast<std::uint32_t>(t));
}

}  // namespace hepcat::math
