// The ABC model's device passes: cuBLAS GEMMs for the linear layers and thin grid-stride kernels
// over the shared math of include/hepcat/math/assign.hpp (one thread per row, query, event or
// (event, head)); see kernels/assign.hpp. No kernel adds to memory another thread writes.
#include <algorithm>

#include "hepcat/math/assign.hpp"
#include "kernels/assign.hpp"
#include "kernels/chunk_sums.cuh"
#include "kernels/cuda_check.hpp"
#include "kernels/grid.cuh"

namespace hepcat::cuda::assign {
namespace {

constexpr int kThreads = 256;

__global__ void fill_kernel(float* x, std::size_t n, float v) {
  grid_stride(n, [&](std::size_t i) { x[i] = v; });
}

__global__ void bias_rows_kernel(const float* __restrict__ b, std::size_t rows, int out,
                                 float* __restrict__ y) {
  grid_stride(rows * out, [&](std::size_t i) { y[i] = b[i % out]; });
}

__global__ void input_norm_kernel(const float* __restrict__ x, std::size_t rows,
                                  const float* __restrict__ mean, const float* __restrict__ var,
                                  const float* __restrict__ gamma, const float* __restrict__ beta,
                                  std::uint8_t* __restrict__ pad, float* __restrict__ xhat,
                                  float* __restrict__ out) {
  grid_stride(rows, [&](std::size_t r) {
    pad[r] = math::is_padding(x + 5 * r) ? 1 : 0;
    for (int f = 0; f < 5; ++f) {
      const float h = math::fixed_normalise(x[5 * r + f], mean[f], var[f]);
      xhat[5 * r + f] = h;
      out[5 * r + f] = h * gamma[f] + beta[f];
    }
  });
}

__global__ void multiply_kernel(const float* a, const float* b, std::size_t n, float* prod) {
  grid_stride(n, [&](std::size_t i) { prod[i] = a[i] * b[i]; });
}

__global__ void layer_norm_forward_kernel(const float* __restrict__ gamma,
                                          const float* __restrict__ beta, bool relu, int n,
                                          std::size_t rows, float* __restrict__ y,
                                          float* __restrict__ xhat, float* __restrict__ rstd) {
  grid_stride(rows, [&](std::size_t r) {
    rstd[r] = math::layer_norm_forward(y + r * n, n, gamma, beta, relu, xhat + r * n, y + r * n);
  });
}

__global__ void layer_norm_backward_kernel(const float* __restrict__ gamma, bool relu, int n,
                                           std::size_t rows, const float* __restrict__ y,
                                           const float* __restrict__ xhat,
                                           const float* __restrict__ rstd, float* dy,
                                           float* __restrict__ partial) {
  grid_stride(rows, [&](std::size_t r) {
    float* pg = partial + r * 2 * n;
    for (int i = 0; i < 2 * n; ++i) pg[i] = 0.0f;
    math::layer_norm_backward(dy + r * n, y + r * n, xhat + r * n, rstd[r], n, gamma, relu,
                              dy + r * n, pg, pg + n);
  });
}

__global__ void mask_rows_kernel(const std::uint8_t* __restrict__ pad, std::size_t rows, int e,
                                 float* __restrict__ x) {
  grid_stride(rows * e, [&](std::size_t i) {
    if (pad[i / e]) x[i] = 0.0f;
  });
}

__global__ void shift_isr_kernel(std::size_t rows, int e, float* x) {
  grid_stride(rows, [&](std::size_t r) { x[r * e + 2] -= 1.0f; });
}

__global__ void pair_features_kernel(const float* __restrict__ x, std::size_t events, int jets,
                                     float* __restrict__ pair) {
  const std::size_t jj = static_cast<std::size_t>(jets) * jets;
  grid_stride(events * jj, [&](std::size_t k) {
    const std::size_t b = k / jj;
    const int i = static_cast<int>(k % jj) / jets, j = static_cast<int>(k % jj) % jets;
    math::pair_features(x + (b * jets + i) * 5 + 1, x + (b * jets + j) * 5 + 1, pair + 3 * k);
  });
}

__global__ void attention_forward_kernel(AttentionShape s, const float* __restrict__ q,
                                         const float* __restrict__ kv, const float* __restrict__ bk,
                                         const float* __restrict__ bv,
                                         const float* __restrict__ bias,
                                         const std::uint8_t* __restrict__ pad,
                                         AttentionDropout dropout, float* __restrict__ keep,
                                         float* __restrict__ probs, float* __restrict__ heads) {
  const int e = s.heads * s.dh, row = s.lk + 1;
  grid_stride(s.events * s.heads * s.lq, [&](std::size_t k) {
    // k = (b * heads + h) * lq + i, as the CPU loop numbers its rows (and dropout counters).
    const int i = static_cast<int>(k % s.lq);
    const int h = static_cast<int>((k / s.lq) % s.heads);
    const std::size_t b = k / (static_cast<std::size_t>(s.lq) * s.heads);
    const std::size_t pi = k * row;
    float* kp = nullptr;
    if (dropout.on) {
      kp = keep + pi;
      math::dropout_keep_range(dropout.seed, dropout.stream, dropout.base + pi,
                               dropout.base + pi + row, dropout.p, kp);
    }
    const float* kb = kv + (b * s.lk) * 2 * e + h * s.dh;
    math::attention_row_forward(
        q + (b * s.lq + i) * e + h * s.dh, kb, kb + e, 2 * e, s.lk, bk + h * s.dh, bv + h * s.dh,
        s.dh, bias ? bias + (b * s.lq + i) * s.lk : nullptr, pad ? pad + b * s.lk : nullptr, kp,
        probs + pi, heads + (b * s.lq + i) * e + h * s.dh);
  });
}

// One thread owns event b's head h: its query rows, its channels of every key and value, of the
// bias key and value and its slice of the per-head bias gradient, so the additions of
// attention_row_backward never meet another thread's.
__global__ void attention_backward_kernel(
    AttentionShape s, const float* __restrict__ dheads, const float* __restrict__ q,
    const float* __restrict__ kv, const float* __restrict__ bk, const float* __restrict__ bv,
    const float* __restrict__ probs, const float* __restrict__ keep, float* __restrict__ dq,
    float* __restrict__ dkv, float* __restrict__ dbkv, float* __restrict__ dbias_heads) {
  const int e = s.heads * s.dh, row = s.lk + 1;
  grid_stride(s.events * s.heads, [&](std::size_t k) {
    const int h = static_cast<int>(k % s.heads);
    const std::size_t b = k / s.heads;
    const std::size_t kb = (b * s.lk) * 2 * e + h * s.dh;
    for (int j = 0; j < s.lk; ++j)
      for (int d = 0; d < s.dh; ++d) {
        dkv[kb + j * 2 * e + d] = 0.0f;
        dkv[kb + j * 2 * e + e + d] = 0.0f;
      }
    float* dbk = dbkv + b * 2 * e + h * s.dh;
    float* dbv = dbk + e;
    for (int d = 0; d < s.dh; ++d) dbk[d] = dbv[d] = 0.0f;
    for (int i = 0; i < s.lq; ++i) {
      const std::size_t qi = (b * s.lq + i) * e + h * s.dh;
      const std::size_t pi = (k * s.lq + i) * row;
      for (int d = 0; d < s.dh; ++d) dq[qi + d] = 0.0f;
      float* db = nullptr;
      if (dbias_heads) {
        db = dbias_heads + (k * s.lq + i) * s.lk;
        for (int j = 0; j < s.lk; ++j) db[j] = 0.0f;
      }
      math::attention_row_backward(dheads + qi, q + qi, kv + kb, kv + kb + e, 2 * e, s.lk,
                                   bk + h * s.dh, bv + h * s.dh, s.dh, probs + pi,
                                   keep ? keep + pi : nullptr, dq + qi, dkv + kb, dkv + kb + e, dbk,
                                   dbv, db);
    }
  });
}

__global__ void sum_heads_kernel(const float* __restrict__ dbias_heads, std::size_t events,
                                 int heads, int width, float* __restrict__ dbias) {
  grid_stride(events * width, [&](std::size_t k) {
    const std::size_t b = k / width, c = k % width;
    float s = 0.0f;
    for (int h = 0; h < heads; ++h) s += dbias_heads[(b * heads + h) * width + c];
    dbias[k] += s;
  });
}

__global__ void jet_choice_kernel(const float* __restrict__ x, std::size_t rows, int e, int t,
                                  bool soft, float temperature, float* __restrict__ a) {
  grid_stride(rows, [&](std::size_t r) {
    if (soft) {
      math::soft_choice(x + r * e, t, temperature, a + r * t);
    } else {
      const int best = math::argmax(x + r * e, t);
      for (int k = 0; k < t; ++k) a[r * t + k] = k == best ? 1.0f : 0.0f;
    }
  });
}

__global__ void soft_choice_backward_kernel(const float* __restrict__ a,
                                            const float* __restrict__ da, std::size_t rows, int e,
                                            int t, float temperature, float* __restrict__ dx) {
  grid_stride(rows, [&](std::size_t r) {
    math::soft_choice_backward(a + r * t, da + r * t, t, temperature, dx + r * e);
  });
}

__global__ void choice_sum_kernel(const float* __restrict__ a, const float* __restrict__ v,
                                  std::size_t events, int jets, int t, int w,
                                  float* __restrict__ out) {
  grid_stride(events * t * w, [&](std::size_t k) {
    const std::size_t b = k / (static_cast<std::size_t>(t) * w);
    const int c = static_cast<int>(k % (static_cast<std::size_t>(t) * w));
    const int cat = c / w, d = c % w;
    float s = 0.0f;
    for (int j = 0; j < jets; ++j) {
      const float wj = a[(b * jets + j) * t + cat];
      if (wj != 0.0f) s += wj * v[(b * jets + j) * w + d];
    }
    out[k] = s;
  });
}

__global__ void choice_sum_backward_kernel(const float* __restrict__ a, const float* __restrict__ v,
                                           const float* __restrict__ dout, std::size_t events,
                                           int jets, int t, int w, float* __restrict__ da,
                                           float* __restrict__ dv) {
  grid_stride(events * jets, [&](std::size_t r) {
    const std::size_t b = r / jets;
    const float* vj = v + r * w;
    for (int k = 0; k < t; ++k) {
      const float* dk = dout + (b * t + k) * w;
      float s = 0.0f;
      for (int d = 0; d < w; ++d) s += vj[d] * dk[d];
      da[r * t + k] = s;
    }
    if (dv)
      for (int k = 0; k < t; ++k) {
        const float ak = a[r * t + k];
        const float* dk = dout + (b * t + k) * w;
        for (int d = 0; d < w; ++d) dv[r * w + d] += ak * dk[d];
      }
  });
}

__global__ void feature_p4_kernel(const float* __restrict__ x, std::size_t rows,
                                  float* __restrict__ p4) {
  grid_stride(rows, [&](std::size_t r) { math::feature_p4(x + 5 * r, p4 + 4 * r); });
}

__global__ void regulated_mass2_kernel(const float* __restrict__ p4, std::size_t n,
                                       float* __restrict__ m2) {
  grid_stride(n, [&](std::size_t i) { m2[i] = math::regulated_mass2(p4 + 4 * i); });
}

__global__ void autoencoder_inputs_kernel(const float* __restrict__ c, const float* __restrict__ m2,
                                          std::size_t events, int e, int t, float mass_scale,
                                          float* __restrict__ ae) {
  const int d = e - t + 1;
  grid_stride(events * 2, [&](std::size_t k) {
    const std::size_t b = k / 2, cand = b * t + k % 2;
    math::autoencoder_input(c + cand * e, m2[cand], e, t, mass_scale, ae + k * d);
  });
}

__global__ void event_loss_kernel(const float* __restrict__ ae, const float* __restrict__ rec,
                                  const float* __restrict__ cp4, std::size_t events, int d, int t,
                                  EventLoss w, float* __restrict__ loss) {
  grid_stride(events, [&](std::size_t b) {
    const float* a0 = ae + b * 2 * d;
    const float* r0 = rec + b * 2 * d;
    float l = math::pair_reconstruction_loss(a0, a0 + d, r0, r0 + d, d, w.recon, w.crossed);
    if (w.latent_hinge) {
      const float* z0 = w.z + b * 2 * w.zd;
      const float* zr0 = w.zr + b * 2 * w.zd;
      l += math::latent_hinge_loss(z0, z0 + w.zd, zr0, zr0 + w.zd, w.zd, w.latent, w.hinge,
                                   w.margin);
    }
    if (t == 3) l += w.isr * math::isr_transverse_energy(cp4 + (b * t + 2) * 4);
    loss[b] = l;
  });
}

__global__ void event_loss_backward_kernel(const float* __restrict__ ae,
                                           const float* __restrict__ rec,
                                           const float* __restrict__ cp4, std::size_t events, int d,
                                           int t, EventLoss w, float inv_b, float* __restrict__ dae,
                                           float* __restrict__ drec, float* __restrict__ dcp4,
                                           float* __restrict__ dz, float* __restrict__ dzr) {
  grid_stride(events, [&](std::size_t b) {
    const float* a0 = ae + b * 2 * d;
    const float* r0 = rec + b * 2 * d;
    float* da0 = dae + b * 2 * d;
    float* dr0 = drec + b * 2 * d;
    for (int i = 0; i < 2 * d; ++i) da0[i] = dr0[i] = 0.0f;
    float* dc = dcp4 + b * t * 4;
    for (int i = 0; i < t * 4; ++i) dc[i] = 0.0f;
    float* dz0 = dz + b * 2 * w.zd;
    for (int i = 0; i < 2 * w.zd; ++i) dz0[i] = 0.0f;
    math::pair_reconstruction_loss_backward(a0, a0 + d, r0, r0 + d, d, w.recon * inv_b,
                                            w.crossed * inv_b, da0, da0 + d, dr0, dr0 + d);
    if (w.latent_hinge) {
      const float* z0 = w.z + b * 2 * w.zd;
      const float* zr0 = w.zr + b * 2 * w.zd;
      float* dzr0 = dzr + b * 2 * w.zd;
      for (int i = 0; i < 2 * w.zd; ++i) dzr0[i] = 0.0f;
      math::latent_hinge_loss_backward(z0, z0 + w.zd, zr0, zr0 + w.zd, w.zd, w.latent * inv_b,
                                       w.hinge * inv_b, w.margin, dz0, dz0 + w.zd, dzr0,
                                       dzr0 + w.zd);
    }
    if (t == 3)
      math::isr_transverse_energy_backward(cp4 + (b * t + 2) * 4, w.isr * inv_b, dc + 2 * 4);
  });
}

__global__ void random_assignment_kernel(const std::uint8_t* __restrict__ pad, std::size_t rows,
                                         int t, std::uint64_t seed, float* __restrict__ a) {
  grid_stride(rows, [&](std::size_t r) {
    const int k = pad[r] ? -1 : math::random_category(seed, r, t);
    for (int c = 0; c < t; ++c) a[r * t + c] = c == k ? 1.0f : 0.0f;
  });
}

__global__ void autoencoder_inputs_backward_kernel(const float* __restrict__ dae,
                                                   const float* __restrict__ m2,
                                                   const float* __restrict__ cp4,
                                                   std::size_t events, int e, int t,
                                                   float mass_scale, float* __restrict__ dc,
                                                   float* __restrict__ dcp4) {
  const int d = e - t + 1;
  grid_stride(events * 2, [&](std::size_t k) {
    const std::size_t b = k / 2, cand = b * t + k % 2;
    const float dm2 =
        math::autoencoder_input_backward(dae + k * d, m2[cand], e, t, mass_scale, dc + cand * e);
    if (dcp4) math::regulated_mass2_backward(cp4 + cand * 4, dm2, dcp4 + cand * 4);
  });
}

// Per-block sums of squares in double, each block's threads reduced in a fixed tree. The number
// of blocks depends on n alone (clip_partials), never on the device, so the norm has the same
// bytes on every GPU.
__global__ void square_partials_kernel(const float* __restrict__ g, std::size_t n,
                                       double* __restrict__ partial) {
  __shared__ double s[kThreads];
  double v = 0.0;
  grid_stride(n, [&](std::size_t i) { v += static_cast<double>(g[i]) * g[i]; });
  s[threadIdx.x] = v;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w /= 2) {
    if (static_cast<int>(threadIdx.x) < w) s[threadIdx.x] += s[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = s[0];
}

__global__ void clip_kernel(float* __restrict__ g, std::size_t n, double clip,
                            const double* __restrict__ norm2) {
  const double coef = clip / (sqrt(*norm2) + 1e-6);
  if (coef >= 1) return;
  grid_stride(n, [&](std::size_t i) { g[i] = static_cast<float>(g[i] * coef); });
}

}  // namespace

// ---- cuBLAS -------------------------------------------------------------------------------------
// Row-major [rows][width] arrays are column-major [width][rows] ones to cuBLAS.

void linear_forward(cublasHandle_t handle, const float* w, const float* b, int in, int out,
                    const float* x, std::size_t rows, float* y, cudaStream_t stream) {
  if (rows == 0) return;
  // y starts as the bias in every row, then y^T += W x^T.
  bias_rows_kernel<<<grid_blocks_for_items(bias_rows_kernel, rows * out, kThreads), kThreads, 0,
                     stream>>>(b, rows, out, y);
  HEPCAT_LAUNCH_CHECK(stream, "bias_rows_kernel");
  const float one = 1.0f;
  HEPCAT_CUDA_CHECK(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, out, static_cast<int>(rows), in,
                                &one, w, in, x, in, &one, y, out));
}

void linear_backward(cublasHandle_t handle, const float* w, int in, int out, const float* x,
                     const float* dy, std::size_t rows, const float* ones, float* dw, float* db,
                     float* dx) {
  if (rows == 0) return;
  const float one = 1.0f, zero = 0.0f;
  const int n = static_cast<int>(rows);
  // dW^T [in][out] += x^T dy: column-major dW_cm (in x out) = x_cm (in x rows) dy_cm^T.
  HEPCAT_CUDA_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_T, in, out, n, &one, x, in, dy, out,
                                &one, dw, in));
  HEPCAT_CUDA_CHECK(cublasSgemv(handle, CUBLAS_OP_N, out, n, &one, dy, out, ones, 1, &one, db, 1));
  if (dx)
    HEPCAT_CUDA_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, in, n, out, &one, w, in, dy,
                                  out, &zero, dx, in));
}

