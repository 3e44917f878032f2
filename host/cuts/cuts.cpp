#include "hepcat/cuts.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include "hepcat/error.hpp"
#include "hepcat/math/cuts.hpp"
#include "host/cuts/cuts_cpu.hpp"
#include "host/engine/communicator_reduce.hpp"
#include "host/engine/format.hpp"
#include "host/engine/reduce.hpp"

#ifdef HEPCAT_HAVE_CUDA
#include "kernels/cuts.hpp"
#endif

namespace hepcat {
namespace {

// Events of one sample resident on the backend, sorted by grid cell, with the per-cell weight
// sums the efficiencies are normalised by (double, on the host).
struct ResidentEvents {
  std::size_t n = 0;
  Buffer<float> x, w;
  Buffer<std::uint8_t> signal;
  Buffer<std::size_t> offsets;                               // n_cells + 1
  std::vector<double> sig_weight, bkg_weight, total_weight;  // per cell
};

int cell_of(double value, const std::vector<double>& edges) {
  const int n_cells = static_cast<int>(edges.size()) - 1;
  const auto it = std::upper_bound(edges.begin(), edges.end(), value);
  const int c = static_cast<int>(it - edges.begin()) - 1;
  return std::min(std::max(c, 0), n_cells - 1);
}

void check_sample(const CutSample& s, int m, bool grid, const char* what) {
  const std::size_t n = s.size();
  const std::string name(what);
  if (n == 0) throw Error(name + " sample: no events");
  if (static_cast<int>(s.features.size()) != m)
    throw Error(name + " sample: " + std::to_string(s.features.size()) +
                " feature columns, expected " + std::to_string(m));
  for (int k = 0; k < m; ++k) {
    if (s.features[k].size() != n)
      throw Error(name + " sample: feature " + std::to_string(k) + " has " +
                  std::to_string(s.features[k].size()) + " rows, labels have " + std::to_string(n));
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(s.features[k][i]))
        throw Error(name + " sample: feature " + std::to_string(k) + " is not finite in row " +
                    std::to_string(i));
  }
  if (!s.weights.empty() && s.weights.size() != n)
    throw Error(name + " sample: " + std::to_string(s.weights.size()) + " weights for " +
                std::to_string(n) + " events");
  for (std::size_t i = 0; i < s.weights.size(); ++i)
    if (!std::isfinite(s.weights[i]))
      throw Error(name + " sample: weight is not finite in row " + std::to_string(i));
  if (grid && s.grid_values.size() != n)
    throw Error(name + " sample: the grid needs one grid value per event, got " +
                std::to_string(s.grid_values.size()) + " for " + std::to_string(n) + " events");
  for (std::size_t i = 0; i < s.grid_values.size(); ++i)
    if (!std::isfinite(s.grid_values[i]))
      throw Error(name + " sample: grid value is not finite in row " + std::to_string(i));
}

ResidentEvents upload_events(const Context& ctx, const CutSample& s,
                             const std::vector<double>& edges) {
  const std::size_t n = s.size();
  const int m = static_cast<int>(s.features.size());
  const int n_cells = edges.empty() ? 1 : static_cast<int>(edges.size()) - 1;
  std::vector<int> cell(n, 0);
  if (!edges.empty())
    for (std::size_t i = 0; i < n; ++i) cell[i] = cell_of(s.grid_values[i], edges);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cell[a] < cell[b]; });

  ResidentEvents ev;
  ev.n = n;
  std::vector<float> x(static_cast<std::size_t>(m) * n), w(n);
  std::vector<std::uint8_t> sig(n);
  std::vector<std::size_t> offsets(n_cells + 1, 0);
  ev.sig_weight.assign(n_cells, 0.0);
  ev.bkg_weight.assign(n_cells, 0.0);
  ev.total_weight.assign(n_cells, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t i = order[r];
    for (int k = 0; k < m; ++k) x[static_cast<std::size_t>(k) * n + r] = s.features[k][i];
    w[r] = s.weights.empty() ? 1.f : s.weights[i];
    sig[r] = s.signal[i] ? 1 : 0;
    ++offsets[cell[i] + 1];
  }
  // Per cell the signal and background weight, in event order through the engine's reduction
  // (under MPI over the events of every rank).
  std::vector<double> cell_weights(2 * static_cast<std::size_t>(n_cells));
  cpu::reduce_events(n, cell_weights.size(), cell_weights.data(), [&](std::size_t i, double* p) {
    p[2 * cell[i] + (s.signal[i] ? 0 : 1)] += s.weights.empty() ? 1.f : s.weights[i];
  });
  for (int c = 0; c < n_cells; ++c) {
    ev.sig_weight[c] = cell_weights[2 * c];
    ev.bkg_weight[c] = cell_weights[2 * c + 1];
    ev.total_weight[c] = ev.sig_weight[c] + ev.bkg_weight[c];
  }
  for (int c = 0; c < n_cells; ++c) offsets[c + 1] += offsets[c];
  ev.x = Buffer<float>(ctx, x);
  ev.w = Buffer<float>(ctx, w);
  ev.signal = Buffer<std::uint8_t>(ctx, sig);
  ev.offsets = Buffer<std::size_t>(ctx, offsets);
  return ev;
}

}  // namespace

