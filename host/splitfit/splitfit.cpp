#include "hepcat/splitfit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/lm.hpp"
#include "hepcat/math/poisson.hpp"
#include "host/engine/communicator_reduce.hpp"
#include "host/engine/parallel.hpp"
#include "host/fit/fit_backend.hpp"
#include "host/fit/fit_cpu.hpp"
#include "host/splitfit/splitfit_cpu.hpp"

#ifdef HEPCAT_HAVE_CUDA
#include "kernels/splitfit.hpp"
#endif

namespace hepcat {

namespace {

void validate(const SplitFitConfig& c) {
  if (c.n_bins < 2 || c.n_bins > 512)
    throw Error("splitfit: n_bins must be 2 to 512, got " + std::to_string(c.n_bins));
  if (!(std::isfinite(c.lo) && std::isfinite(c.hi) && c.hi > c.lo))
    throw Error("splitfit: invalid fit range [" + std::to_string(c.lo) + ", " +
                std::to_string(c.hi) + ")");
  if (!(c.signal_width > 0)) throw Error("splitfit: signal width must be positive");
}

double kappa_of(const SplitFitConfig& c) {
  return c.kappa >= 0 ? c.kappa : c.n_bins + 3 * std::sqrt(2.0 * c.n_bins);
}

}  // namespace

FitConfig splitfit_fit_config(const SplitFitConfig& c, bool with_signal) {
  validate(c);
  FitConfig f;
  f.model = parse_model(c.background);
  if (f.model.signal != Signal::none || (f.model.background != Background::polynomial &&
                                         f.model.background != Background::bernstein &&
                                         f.model.background != Background::exponential))
    throw Error("splitfit: background '" + c.background + "' must be poly<k>, bernstein<k> or exp");
  const int nb = math::background_parameter_count(f.model);
  f.fixed.assign(nb, false);
  if (with_signal) {
    f.model.signal = Signal::gaussian;
    f.fixed.insert(f.fixed.end(), {false, true, true});
  }
  f.edges.resize(c.n_bins + 1);
  for (int j = 0; j <= c.n_bins; ++j) f.edges[j] = c.lo + (c.hi - c.lo) * j / c.n_bins;
  f.estimator = c.estimator;
  f.evaluation = c.evaluation;
  f.max_iterations = c.max_iterations;
  f.tolerance = c.tolerance;
  return f;
}

std::vector<double> splitfit_initial(const SplitFitConfig& c, bool with_signal,
                                     const double* histogram) {
  const ModelSpec m = parse_model(c.background);
  double total = 0;
  for (int j = 0; j < c.n_bins; ++j) total += histogram[j];
  const double density = std::max(total, 1.0) / (c.hi - c.lo);
  std::vector<double> p(math::background_parameter_count(m), 0.0);
  // A flat shape at the mean density: the constant term of a polynomial or exponential, and
  // every Bernstein coefficient (the basis sums to one).
  if (m.background == Background::bernstein)
    std::fill(p.begin(), p.end(), density);
  else
    p[0] = density;
  if (with_signal) p.insert(p.end(), {0.0, c.signal_mean, c.signal_width});
  return p;
}

SplitFitResult splitfit_loss_from_histograms(const SplitFitConfig& c,
                                             const std::vector<double>& pass,
                                             const std::vector<double>& fail, double mean_fail) {
  validate(c);
  if (pass.size() != static_cast<std::size_t>(c.n_bins) || fail.size() != pass.size())
    throw Error("splitfit: pass and fail histograms need " + std::to_string(c.n_bins) + " bins");
  if (!(mean_fail > 0))
    throw Error("splitfit: the mean fail fraction must be positive (every event passes)");
  SplitFitResult r;
  r.pass = pass;
  r.fail = fail;
  r.mean_fail = mean_fail;
  const std::size_t nb = c.n_bins;
  r.dloss_dpass.assign(nb, 0.0);
  r.dloss_dfail.assign(nb, 0.0);
  double dloss_dobjective[5];
  std::vector<double> dh_fit[4];
  std::vector<double> sb_params;
  for (int hyp = 0; hyp < 2; ++hyp) {
    const bool with_signal = hyp == 0;
    const FitConfig fc = splitfit_fit_config(c, with_signal);
    const math::FitProblem<double> P = detail::make_fit_problem(fc);
    for (int region = 0; region < 2; ++region) {
      const std::vector<double>& h = region == 0 ? pass : fail;
      std::vector<double> params = splitfit_initial(c, with_signal, h.data());
      std::vector<double> errors(params.size());
      double objective;
      int state, iterations;
      cpu::batched_fit(P, fc.edges.data(), 1, h.data(), nullptr,
                       {params.data(), errors.data(), &objective, &state, &iterations});
      const int k = 2 * region + hyp;  // S+B pass, B pass, S+B fail, B fail
      r.states[k] = static_cast<FitState>(state);
      dh_fit[k].resize(nb);
      r.objective[k] = math::objective_gradient_in_h(P, fc.edges.data(), h.data(),
                                                     static_cast<const double*>(nullptr),
                                                     params.data(), dh_fit[k].data());
      if (k == 0) r.sb_pass_parameters = params;
    }
  }
  math::SplitFitWeights w;
  w.lambda = c.lambda;
  w.kappa = kappa_of(c);
  w.delta = c.delta;
  w.relu = c.relu;
  r.loss =
      math::splitfit_loss(w, r.objective, mean_fail, dloss_dobjective, &r.loss_pass, &r.loss_fail);
  for (std::size_t j = 0; j < nb; ++j) {
    r.dloss_dpass[j] = dloss_dobjective[0] * dh_fit[0][j] + dloss_dobjective[1] * dh_fit[1][j];
    r.dloss_dfail[j] = dloss_dobjective[2] * dh_fit[2][j] + dloss_dobjective[3] * dh_fit[3][j];
  }
  r.dloss_dmean_fail = dloss_dobjective[4];
  return r;
}

SplitFitResult splitfit_loss(Context& ctx, const SplitFitConfig& c, const float* mass,
                             const float* weights, const float* scores, std::size_t n,
                             float* grad) {
  validate(c);
  if (n == 0) throw Error("splitfit: no events");
  const int nb = c.n_bins;
  std::vector<double> sums(2 * nb + 1);
#ifdef HEPCAT_HAVE_CUDA
  if (ctx.is_cuda()) {
    const auto stream = static_cast<cudaStream_t>(ctx.stream());
    const std::size_t partial = cuda::soft_split_scratch_bytes(n, nb);
    char* scratch = static_cast<char*>(ctx.scratch(partial + sums.size() * sizeof(double)));
    auto* d_sums = reinterpret_cast<double*>(scratch + partial);
    cuda::launch_soft_split_histograms(mass, weights, scores, n, nb, c.lo, c.hi, scratch, d_sums,
                                       stream);
    memory::copy_to_host(ctx, sums.data(), d_sums, sums.size() * sizeof(double));
    detail::add_over_ranks(sums);
  }
#endif
  if (!ctx.is_cuda())
    cpu::soft_split_histograms(mass, weights, scores, n, nb, c.lo, c.hi, sums.data());
  const std::vector<double> pass(sums.begin(), sums.begin() + nb),
      fail(sums.begin() + nb, sums.begin() + 2 * nb);
  // Under MPI the events are this rank's shard: the mean is over all ranks' events.
  const auto all = static_cast<double>(detail::rows_over_ranks(n));
  SplitFitResult r = splitfit_loss_from_histograms(c, pass, fail, sums[2 * nb] / all);
  if (grad == nullptr) return r;
  const double dq_per_event = r.dloss_dmean_fail / all;
#ifdef HEPCAT_HAVE_CUDA
  if (ctx.is_cuda()) {
    std::vector<double> dh(r.dloss_dpass);
    dh.insert(dh.end(), r.dloss_dfail.begin(), r.dloss_dfail.end());
    auto* d_dh = static_cast<double*>(ctx.scratch(dh.size() * sizeof(double)));
    memory::copy_to_backend(ctx, d_dh, dh.data(), dh.size() * sizeof(double));
    cuda::launch_soft_split_backward(mass, weights, scores, n, nb, c.lo, c.hi, d_dh, d_dh + nb,
                                     dq_per_event, grad, static_cast<cudaStream_t>(ctx.stream()));
    return r;
  }
#endif
  cpu::soft_split_backward(mass, weights, scores, n, nb, c.lo, c.hi, r.dloss_dpass.data(),
                           r.dloss_dfail.data(), dq_per_event, grad);
  return r;
}

SplitFitResult splitfit_loss(Context& ctx, const SplitFitConfig& c, const std::vector<float>& mass,
                             const std::vector<float>& weights, const std::vector<float>& scores,
                             std::vector<float>* grad) {
  const std::size_t n = mass.size();
  if (scores.size() != n || (!weights.empty() && weights.size() != n))
    throw Error("splitfit: mass, weights and scores need one value per event (" +
                std::to_string(n) + ")");
  if (grad) grad->resize(n);
  if (!ctx.is_cuda())
    return splitfit_loss(ctx, c, mass.data(), weights.empty() ? nullptr : weights.data(),
                         scores.data(), n, grad ? grad->data() : nullptr);
  Buffer<float> d_mass(ctx, mass), d_scores(ctx, scores), d_weights(ctx, weights), d_grad;
  if (grad) d_grad = Buffer<float>(ctx, n);
  SplitFitResult r =
      splitfit_loss(ctx, c, d_mass.data(), weights.empty() ? nullptr : d_weights.data(),
                    d_scores.data(), n, grad ? d_grad.data() : nullptr);
  if (grad) *grad = d_grad.to_host(ctx);
  return r;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) throw Error("quantile of no values");
  std::sort(values.begin(), values.end());
  const double pos = q * (values.size() - 1);
  const std::size_t i = static_cast<std::size_t>(std::floor(pos));
  if (i + 1 >= values.size()) return values.back();
  return values[i] + (pos - i) * (values[i + 1] - values[i]);
}

