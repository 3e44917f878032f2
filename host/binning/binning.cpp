#include "hepcat/binning.hpp"

#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "hepcat/error.hpp"
#include "hepcat/math/random.hpp"
#include "hepcat/math/significance.hpp"
#include "hepcat/math/softmax.hpp"
#include "host/binning/binning_cpu.hpp"
#include "host/binning/binning_step.hpp"
#include "host/engine/communicator_reduce.hpp"
#include "host/engine/enum_names.hpp"
#include "host/engine/limits.hpp"

#ifdef HEPCAT_HAVE_CUDA
#include "kernels/binning.hpp"
#endif

namespace hepcat {

namespace {
const detail::EnumName<SignalCombination> kCombinationNames[] = {
    {SignalCombination::geometric_mean, "geometric"},
    {SignalCombination::quadrature, "quadrature"},
    {SignalCombination::harmonic_mean, "harmonic"},
    {SignalCombination::minimum, "minimum"},
    {SignalCombination::geometric_mean, "geometric_mean"},
    {SignalCombination::harmonic_mean, "harmonic_mean"},
    {SignalCombination::minimum, "min"}};

// The GMM's parameter shape (points into the model).
math::GmmShape gmm_shape(const BinningModel& model) {
  math::GmmShape g;
  g.components = model.n_bins();
  g.dim = model.dim();
  g.means = model.mean_parametrisation();
  g.sigma_base = model.sigma_base();
  g.lo = model.lo().data();
  g.hi = model.hi().data();
  return g;
}

// The model as the event loops see it, pointing at `values`.
template <class T>
math::SoftModel<T> soft_model(const BinningModel& model, const T* values, double sharpness) {
  math::SoftModel<T> m;
  m.gmm = model.is_gmm();
  m.n_bins = model.n_bins();
  m.dim = model.dim();
  const std::vector<int>& bins = model.bins_per_variable();
  for (std::size_t v = 0; v < bins.size(); ++v) m.bins[v] = bins[v];
  m.sharpness = static_cast<T>(sharpness);
  m.values = values;
  return m;
}
}  // namespace

SignalCombination parse_signal_combination(const std::string& text) {
  return detail::parse_enum(kCombinationNames, text, "signal combination");
}

const char* to_string(SignalCombination how) {
  return detail::enum_to_string(kCombinationNames, how);
}

// ---- BinningModel ------------------------------------------------------------------------------

BinningModel BinningModel::sigmoid(std::vector<int> bins, std::vector<double> lo,
                                   std::vector<double> hi) {
  if (bins.empty() || bins.size() > static_cast<std::size_t>(math::kMaxSigmoidVars))
    throw Error("sigmoid model: need 1 to " + std::to_string(math::kMaxSigmoidVars) +
                " variables, got " + std::to_string(bins.size()));
  if (lo.size() != bins.size() || hi.size() != bins.size())
    throw Error("sigmoid model: one range per variable is needed");
  BinningModel m;
  m.gmm_ = false;
  m.dim_ = static_cast<int>(bins.size());
  long total = 1;
  for (std::size_t v = 0; v < bins.size(); ++v) {
    if (bins[v] < 1) throw Error("sigmoid model: variable " + std::to_string(v) + " has no bins");
    if (!(std::isfinite(lo[v]) && std::isfinite(hi[v]) && hi[v] > lo[v]))
      throw Error("sigmoid model: invalid range of variable " + std::to_string(v));
    total *= bins[v];
    m.layout_.add("boundaries/" + std::to_string(v), static_cast<std::size_t>(bins[v] - 1));
  }
  if (total > math::kMaxSoftBins)
    throw Error("sigmoid model: " + std::to_string(total) + " bins in all, at most " +
                std::to_string(math::kMaxSoftBins) + " supported");
  m.bins_ = std::move(bins);
  m.lo_ = std::move(lo);
  m.hi_ = std::move(hi);
  return m;
}

BinningModel BinningModel::gmm(int components, int dim, MeanParametrisation means,
                               std::vector<double> lo, std::vector<double> hi, double sigma_base) {
  if (components < 1 || components > math::kMaxSoftBins)
    throw Error("gmm model: components must be 1 to " + std::to_string(math::kMaxSoftBins) +
                ", got " + std::to_string(components));
  if (dim < 1 || dim > math::kMaxGmmDim)
    throw Error("gmm model: dimension must be 1 to " + std::to_string(math::kMaxGmmDim) + ", got " +
                std::to_string(dim));
  if (!(sigma_base > 0) || !std::isfinite(sigma_base))
    throw Error("gmm model: sigma_base must be positive");
  if (means == MeanParametrisation::box) {
    if (lo.size() != static_cast<std::size_t>(dim) || hi.size() != static_cast<std::size_t>(dim))
      throw Error("gmm model: box means need one range per dimension");
    for (int a = 0; a < dim; ++a)
      if (!(std::isfinite(lo[a]) && std::isfinite(hi[a]) && hi[a] > lo[a]))
        throw Error("gmm model: invalid range of dimension " + std::to_string(a));
  } else {
    lo.assign(dim, 0.0);
    hi.assign(dim, 1.0);
  }
  BinningModel m;
  m.gmm_ = true;
  m.components_ = components;
  m.dim_ = dim;
  m.means_ = means;
  m.lo_ = std::move(lo);
  m.hi_ = std::move(hi);
  m.sigma_base_ = sigma_base;
  const math::GmmShape shape = gmm_shape(m);
  m.layout_.add("means", static_cast<std::size_t>(components) * dim);
  m.layout_.add("chol_diag", static_cast<std::size_t>(components) * dim);
  if (shape.off_diagonal() > 0)
    m.layout_.add("chol_offdiag", static_cast<std::size_t>(components) * shape.off_diagonal());
  m.layout_.add("logits", static_cast<std::size_t>(components));
  return m;
}

int BinningModel::n_bins() const {
  if (gmm_) return components_;
  return std::accumulate(bins_.begin(), bins_.end(), 1, std::multiplies<int>());
}

std::vector<float> BinningModel::initial_parameters(std::uint64_t seed) const {
  std::vector<float> p(n_params(), 0.f);
  // Counter-based normals: the start depends on the seed only, never on the backend.
  auto normal = [&](std::size_t i) {
    const math::Philox4x32 r = math::random_words(seed, i, 0x6a70u);
    double z0, z1;
    math::normal_pair<double>(r.v[0], r.v[1], &z0, &z1);
    return z0;
  };
  if (!gmm_) {
    // raw 0 gives equidistant boundaries; the jitter only breaks exact ties between runs.
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<float>(0.01 * normal(i));
    return p;
  }
  const ParamBlock& means = layout_.find("means");
  // Box: sigmoid of N(0, 1) spreads the means over the range. Simplex: softmax of N(0, 2^2)
  // logits reaches out to the corners, where classifier scores put the signals; with N(0, 1) the
  // means start bunched in the middle and the toy study's 3-bin case often ends in a poor
  // local optimum.
  const double scale = means_ == MeanParametrisation::simplex ? 2.0 : 1.0;
  for (std::size_t i = 0; i < means.count; ++i)
    p[means.offset + i] = static_cast<float>(scale * normal(means.offset + i));
  return p;
}

std::vector<double> BinningModel::event_values(const std::vector<double>& raw) const {
  if (raw.size() != n_params())
    throw Error("binning model: " + std::to_string(raw.size()) + " parameters given, " +
                std::to_string(n_params()) + " expected");
  if (gmm_) {
    std::vector<double> v(static_cast<std::size_t>(components_) * math::gmm_component_stride(dim_));
    math::gmm_components(gmm_shape(*this), raw.data(), v.data());
    return v;
  }
  std::vector<double> v(n_params());
  std::size_t off = 0;
  for (std::size_t var = 0; var < bins_.size(); ++var) {
    math::sigmoid_boundaries(raw.data() + off, bins_[var], lo_[var], hi_[var], v.data() + off);
    off += bins_[var] - 1;
  }
  return v;
}

std::vector<double> BinningModel::backward(const std::vector<double>& raw,
                                           const std::vector<double>& d_values) const {
  std::vector<double> d_raw(n_params(), 0.0);
  if (gmm_) {
    math::gmm_components_backward(gmm_shape(*this), raw.data(), d_values.data(), d_raw.data());
    return d_raw;
  }
  std::size_t off = 0;
  for (std::size_t var = 0; var < bins_.size(); ++var) {
    math::sigmoid_boundaries_backward(raw.data() + off, bins_[var], lo_[var], hi_[var],
                                      d_values.data() + off, d_raw.data() + off);
    off += bins_[var] - 1;
  }
  return d_raw;
}

std::vector<std::vector<double>> BinningModel::boundaries(const std::vector<double>& raw) const {
  if (gmm_) throw Error("binning model: a GMM has no boundaries");
  const std::vector<double> v = event_values(raw);
  std::vector<std::vector<double>> out;
  std::size_t off = 0;
  for (int b : bins_) {
    out.emplace_back(v.begin() + off, v.begin() + off + (b - 1));
    off += b - 1;
  }
  return out;
}

std::vector<BinningModel::Component> BinningModel::components(
    const std::vector<double>& raw) const {
  if (!gmm_) throw Error("binning model: a sigmoid model has no components");
  const std::vector<double> v = event_values(raw);
  const int d = dim_, stride = math::gmm_component_stride(d);
  const ParamBlock& logits = layout_.find("logits");
  const math::SoftmaxNormaliser<double> pi =
      math::softmax_normaliser(raw.data() + logits.offset, components_);
  std::vector<Component> out(components_);
  for (int k = 0; k < components_; ++k) {
    const double* c = v.data() + static_cast<std::size_t>(k) * stride;
    out[k].mean.assign(c, c + d);
    const double* l = c + d;
    out[k].covariance.assign(static_cast<std::size_t>(d) * d, 0.0);
    for (int a = 0; a < d; ++a)
      for (int b = 0; b < d; ++b) {
        double s = 0;
        for (int m = 0; m <= std::min(a, b); ++m)
          s += l[math::tri_index(a, m)] * l[math::tri_index(b, m)];
        out[k].covariance[a * d + b] = s;
      }
    out[k].weight = pi.probability(raw[logits.offset + k]);
  }
  return out;
}

// ---- objective ---------------------------------------------------------------------------------

namespace detail {

std::vector<int> process_groups(const BinningObjective& objective, int n_processes) {
  const int n_signals = static_cast<int>(objective.signals.size());
  std::vector<int> groups(n_processes, n_signals);
  for (int i = 0; i < n_signals; ++i) {
    const int p = objective.signals[i];
    if (p < 0 || p >= n_processes)
      throw Error("signal process " + std::to_string(p) + " is not among the " +
                  std::to_string(n_processes) + " processes of the events");
    if (groups[p] != n_signals)
      throw Error("signal process " + std::to_string(p) + " is listed twice");
    groups[p] = i;
  }
  return groups;
}

BinningEvaluation objective_of_sums(const std::vector<double>& sums, int n_bins,
                                    const BinningObjective& objective,
                                    std::vector<double>* d_sums) {
  const int n_signals = static_cast<int>(objective.signals.size());
  if (n_signals < 1) throw Error("binning objective: at least one signal process is needed");
  std::vector<double> ds(sums.size()), z(n_signals), scratch(n_signals);
  const math::BinningObjectiveValue v = math::binning_objective(
      sums.data(), n_signals, n_bins, objective.settings, ds.data(), z.data(), scratch.data());
  BinningEvaluation e;
  e.loss = v.loss;
  e.combined = v.combined;
  e.per_signal = z;
  e.p_low = v.p_low;
  e.p_unc = v.p_unc;
  e.sums = sums;
  if (d_sums) *d_sums = std::move(ds);
  return e;
}

template <class T>
BinningEvaluation soft_binning_step_cpu(const BinningModel& model,
                                        const BinningObjective& objective,
                                        const math::SoftBinningEvents<T>& events,
                                        const std::vector<double>& raw, double sharpness,
                                        std::vector<double>* grad) {
  const int n_groups = static_cast<int>(objective.signals.size()) + 1;
  const int nb = model.n_bins();
  const std::vector<double> values_d = model.event_values(raw);
  const std::vector<T> values(values_d.begin(), values_d.end());
  const math::SoftModel<T> m = soft_model(model, values.data(), sharpness);
  std::vector<double> sums(2 * static_cast<std::size_t>(n_groups) * nb);
  cpu::soft_bin_sums(m, events, n_groups, sums.data());
  std::vector<double> d_sums;
  BinningEvaluation e = objective_of_sums(sums, nb, objective, grad ? &d_sums : nullptr);
  if (grad) {
    std::vector<double> d_values(m.gradient_size());
    cpu::soft_bin_gradient(m, events, n_groups, d_sums.data(), d_values.data());
    *grad = model.backward(raw, d_values);
  }
  return e;
}
template BinningEvaluation soft_binning_step_cpu<float>(const BinningModel&,
                                                        const BinningObjective&,
                                                        const math::SoftBinningEvents<float>&,
                                                        const std::vector<double>&, double,
                                                        std::vector<double>*);
template BinningEvaluation soft_binning_step_cpu<double>(const BinningModel&,
                                                         const BinningObjective&,
                                                         const math::SoftBinningEvents<double>&,
                                                         const std::vector<double>&, double,
                                                         std::vector<double>*);

}  // namespace detail

BinningEvaluation evaluate_yields(const BinSums& yields, const BinningObjective& objective) {
  const std::vector<int> groups = detail::process_groups(objective, yields.n_processes);
  const int nb = yields.n_bins;
  std::vector<double> sums(2 * (objective.signals.size() + 1) * nb, 0.0);
  for (int p = 0; p < yields.n_processes; ++p)
    for (int k = 0; k < nb; ++k) {
      sums[math::bin_sum_index(groups[p], 0, k, nb)] += yields.sum_w[p * nb + k];
      sums[math::bin_sum_index(groups[p], 1, k, nb)] += yields.sum_w2[p * nb + k];
    }
  return detail::objective_of_sums(sums, nb, objective, nullptr);
}

// ---- SoftBinning -------------------------------------------------------------------------------

struct SoftBinning::Impl {
  Context* ctx;
  const EventSet* events;
  BinningModel model;
  BinningObjective objective;
  std::vector<int> features;
  Buffer<int> groups;    // per process
  Buffer<float> values;  // event values of the current parameters
  int n_groups = 0;