CutSample CutSample::slice(std::size_t begin, std::size_t end) const {
  if (begin > end || end > size())
    throw Error("CutSample::slice: rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") outside [0, " + std::to_string(size()) + ")");
  const auto cut = [&](const auto& v) {
    using V = std::decay_t<decltype(v)>;
    return v.empty() ? V{} : V(v.begin() + begin, v.begin() + end);
  };
  CutSample out;
  for (const auto& f : features) out.features.push_back(cut(f));
  out.weights = cut(weights);
  out.signal = cut(signal);
  out.grid_values = cut(grid_values);
  return out;
}

void CutScanConfig::validate(int n_features) const {
  if (n_features < 1) throw Error("cut scan: need at least one feature");
  // The limit of every backend, checked here so that a scan fails the same way everywhere.
  if (n_features > math::kMaxCutFeatures)
    throw Error("cut scan: " + std::to_string(n_features) + " features, at most " +
                std::to_string(math::kMaxCutFeatures) + " supported");
  if (targets.empty()) throw Error("cut scan: no target efficiencies");
  for (double t : targets)
    if (!(t > 0 && t < 1))
      throw Error("cut scan: target efficiency " + detail::format_number(t) + " outside (0, 1)");
  std::vector<double> sorted = targets;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw Error("cut scan: target efficiencies must be distinct");
  if (!directions.empty() && static_cast<int>(directions.size()) != n_features)
    throw Error("cut scan: " + std::to_string(directions.size()) + " directions for " +
                std::to_string(n_features) + " features");
  for (int d : directions)
    if (d != -1 && d != 0 && d != 1)
      throw Error("cut scan: direction " + std::to_string(d) + " is not +1, -1 or 0 (auto)");
  if (!(std::isfinite(steepness) && steepness > 0))
    throw Error("cut scan: steepness " + detail::format_number(steepness) + " must be positive");
  const std::pair<const char*, double> weights[] = {{"alpha", loss.alpha},
                                                    {"beta", loss.beta},
                                                    {"gamma", loss.gamma},
                                                    {"delta", loss.delta},
                                                    {"epsilon", loss.epsilon}};
  for (const auto& [name, v] : weights)
    if (!(std::isfinite(v) && v >= 0))
      throw Error(std::string("cut scan: loss weight ") + name + " = " + detail::format_number(v) +
                  " must be finite and non-negative");
  if (!(std::isfinite(loss.rho) && loss.rho > 0))
    throw Error("cut scan: rho = " + detail::format_number(loss.rho) + " must be positive");
  if (grid_edges.size() == 1) throw Error("cut scan: a grid needs at least two edges");
  for (std::size_t i = 0; i < grid_edges.size(); ++i) {
    if (!std::isfinite(grid_edges[i])) throw Error("cut scan: grid edge is not finite");
    if (i > 0 && !(grid_edges[i] > grid_edges[i - 1]))
      throw Error("cut scan: grid edges must increase (" +
                  detail::format_number(grid_edges[i - 1]) + ", " +
                  detail::format_number(grid_edges[i]) + ")");
  }
}