void column_sums(cublasHandle_t handle, const float* m, std::size_t rows, int cols, int ld,
                 const float* ones, float* out) {
  if (rows == 0) return;
  const float one = 1.0f;
  HEPCAT_CUDA_CHECK(cublasSgemv(handle, CUBLAS_OP_N, cols, static_cast<int>(rows), &one, m, ld,
                                ones, 1, &one, out, 1));
}

void add(cublasHandle_t handle, const float* a, std::size_t n, float* y) {
  if (n == 0) return;
  const float one = 1.0f;
  HEPCAT_CUDA_CHECK(cublasSaxpy(handle, static_cast<int>(n), &one, a, 1, y, 1));
}

// ---- launchers ----------------------------------------------------------------------------------

#define HEPCAT_LAUNCH(kernel, n, stream, ...)                                                     \
  do {                                                                                            \
    if ((n) == 0) break;                                                                          \
    kernel<<<grid_blocks_for_items(kernel, (n), kThreads), kThreads, 0, (stream)>>>(__VA_ARGS__); \
    HEPCAT_LAUNCH_CHECK((stream), #kernel);                                                       \
  } while (0)

void fill(float* x, std::size_t n, float value, cudaStream_t stream) {
  HEPCAT_LAUNCH(fill_kernel, n, stream, x, n, value);
}

void input_norm_forward(const float* x, std::size_t rows, const float* mean, const float* var,
                        const float* gamma, const float* beta, std::uint8_t* pad, float* xhat,
                        float* out, cudaStream_t stream) {
  HEPCAT_LAUNCH(input_norm_kernel, rows, stream, x, rows, mean, var, gamma, beta, pad, xhat, out);
}

void multiply(const float* a, const float* b, std::size_t n, float* prod, cudaStream_t stream) {
  HEPCAT_LAUNCH(multiply_kernel, n, stream, a, b, n, prod);
}

void layer_norm_forward(const float* gamma, const float* beta, bool relu, int n, std::size_t rows,
                        float* y, float* xhat, float* rstd, cudaStream_t stream) {
  HEPCAT_LAUNCH(layer_norm_forward_kernel, rows, stream, gamma, beta, relu, n, rows, y, xhat, rstd);
}

void layer_norm_backward(const float* gamma, bool relu, int n, std::size_t rows, const float* y,
                         const float* xhat, const float* rstd, float* dy, float* partial,
                         cudaStream_t stream) {
  HEPCAT_LAUNCH(layer_norm_backward_kernel, rows, stream, gamma, relu, n, rows, y, xhat, rstd, dy,
                partial);
}

void mask_rows(const std::uint8_t* pad, std::size_t rows, int e, float* x, cudaStream_t stream) {
  HEPCAT_LAUNCH(mask_rows_kernel, rows * e, stream, pad, rows, e, x);
}

void shift_isr(std::size_t rows, int e, float* x, cudaStream_t stream) {
  HEPCAT_LAUNCH(shift_isr_kernel, rows, stream, rows, e, x);
}

void pair_features(const float* x, std::size_t events, int jets, float* pair, cudaStream_t stream) {
  HEPCAT_LAUNCH(pair_features_kernel, events * jets * jets, stream, x, events, jets, pair);
}

void attention_forward(const AttentionShape& s, const float* q, const float* kv, const float* bk,
                       const float* bv, const float* bias, const std::uint8_t* pad,
                       const AttentionDropout& dropout, float* keep, float* probs, float* heads,
                       cudaStream_t stream) {
  HEPCAT_LAUNCH(attention_forward_kernel, s.events * s.heads * s.lq, stream, s, q, kv, bk, bv, bias,
                pad, dropout, keep, probs, heads);
}

void attention_backward(const AttentionShape& s, const float* dheads, const float* q,
                        const float* kv, const float* bk, const float* bv, const float* probs,
                        const float* keep, float* dq, float* dkv, float* dbkv, float* dbias_heads,
                        cudaStream_t stream) {
  HEPCAT_LAUNCH(attention_backward_kernel, s.events * s.heads, stream, s, dheads, q, kv, bk, bv,
                probs, keep, dq, dkv, dbkv, dbias_heads);
}

void sum_heads(const float* dbias_heads, std::size_t events, int heads, int width, float* dbias,
               cudaStream_t stream) {
  HEPCAT_LAUNCH(sum_heads_kernel, events * width, stream, dbias_heads, events, heads, width, dbias);
}

void jet_choice(const float* x, std::size_t rows, int e, int t, bool soft, float temperature,
                float* a, cudaStream_t stream) {
  HEPCAT_LAUNCH(jet_choice_kernel, rows, stream, x, rows, e, t, soft, temperature, a);
}

void soft_choice_backward(const float* a, const float* da, std::size_t rows, int e, int t,
                          float temperature, float* dx, cudaStream_t stream) {
  HEPCAT_LAUNCH(soft_choice_backward_kernel, rows, stream, a, da, rows, e, t, temperature, dx);
}

void choice_sum(const float* a, const float* v, std::size_t events, int jets, int t, int w,
                float* out, cudaStream_t stream) {
  HEPCAT_LAUNCH(choice_sum_kernel, events * t * w, stream, a, v, events, jets, t, w, out);
}

void choice_sum_backward(const float* a, const float* v, const float* dout, std::size_t events,
                         int jets, int t, int w, float* da, float* dv, cudaStream_t stream) {
  HEPCAT_LAUNCH(choice_sum_backward_kernel, events * jets, stream, a, v, dout, events, jets, t, w,
                da, dv);
}

void feature_p4(const float* x, std::size_t rows, float* p4, cudaStream_t stream) {
  HEPCAT_LAUNCH(feature_p4_kernel, rows, stream, x, rows, p4);
}

void regulated_mass2(const float* p4, std::size_t n, float* m2, cudaStream_t stream) {
  HEPCAT_LAUNCH(regulated_mass2_kernel, n, stream, p4, n, m2);
}

void autoencoder_inputs(const float* c, const float* m2, std::size_t events, int e, int t,
                        float mass_scale, float* ae, cudaStream_t stream) {
  HEPCAT_LAUNCH(autoencoder_inputs_kernel, events * 2, stream, c, m2, events, e, t, mass_scale, ae);
}

void event_loss(const float* ae, const float* rec, const float* cp4, std::size_t events, int d,
                int t, const EventLoss& w, float* loss, cudaStream_t stream) {
  HEPCAT_LAUNCH(event_loss_kernel, events, stream, ae, rec, cp4, events, d, t, w, loss);
}

void event_loss_backward(const float* ae, const float* rec, const float* cp4, std::size_t events,
                         int d, int t, const EventLoss& w, float* dae, float* drec, float* dcp4,
                         float* dz, float* dzr, cudaStream_t stream) {
  const float inv_b = 1.0f / static_cast<float>(events);
  HEPCAT_LAUNCH(event_loss_backward_kernel, events, stream, ae, rec, cp4, events, d, t, w, inv_b,
                dae, drec, dcp4, dz, dzr);
}

void random_assignment(const std::uint8_t* pad, std::size_t rows, int t, std::uint64_t seed,
                       float* a, cudaStream_t stream) {
  HEPCAT_LAUNCH(random_assignment_kernel, rows, stream, pad, rows, t, seed, a);
}

void autoencoder_inputs_backward(const float* dae, const float* m2, const float* cp4,
                                 std::size_t events, int e, int t, float mass_scale, float* dc,
                                 float* dcp4, cudaStream_t stream) {
  HEPCAT_LAUNCH(autoencoder_inputs_backward_kernel, events * 2, stream, dae, m2, cp4, events, e, t,
                mass_scale, dc, dcp4);
}

int clip_partials(std::size_t n) {
  return static_cast<int>(std::max<std::size_t>(
      1, std::min<std::size_t>(kClipPartials, (n + kThreads - 1) / kThreads)));
}

void clip_gradient_norm(float* g, std::size_t n, double clip, double* partial, double* norm2,
                        cudaStream_t stream) {
  if (n == 0) return;
  const int blocks = clip_partials(n);
  square_partials_kernel<<<blocks, kThreads, 0, stream>>>(g, n, partial);
  HEPCAT_LAUNCH_CHECK(stream, "square_partials_kernel");
  launch_sum_chunk_partials(partial, static_cast<std::size_t>(blocks), 1, norm2, stream);
  clip_kernel<<<grid_blocks_for_items(clip_kernel, n, kThreads), kThreads, 0, stream>>>(g, n, clip,
                                                                                        norm2);
  HEPCAT_LAUNCH_CHECK(stream, "clip_kernel");
}

#undef HEPCAT_LAUNCH

}  // namespace hepcat::cuda::assign