  math::SoftBinningEvents<float> view() const {
    math::SoftBinningEvents<float> ev;
    ev.n = events->size();
    for (std::size_t j = 0; j < features.size(); ++j) ev.cols[j] = events->feature(features[j]);
    ev.weights = events->weights();
    ev.process = events->process();
    ev.group = groups.data();
    return ev;
  }

  std::vector<double> raw_of(const Buffer<float>& params) const {
    if (params.size() != model.n_params())
      throw Error("soft binning: parameter buffer holds " + std::to_string(params.size()) +
                  " values, the " + model.name() + " model has " +
                  std::to_string(model.n_params()));
    const std::vector<float> h = params.to_host(*ctx);
    return {h.begin(), h.end()};
  }

#ifdef HEPCAT_HAVE_CUDA
  cudaStream_t stream() const {
    return static_cast<cudaStream_t>(ctx->stream());
  }

  // Pass 1 on the device: chunk partials added in chunk order; the sums come back.
  std::vector<double> cuda_sums(const math::SoftModel<float>& m) {
    std::vector<double> sums(2 * static_cast<std::size_t>(n_groups) * m.n_bins);
    const std::size_t partial =
        cuda::soft_binning_scratch_bytes(events->size(), static_cast<int>(sums.size()));
    char* scratch = static_cast<char*>(ctx->scratch(partial + sums.size() * sizeof(double)));
    auto* d_out = reinterpret_cast<double*>(scratch + partial);
    cuda::launch_soft_bin_sums(m, view(), n_groups, scratch, d_out, stream());
    memory::copy_to_host(*ctx, sums.data(), d_out, sums.size() * sizeof(double));
    detail::add_over_ranks(sums);
    return sums;
  }