struct CutScan::Impl {
  Context& ctx;
  CutScanConfig config;
  int m = 0, n_targets = 0, n_cells = 1;
  math::CutSumLayout sums;
  std::vector<double> mean, sd;
  std::vector<float> directions;  // initial weights, +1 or -1 per feature
  Buffer<float> d_mean, d_inv_sd, d_fixed_weight;
  ParamLayout layout;
  Buffer<float> params, grads;
  ResidentEvents train;

  Impl(Context& c, CutScanConfig cfg) : ctx(c), config(std::move(cfg)) {}

  std::size_t n_slots() const { return static_cast<std::size_t>(n_cells) * n_targets; }

  detail::CutPassInput pass_input(const ResidentEvents& ev, const float* d_params) const {
    detail::CutPassInput in;
    in.x = ev.x.data();
    in.w = ev.w.data();
    in.signal = ev.signal.data();
    in.n = ev.n;
    in.cell_offsets = ev.offsets.data();
    in.n_cells = n_cells;
    in.n_targets = n_targets;
    in.mean = d_mean.data();
    in.inv_sd = d_inv_sd.data();
    in.bias = d_params;
    if (config.learn_directions) {
      in.weight = d_params + layout.find("weight").offset;
      in.weight_slot_stride = m;
    } else {
      in.weight = d_fixed_weight.data();
      in.weight_slot_stride = 0;
    }
    in.steepness = static_cast<float>(config.steepness);
    in.layout = sums;
    return in;
  }

  // The per-slot sums of one pass over `ev` with the current parameters.
  std::vector<double> pass(const ResidentEvents& ev, bool hard) const {
    const detail::CutPassInput in = pass_input(ev, params.data());
    std::vector<double> out(n_slots() * sums.width());
#ifdef HEPCAT_HAVE_CUDA
    if (ctx.is_cuda()) {
      // The double results follow the partials at a 256-byte boundary.
      const std::size_t partial = (cuda::cut_scan_scratch_bytes(in) + 255) / 256 * 256;
      char* scratch = static_cast<char*>(ctx.scratch(partial + out.size() * sizeof(double)));
      auto* d_out = reinterpret_cast<double*>(scratch + partial);
      cuda::launch_cut_scan_sums(in, hard, scratch, d_out, static_cast<cudaStream_t>(ctx.stream()));
      memory::copy_to_host(ctx, out.data(), d_out, out.size() * sizeof(double));
      detail::add_over_ranks(out);
      return out;
    }
#endif
    cpu::cut_scan_sums(in, hard, out.data());
    return out;
  }

  float weight_of(const std::vector<float>& p, std::size_t slot, int k) const {
    return config.learn_directions ? p[layout.find("weight").offset + slot * m + k] : directions[k];
  }