PseudoExperiments pseudo_experiments(Context& ctx, const SplitFitConfig& c,
                                     const std::vector<std::vector<double>>& expected, int n_toys,
                                     std::uint64_t seed) {
  validate(c);
  if (n_toys < 1) throw Error("pseudo_experiments: need at least one toy");
  if (expected.empty()) throw Error("pseudo_experiments: need at least one region");
  const std::size_t nb = c.n_bins, regions = expected.size();
  for (const auto& e : expected)
    if (e.size() != nb)
      throw Error("pseudo_experiments: every expected histogram needs " + std::to_string(nb) +
                  " bins");
  const std::size_t n_fits = static_cast<std::size_t>(n_toys) * regions;
  std::vector<double> toys(n_fits * nb);
  // Bin j of region r in toy t draws from its own Philox counters: the same toys on any
  // backend and thread count.
#pragma omp parallel for schedule(static) num_threads(cpu::max_threads())
  for (std::int64_t f = 0; f < static_cast<std::int64_t>(n_fits); ++f)
    for (std::size_t j = 0; j < nb; ++j) {
      const std::uint64_t index = static_cast<std::uint64_t>(f) * nb + j;
      math::UniformStream u(seed, index, 0x7059u);
      toys[index] =
          static_cast<double>(math::poisson_variate(std::max(expected[f % regions][j], 0.0), u));
    }
  std::vector<double> objective[2];
  PseudoExperiments out;
  for (int hyp = 0; hyp < 2; ++hyp) {
    const bool with_signal = hyp == 0;
    std::vector<double> init;
    for (std::size_t f = 0; f < n_fits; ++f) {
      const auto p = splitfit_initial(c, with_signal, toys.data() + f * nb);
      init.insert(init.end(), p.begin(), p.end());
    }
    const FitResults r = fit_histograms(ctx, splitfit_fit_config(c, with_signal), toys, init);
    objective[hyp] = r.objective;
    for (FitState s : r.states) out.unconverged_fits += s != FitState::converged;
  }
  out.significance.resize(n_toys);
  for (int t = 0; t < n_toys; ++t) {
    double delta = 0;
    for (std::size_t r = 0; r < regions; ++r)
      delta += objective[1][t * regions + r] - objective[0][t * regions + r];
    out.significance[t] = std::sqrt(std::max(delta, 0.0));
  }
  out.median = quantile(out.significance, 0.5);
  out.q16 = quantile(out.significance, 0.16);
  out.q84 = quantile(out.significance, 0.84);
  out.q025 = quantile(out.significance, 0.025);
  out.q975 = quantile(out.significance, 0.975);
  return out;
}

}  // namespace hepcat