  // Pass 2 on the device from dL/d(sums); the event-value gradient comes back.
  std::vector<double> cuda_gradient(const math::SoftModel<float>& m,
                                    const std::vector<double>& d_sums) {
    std::vector<double> grad(m.gradient_size());
    const std::size_t partial =
        cuda::soft_binning_scratch_bytes(events->size(), static_cast<int>(grad.size()));
    const std::size_t ds_bytes = d_sums.size() * sizeof(float);
    char* scratch =
        static_cast<char*>(ctx->scratch(partial + grad.size() * sizeof(double) + ds_bytes));
    auto* d_out = reinterpret_cast<double*>(scratch + partial);
    auto* d_ds = reinterpret_cast<float*>(scratch + partial + grad.size() * sizeof(double));
    const std::vector<float> ds(d_sums.begin(), d_sums.end());
    memory::copy_to_backend(*ctx, d_ds, ds.data(), ds_bytes);
    cuda::launch_soft_bin_gradient(m, view(), d_ds, scratch, d_out, stream());
    memory::copy_to_host(*ctx, grad.data(), d_out, grad.size() * sizeof(double));
    detail::add_over_ranks(grad);
    return grad;
  }
#endif

  // Uploads the event values of `raw` and returns the model pointing at them.
  math::SoftModel<float> upload(const std::vector<double>& raw, double sharpness) {
    const std::vector<double> v = model.event_values(raw);
    const std::vector<float> vf(v.begin(), v.end());
    if (values.size() != vf.size()) values = Buffer<float>(*ctx, vf.size());
    values.upload(*ctx, vf);
    return soft_model(model, values.data(), sharpness);
  }
};

SoftBinning::SoftBinning(Context& ctx, const EventSet& events, std::vector<int> features,
                         BinningModel model, BinningObjective objective)
    : impl_(std::make_unique<Impl>()) {
  if (events.backend() != ctx.backend())
    throw Error("soft binning: events live on another backend than the context");
  if (static_cast<int>(features.size()) != model.dim())
    throw Error("soft binning: the " + std::string(model.name()) + " model reads " +
                std::to_string(model.dim()) + " features, " + std::to_string(features.size()) +
                " given");
  for (int f : features)
    if (f < 0 || f >= events.n_features())
      throw Error("soft binning: feature index " + std::to_string(f) + " out of range");
  const std::size_t k = model.n_bins(), groups = objective.signals.size() + 1,
                    processes = events.n_processes();
  const std::string bins = " x " + std::to_string(k) + " bins";
  detail::require_accumulators("soft binning", 2 * groups * k,
                               std::to_string(groups) + " process groups" + bins);
  detail::require_accumulators("soft binning", 2 * processes * k,
                               std::to_string(processes) + " processes" + bins);
  detail::require_accumulators(
      "soft binning", soft_model<float>(model, nullptr, 1.0).gradient_size(),
      "the gradient of the " + std::string(model.name()) + " model's event values");
  impl_->ctx = &ctx;
  impl_->events = &events;
  impl_->n_groups = static_cast<int>(groups);
  impl_->groups = Buffer<int>(ctx, detail::process_groups(objective, events.n_processes()));
  impl_->model = std::move(model);
  impl_->objective = std::move(objective);
  impl_->features = std::move(features);
}

SoftBinning::~SoftBinning() = default;
SoftBinning::SoftBinning(SoftBinning&&) noexcept = default;
SoftBinning& SoftBinning::operator=(SoftBinning&&) noexcept = default;

const BinningModel& SoftBinning::model() const {
  return impl_->model;
}

BinningEvaluation SoftBinning::step(const Buffer<float>& params, double sharpness,
                                    Buffer<float>* grads) {
  Impl& s = *impl_;
  const std::vector<double> raw = s.raw_of(params);
  if (grads && grads->size() != params.size())
    throw Error("soft binning: gradient buffer size differs from the parameter buffer");
  std::vector<double> grad;
  BinningEvaluation e;
#ifdef HEPCAT_HAVE_CUDA
  if (s.ctx->is_cuda()) {
    const math::SoftModel<float> m = s.upload(raw, sharpness);
    std::vector<double> d_sums;
    e = detail::objective_of_sums(s.cuda_sums(m), m.n_bins, s.objective, grads ? &d_sums : nullptr);
    if (grads) grad = s.model.backward(raw, s.cuda_gradient(m, d_sums));
  }
#endif
  if (!s.ctx->is_cuda())
    e = detail::soft_binning_step_cpu<float>(s.model, s.objective, s.view(), raw, sharpness,
                                             grads ? &grad : nullptr);
  if (grads) {
    const std::vector<float> gf(grad.begin(), grad.end());
    grads->upload(*s.ctx, gf);
  }
  return e;
}

std::vector<float> SoftBinning::soft_memberships(const Buffer<float>& params, double sharpness) {
  Impl& s = *impl_;
  const math::SoftModel<float> m = s.upload(s.raw_of(params), sharpness);
  std::vector<float> out(s.events->size() * static_cast<std::size_t>(m.n_bins));
#ifdef HEPCAT_HAVE_CUDA
  if (s.ctx->is_cuda()) {
    auto* d_out = static_cast<float*>(s.ctx->scratch(out.size() * sizeof(float)));
    cuda::launch_soft_memberships(m, s.view(), d_out, s.stream());
    memory::copy_to_host(*s.ctx, out.data(), d_out, out.size() * sizeof(float));
  }
#endif
  if (!s.ctx->is_cuda()) cpu::soft_memberships(m, s.view(), out.data());
  return out;
}

BinSums SoftBinning::hard_yields(const Buffer<float>& params) {
  Impl& s = *impl_;
  const math::SoftModel<float> m = s.upload(s.raw_of(params), 1.0);
  BinSums y;
  y.n_bins = m.n_bins;
  y.n_processes = s.events->n_processes();
  const std::size_t cells = static_cast<std::size_t>(y.n_processes) * y.n_bins;
  std::vector<double> out(2 * cells);
#ifdef HEPCAT_HAVE_CUDA
  if (s.ctx->is_cuda()) {
    const std::size_t partial =
        cuda::soft_binning_scratch_bytes(s.events->size(), static_cast<int>(out.size()));
    char* scratch = static_cast<char*>(s.ctx->scratch(partial + out.size() * sizeof(double)));
    auto* d_out = reinterpret_cast<double*>(scratch + partial);
    cuda::launch_hard_bin_sums(m, s.view(), y.n_processes, scratch, d_out, s.stream());
    memory::copy_to_host(*s.ctx, out.data(), d_out, out.size() * sizeof(double));
    detail::add_over_ranks(out);
  }
#endif
  if (!s.ctx->is_cuda()) cpu::hard_bin_sums(m, s.view(), y.n_processes, out.data());
  y.sum_w.assign(out.begin(), out.begin() + cells);
  y.sum_w2.assign(out.begin() + cells, out.end());
  return y;
}

}  // namespace hepcat