  // The loss from the per-slot sums and the parameters, and its gradient in the parameter layout
  // (double on the host: a few hundred values).
  CutLossTerms objective(const std::vector<double>& s, const std::vector<float>& p,
                         std::vector<float>& grad) const {
    const CutLossWeights& lw = config.loss;
    const int width = sums.width();
    const double steep = config.steepness;
    CutLossTerms terms;
    std::vector<double> cut(n_slots() * m), d_cut(n_slots() * m, 0.0);
    std::vector<double> g_bias(n_slots() * m, 0.0), g_weight(n_slots() * m, 0.0);
    for (int c = 0; c < n_cells; ++c) {
      const double ws = train.sig_weight[c], wb = train.bkg_weight[c], wt = train.total_weight[c];
      for (int j = 0; j < n_targets; ++j) {
        const std::size_t slot = static_cast<std::size_t>(c) * n_targets + j;
        const double* row = s.data() + slot * width;
        const double t = config.targets[j], eff_s = row[0] / ws, eff_b = row[1] / wb;
        terms.efficiency += math::efficiency_term(t, eff_s, lw.alpha);
        terms.background += math::background_term(eff_b, lw.beta);
        const double d_s = math::efficiency_loss_d_signal(t, eff_s, lw.alpha) / ws;
        const double d_b = math::efficiency_loss_d_background(lw.beta) / wb;
        const double d_bce = lw.delta / wt;
        if (sums.with_bce) terms.bce += lw.delta * row[sums.bce()] / wt;
        for (int k = 0; k < m; ++k) {
          const std::size_t q = slot * m + k;
          double gb = d_s * row[sums.signal_bias() + k] + d_b * row[sums.background_bias() + k];
          if (sums.with_bce) gb += d_bce * row[sums.bce_bias() + k];
          g_bias[q] = steep * gb;
          if (config.learn_directions) {
            double gw =
                d_s * row[sums.signal_weight() + k] + d_b * row[sums.background_weight() + k];
            if (sums.with_bce) gw += d_bce * row[sums.bce_weight() + k];
            g_weight[q] = steep * gw;
          }
          cut[q] = math::cut_value<double>(p[q], weight_of(p, slot, k));
          terms.cut_size += math::cut_size_loss(cut[q], lw.gamma, m);
          d_cut[q] += math::cut_size_loss_d_cut(cut[q], lw.gamma, m);
        }
      }
    }
    // Smoothness along the targets of each cell, then along the cells for each target, each
    // averaged over its interior points and the features.
    const auto smooth_line = [&](int count, auto slot_at) {
      if (count < 3 || lw.epsilon == 0) return;
      const double norm = lw.epsilon / (static_cast<double>(count - 2) * m);
      for (int i = 1; i + 1 < count; ++i)
        for (int k = 0; k < m; ++k) {
          const std::size_t q = slot_at(i) * m + k, qp = slot_at(i + 1) * m + k,
                            qm = slot_at(i - 1) * m + k;
          terms.smoothness += norm * math::smoothness(cut[q], cut[qp], cut[qm], lw.rho);
          double dc, dp, dm;
          math::smoothness_gradient(cut[q], cut[qp], cut[qm], lw.rho, &dc, &dp, &dm);
          d_cut[q] += norm * dc;
          d_cut[qp] += norm * dp;
          d_cut[qm] += norm * dm;
        }
    };
    for (int c = 0; c < n_cells; ++c)
      smooth_line(n_targets, [&](int j) { return static_cast<std::size_t>(c) * n_targets + j; });
    for (int j = 0; j < n_targets; ++j)
      smooth_line(n_cells, [&](int c) { return static_cast<std::size_t>(c) * n_targets + j; });

    grad.assign(layout.size(), 0.f);
    const std::size_t w_off = config.learn_directions ? layout.find("weight").offset : 0;
    for (std::size_t slot = 0; slot < n_slots(); ++slot)
      for (int k = 0; k < m; ++k) {
        const std::size_t q = slot * m + k;
        const double w = weight_of(p, slot, k), b = p[q];
        grad[q] = static_cast<float>(g_bias[q] + d_cut[q] * math::cut_value_d_bias(w));
        if (config.learn_directions)
          grad[w_off + q] =
              static_cast<float>(g_weight[q] + d_cut[q] * math::cut_value_d_weight(b, w));
      }
    return terms;
  }
};

