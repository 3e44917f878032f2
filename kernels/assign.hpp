// Launchers of the ABC model's device passes (twins of the OpenMP loops in
// host/assign/model_network.cpp), callable from host code compiled by the C++ compiler. Linear
// layers are cuBLAS GEMMs on row-major [rows][width] arrays; everything else is a thin kernel over
// the per-row and per-event math of include/hepcat/math/assign.hpp. All pointers are device
// pointers; the work is queued on the stream the cuBLAS handle is bound to (`stream`), and no
// reduction uses atomics: sums over rows are GEMVs against a vector of ones, sums over heads are
// taken in head order.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace hepcat::cuda::assign {

// ---- cuBLAS -------------------------------------------------------------------------------------

/// y[rows][out] = x[rows][in] w^T + b, with w [out][in] (torch's Linear layout).
void linear_forward(cublasHandle_t handle, const float* w, const float* b, int in, int out,
                    const float* x, std::size_t rows, float* y, cudaStream_t stream);
/// dw += dy^T x, db += column sums of dy (`ones`: at least `rows` ones), and dx = dy w when dx is
/// not null.
void linear_backward(cublasHandle_t handle, const float* w, int in, int out, const float* x,
                     const float* dy, std::size_t rows, const float* ones, float* dw, float* db,
                     float* dx);
/// out[c] += sum over rows of m[r * ld + c], c < cols.
void column_sums(cublasHandle_t handle, const float* m, std::size_t rows, int cols, int ld,
                 const float* ones, float* out);
/// y[i] += a[i].
void add(cublasHandle_t handle, const float* a, std::size_t n, float* y);

// ---- elementwise and per-row kernels ------------------------------------------------------------

void fill(float* x, std::size_t n, float value, cudaStream_t stream);
/// pad[r] = math::is_padding(x + 5 r); xhat and out: the fixed input normalisation of every
/// feature (mean, var, gamma, beta: 5 values each).
void input_norm_forward(const float* x, std::size_t rows, const float* mean, const float* var,
                        const float* gamma, const float* beta, std::uint8_t* pad, float* xhat,
                        float* out, cudaStream_t stream);
/// prod[i] = a[i] b[i].
void multiply(const float* a, const float* b, std::size_t n, float* prod, cudaStream_t stream);
/// LayerNorm (and ReLU) of every row of y [rows][n] in place, saving xhat and 1/std.
void layer_norm_forward(const float* gamma, const float* beta, bool relu, int n, std::size_t rows,
                        float* y, float* xhat, float* rstd, cudaStream_t stream);
/// Backward of layer_norm_forward: dy becomes the gradient of the input in place; partial
/// [rows][2n] receives each row's gamma (first n) and beta (last n) gradients, for column_sums.
void layer_norm_backward(const float* gamma, bool relu, int n, std::size_t rows, const float* y,
                         const float* xhat, const float* rstd, float* dy, float* partial,
                         cudaStream_t stream);
/// Zeroes the rows of x [rows][e] whose pad is set.
void mask_rows(const std::uint8_t* pad, std::size_t rows, int e, float* x, cudaStream_t stream);
/// The T = 3 prior: x[r][2] -= 1.
void shift_isr(std::size_t rows, int e, float* x, cudaStream_t stream);
/// pair[b][i][j][3] = math::pair_features of jets i and j (from the model input x [B][J][5]).
void pair_features(const float* x, std::size_t events, int jets, float* pair, cudaStream_t stream);

// ---- attention ----------------------------------------------------------------------------------

struct AttentionShape {
  std::size_t events = 0;
  int heads = 0, dh = 0, lq = 0, lk = 0;  // head size dh; lq queries and lk keys per event
};

/// Dropout of the attention weights: keep factors from (seed, stream, base + index).
struct AttentionDropout {
  bool on = false;
  std::uint64_t seed = 0, base = 0;
  std::uint32_t stream = 0;
  float p = 0;
};

/// One thread per (event, head, query): math::attention_row_forward with q [B][lq][E] and
/// kv [B][lk][2E] (keys, then values), the bias key bk/bv [E], the optional pairwise bias
/// [B][lq][lk] and key padding [B][lk]. Writes probs [B][H][lq][lk + 1], keep (same shape, when
/// dropout is on) and heads [B][lq][E].
void attention_forward(const AttentionShape& s, const float* q, const float* kv, const float* bk,
                       const float* bv, const float* bias, const std::uint8_t* pad,
                       const AttentionDropout& dropout, float* keep, float* probs, float* heads,
                       cudaStream_t stream);