CutScan::CutScan(Context& ctx, CutScanConfig config, const CutSample& train)
    : impl_(std::make_unique<Impl>(ctx, std::move(config))) {
  Impl& s = *impl_;
  const int m = static_cast<int>(train.features.size());
  s.config.validate(m);
  // The grid's events are reduced cell by cell in cell order, which a rank's shard cannot
  // reproduce for the events of all ranks.
  if (world().size() > 1 && !s.config.grid_edges.empty())
    throw Error("cut scan: a cut grid runs as one process, not on " +
                std::to_string(world().size()) + " ranks");
  check_sample(train, m, !s.config.grid_edges.empty(), "training");
  std::sort(s.config.targets.begin(), s.config.targets.end());
  s.m = m;
  s.n_targets = static_cast<int>(s.config.targets.size());
  s.n_cells = s.config.grid_edges.empty() ? 1 : static_cast<int>(s.config.grid_edges.size()) - 1;
  s.sums = math::CutSumLayout{m, s.config.learn_directions, s.config.loss.delta != 0};

  // Standardisation and automatic directions from the training sample, in double, through the
  // engine's reduction (under MPI over the training events of every rank).
  const std::size_t n = train.size();
  const auto weight = [&](std::size_t i) -> double {
    return train.weights.empty() ? 1.0 : train.weights[i];
  };
  const auto standardisation_weight = [&](std::size_t i) {
    return s.config.weighted_standardisation ? weight(i) : 1.0;
  };
  // Per feature: sum w, sum w x (standardisation weights), sum w x and sum w of signal and of
  // background (event weights).
  constexpr int kMoments = 6;
  std::vector<double> moments(static_cast<std::size_t>(kMoments) * m);
  cpu::reduce_events(n, moments.size(), moments.data(), [&](std::size_t i, double* p) {
    const double wi = standardisation_weight(i), ei = weight(i);
    const int off = train.signal[i] ? 2 : 4;
    for (int k = 0; k < m; ++k, p += kMoments) {
      const double x = train.features[k][i];
      p[0] += wi;
      p[1] += wi * x;
      p[off] += ei * x;
      p[off + 1] += ei;
    }
  });
  s.mean.assign(m, 0.0);
  s.sd.assign(m, 1.0);
  s.directions.assign(m, 1.f);
  for (int k = 0; k < m; ++k) {
    const double* mk = moments.data() + static_cast<std::size_t>(kMoments) * k;
    if (!(mk[0] > 0)) throw Error("cut scan: training weights sum to zero or less");
    s.mean[k] = mk[1] / mk[0];
  }
  std::vector<double> spread(m);
  cpu::reduce_events(n, spread.size(), spread.data(), [&](std::size_t i, double* p) {
    const double wi = standardisation_weight(i);
    for (int k = 0; k < m; ++k) {
      const double dx = train.features[k][i] - s.mean[k];
      p[k] += wi * dx * dx;
    }
  });
  std::vector<float> inv_sd(m), mean_f(m);
  for (int k = 0; k < m; ++k) {
    const double* mk = moments.data() + static_cast<std::size_t>(kMoments) * k;
    const double sd = std::sqrt(spread[k] / mk[0]);
    s.sd[k] = sd > 0 ? sd : 1.0;  // a constant feature keeps its scale, as StandardScaler does
    mean_f[k] = static_cast<float>(s.mean[k]);
    inv_sd[k] = static_cast<float>(1.0 / s.sd[k]);
    const double s_sig = mk[2], w_sig = mk[3], s_bkg = mk[4], w_bkg = mk[5];
    const int fixed = s.config.directions.empty() ? 0 : s.config.directions[k];
    const bool auto_dir = fixed == 0;
    if (auto_dir && w_sig != 0 && w_bkg != 0)
      s.directions[k] = s_sig / w_sig - s_bkg / w_bkg >= 0 ? 1.f : -1.f;
    else if (!auto_dir)
      s.directions[k] = static_cast<float>(fixed);
  }
  s.d_mean = Buffer<float>(ctx, mean_f);
  s.d_inv_sd = Buffer<float>(ctx, inv_sd);
  s.d_fixed_weight = Buffer<float>(ctx, s.directions);

  s.train = upload_events(ctx, train, s.config.grid_edges);
  for (int c = 0; c < s.n_cells; ++c) {
    const std::string where = s.n_cells > 1
                                  ? "grid cell " + std::to_string(c) + " of the training sample"
                                  : "the training sample";
    if (!(s.train.sig_weight[c] > 0))
      throw Error("cut scan: " + where + " has no positive signal weight");
    if (!(s.train.bkg_weight[c] > 0))
      throw Error("cut scan: " + where + " has no positive background weight");
  }

  const std::size_t count = s.n_slots() * m;
  s.layout.add("bias", count);
  if (s.config.learn_directions) s.layout.add("weight", count);
  std::vector<float> init(s.layout.size(), 0.f);  // biases 0: every cut starts at the mean
  if (s.config.learn_directions)
    for (std::size_t q = 0; q < count; ++q) init[count + q] = s.directions[q % m];
  s.params = Buffer<float>(ctx, init);
  s.grads = Buffer<float>(ctx, s.layout.size());
  s.grads.zero(ctx);
}

CutScan::~CutScan() = default;
CutScan::CutScan(CutScan&&) noexcept = default;
CutScan& CutScan::operator=(CutScan&&) noexcept = default;

int CutScan::n_features() const {
  return impl_->m;
}
int CutScan::n_targets() const {
  return impl_->n_targets;
}
int CutScan::n_cells() const {
  return impl_->n_cells;
}
const std::vector<double>& CutScan::targets() const {
  return impl_->config.targets;
}
const CutScanConfig& CutScan::config() const {
  return impl_->config;
}
const ParamLayout& CutScan::layout() const {
  return impl_->layout;
}
Buffer<float>& CutScan::params() {
  return impl_->params;
}
const Buffer<float>& CutScan::grads() const {
  return impl_->grads;
}