/// One thread per (event, head), queries in order: math::attention_row_backward. dq, dkv, dbkv
/// [B][2E] (per-event bias key and value gradients) and dbias_heads [B][H][lq][lk] (when not
/// null) are overwritten.
void attention_backward(const AttentionShape& s, const float* dheads, const float* q,
                        const float* kv, const float* bk, const float* bv, const float* probs,
                        const float* keep, float* dq, float* dkv, float* dbkv, float* dbias_heads,
                        cudaStream_t stream);
/// dbias[b][k] += sum over heads h in order of dbias_heads[b][h][k], k < width.
void sum_heads(const float* dbias_heads, std::size_t events, int heads, int width, float* dbias,
               cudaStream_t stream);

// ---- jet choice, candidates, masses, loss -------------------------------------------------------

/// a [rows][t]: soft (softmax(logits / temperature)) or hard (one-hot argmax) choice from the
/// first t channels of x [rows][e].
void jet_choice(const float* x, std::size_t rows, int e, int t, bool soft, float temperature,
                float* a, cudaStream_t stream);
/// dx[r][:t] += the soft choice's backward of da [rows][t].
void soft_choice_backward(const float* a, const float* da, std::size_t rows, int e, int t,
                          float temperature, float* dx, cudaStream_t stream);
/// out[b][k][:] = sum over jets j in order of a[b][j][k] v[b][j][:] (v of width w).
void choice_sum(const float* a, const float* v, std::size_t events, int jets, int t, int w,
                float* out, cudaStream_t stream);
/// da[b][j][k] = v[b][j] . dout[b][k] (overwritten); dv[b][j][:] += sum_k a[b][j][k] dout[b][k]
/// when dv is not null.
void choice_sum_backward(const float* a, const float* v, const float* dout, std::size_t events,
                         int jets, int t, int w, float* da, float* dv, cudaStream_t stream);
/// p4 [rows][4] = math::feature_p4 of the model input x [rows][5].
void feature_p4(const float* x, std::size_t rows, float* p4, cudaStream_t stream);
/// m2[i] = math::regulated_mass2(p4 + 4 i).
void regulated_mass2(const float* p4, std::size_t n, float* m2, cudaStream_t stream);
/// ae [B][2][e - t + 1] = math::autoencoder_input of candidates 0 and 1 of c [B][t][e].
void autoencoder_inputs(const float* c, const float* m2, std::size_t events, int e, int t,
                        float mass_scale, float* ae, cudaStream_t stream);

/// The loss of one event: its weights and, for the four-term loss (latent_hinge), the latents z
/// and zr [B][2][zd] of the candidates and of the random assignment's candidates.
struct EventLoss {
  float recon = 1, crossed = 1, isr = 0;  // isr: weight of the ISR transverse energy (t = 3)
  bool latent_hinge = false;
  float latent = 0, hinge = 0, margin = 1;
  const float *z = nullptr, *zr = nullptr;
  int zd = 0;
};

/// loss[b]: math::pair_reconstruction_loss of the autoencoder inputs ae and reconstructions rec
/// [B][2][d], math::latent_hinge_loss when asked, the ISR term for t = 3 from cp4 [B][t][4].
void event_loss(const float* ae, const float* rec, const float* cp4, std::size_t events, int d,
                int t, const EventLoss& w, float* loss, cudaStream_t stream);
/// Backward of event_loss for the batch mean (scale 1 / B): dae and drec [B][2][d], dcp4
/// [B][t][4] and dz [B][2][zd] are overwritten, and dzr too with latent_hinge.
void event_loss_backward(const float* ae, const float* rec, const float* cp4, std::size_t events,
                         int d, int t, const EventLoss& w, float* dae, float* drec, float* dcp4,
                         float* dz, float* dzr, cudaStream_t stream);
/// a [rows][t]: one-hot math::random_category of every real slot, zero for padding.
void random_assignment(const std::uint8_t* pad, std::size_t rows, int t, std::uint64_t seed,
                       float* a, cudaStream_t stream);
/// Backward of autoencoder_inputs and of the candidates' masses: dc [B][t][e] and dcp4 [B][t][4]
/// (when not null) are added to for candidates 0 and 1.
void autoencoder_inputs_backward(const float* dae, const float* m2, const float* cp4,
                                 std::size_t events, int e, int t, float mass_scale, float* dc,
                                 float* dcp4, cudaStream_t stream);

// ---- gradient-norm clipping ---------------------------------------------------------------------

/// Scales g[0..n) by clip / (|g| + 1e-6) when that is below 1 (torch's clip_grad_norm_), |g|^2
/// summed in double over clip_partials(n) <= kClipPartials blocks (a count that depends on n
/// alone) added in block order (partial: scratch of kClipPartials doubles, norm2 one double).
constexpr int kClipPartials = 1024;
int clip_partials(std::size_t n);
void clip_gradient_norm(float* g, std::size_t n, double clip, double* partial, double* norm2,
                        cudaStream_t stream);

}  // namespace hepcat::cuda::assign