CutLossTerms CutScan::compute_gradient() {
  Impl& s = *impl_;
  const std::vector<double> sums = s.pass(s.train, false);
  const std::vector<float> p = s.params.to_host(s.ctx);
  std::vector<float> grad;
  const CutLossTerms terms = s.objective(sums, p, grad);
  s.grads.upload(s.ctx, grad);
  return terms;
}

CutLossTerms CutScan::step(Optimizer& optimizer, double lr) {
  const CutLossTerms terms = compute_gradient();
  optimizer.step(impl_->params, impl_->grads, lr);
  return terms;
}

CutLossTerms CutScan::train(int epochs, const OptimizerConfig& optimizer, const Schedule& lr,
                            const std::function<void(int, const CutLossTerms&)>& progress) {
  if (epochs < 1) throw Error("cut scan: epochs must be at least 1, got " + std::to_string(epochs));
  Optimizer opt(impl_->ctx, optimizer, impl_->layout.size());
  CutLossTerms terms;
  for (int e = 0; e < epochs; ++e) {
    terms = step(opt, lr.at(e));
    if (progress) progress(e, terms);
  }
  return terms;
}

std::vector<CutSet> CutScan::cuts() const {
  const Impl& s = *impl_;
  const std::vector<float> p = s.params.to_host(s.ctx);
  std::vector<CutSet> out;
  for (int c = 0; c < s.n_cells; ++c)
    for (int j = 0; j < s.n_targets; ++j) {
      const std::size_t slot = static_cast<std::size_t>(c) * s.n_targets + j;
      CutSet set;
      set.cell = c;
      set.target = s.config.targets[j];
      for (int k = 0; k < s.m; ++k) {
        const double w = s.weight_of(p, slot, k);
        set.cuts.push_back(math::cut_value<double>(p[slot * s.m + k], w) * s.sd[k] + s.mean[k]);
        set.directions.push_back(w >= 0 ? 1 : -1);
      }
      out.push_back(std::move(set));
    }
  return out;
}

CutEfficiencies CutScan::evaluate(const CutSample& sample) const {
  const Impl& s = *impl_;
  check_sample(sample, s.m, !s.config.grid_edges.empty(), "evaluation");
  const ResidentEvents ev = upload_events(s.ctx, sample, s.config.grid_edges);
  const std::vector<double> sums = s.pass(ev, true);
  const int width = s.sums.width();
  CutEfficiencies out;
  std::vector<double> ts(s.n_targets, 0.0), tb(s.n_targets, 0.0);
  double all_s = 0, all_b = 0;
  for (int c = 0; c < s.n_cells; ++c) {
    all_s += ev.sig_weight[c];
    all_b += ev.bkg_weight[c];
    for (int j = 0; j < s.n_targets; ++j) {
      const double* row = sums.data() + (static_cast<std::size_t>(c) * s.n_targets + j) * width;
      out.sig_eff.push_back(row[0] / ev.sig_weight[c]);
      out.bkg_eff.push_back(row[1] / ev.bkg_weight[c]);
      ts[j] += row[0];
      tb[j] += row[1];
    }
  }
  for (int j = 0; j < s.n_targets; ++j) {
    out.target_sig_eff.push_back(ts[j] / all_s);
    out.target_bkg_eff.push_back(tb[j] / all_b);
  }
  return out;
}

double hard_cut_auc(const std::vector<double>& sig_eff, const std::vector<double>& bkg_eff) {
  if (sig_eff.size() != bkg_eff.size())
    throw Error("hard_cut_auc: " + std::to_string(sig_eff.size()) + " signal and " +
                std::to_string(bkg_eff.size()) + " background efficiencies");
  std::vector<std::pair<double, double>> pts{{0.0, 0.0}, {1.0, 1.0}};
  for (std::size_t i = 0; i < sig_eff.size(); ++i) pts.emplace_back(bkg_eff[i], sig_eff[i]);
  std::sort(pts.begin(), pts.end());
  double area = 0;
  for (std::size_t i = 1; i < pts.size(); ++i)
    area += (pts[i].first - pts[i - 1].first) * 0.5 * (pts[i].second + pts[i - 1].second);
  return area;
}

}  // namespace hepcat
