#include "hepcat/fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "host/fit/fit_backend.hpp"
#include "host/fit/fit_cpu.hpp"

#ifdef HEPCAT_HAVE_CUDA
#include "kernels/fit.hpp"
#endif

namespace hepcat {

const char* to_string(FitState state) {
  switch (state) {
    case FitState::converged:
      return "converged";
    case FitState::max_iterations:
      return "max_iterations";
    case FitState::singular:
      return "singular";
    default:
      return "stalled";
  }
}

const char* to_string(Estimator estimator) {
  switch (estimator) {
    case Estimator::neyman:
      return "neyman";
    case Estimator::pearson:
      return "pearson";
    case Estimator::variance:
      return "variance";
    default:
      return "poisson";
  }
}

Estimator parse_estimator(const std::string& text) {
  for (Estimator e :
       {Estimator::neyman, Estimator::pearson, Estimator::variance, Estimator::poisson})
    if (text == to_string(e)) return e;
  throw Error("estimator '" + text + "' is not one of neyman, pearson, variance, poisson");
}

namespace {

void parse_background(const std::string& text, const std::string& whole, ModelSpec& m) {
  auto with_order = [&](const std::string& prefix, Background b) {
    if (text.rfind(prefix, 0) != 0 || text.size() != prefix.size() + 1) return false;
    const char c = text.back();
    if (c < '0' || c > '0' + math::kMaxShapeOrder)
      throw Error("model '" + whole + "': order of " + prefix + " must be 0 to 5");
    m.background = b;
    m.order = c - '0';
    return true;
  };
  if (with_order("poly", Background::polynomial) || with_order("bernstein", Background::bernstein))
    return;
  if (text == "exp")
    m.background = Background::exponential;
  else if (text == "powerlaw")
    m.background = Background::power_law;
  else if (text == "dijet")
    m.background = Background::dijet;
  else if (text == "none")
    m.background = Background::none;
  else
    throw Error("model '" + whole + "': unknown background '" + text +
                "' (poly<k>, bernstein<k>, exp, powerlaw, dijet, none)");
}

}  // namespace

ModelSpec parse_model(const std::string& text) {
  ModelSpec m;
  std::vector<std::string> parts;
  for (std::size_t from = 0;;) {
    const auto plus = text.find('+', from);
    parts.push_back(text.substr(from, plus == std::string::npos ? plus : plus - from));
    if (plus == std::string::npos) break;
    from = plus + 1;
  }
  std::size_t k = 0;
  if (parts[0] == "gauss" || parts[0] == "cb" || parts[0] == "template")
    m.background = Background::none;
  else
    parse_background(parts[k++], text, m);
  if (k < parts.size() && (parts[k] == "gauss" || parts[k] == "cb"))
    m.signal = parts[k++] == "gauss" ? Signal::gaussian : Signal::crystal_ball;
  for (; k < parts.size() && parts[k] == "template"; ++k) ++m.templates;
  if (k < parts.size())
    throw Error("model '" + text + "': unknown " +
                (m.signal == Signal::none && m.templates == 0 ? "signal" : "component") + " '" +
                parts[k] + "' (gauss, cb, then template for each template component)");
  return m;
}

std::string model_name(const ModelSpec& m) {
  std::string b;
  switch (m.background) {
    case Background::polynomial:
      b = "poly" + std::to_string(m.order);
      break;
    case Background::bernstein:
      b = "bernstein" + std::to_string(m.order);
      break;
    case Background::exponential:
      b = "exp";
      break;
    case Background::power_law:
      b = "powerlaw";
      break;
    case Background::dijet:
      b = "dijet";
      break;
    default:
      b = "none";
  }
  const char* s = m.signal == Signal::gaussian       ? "gauss"
                  : m.signal == Signal::crystal_ball ? "cb"
                                                     : "";
  std::string name = *s == '\0'                         ? b
                     : m.background == Background::none ? std::string(s)
                                                        : b + "+" + s;
  for (int t = 0; t < m.templates; ++t)
    name = t == 0 && name == "none" ? "template" : name + "+template";
  return name;
}

std::vector<std::string> parameter_names(const ModelSpec& m) {
  std::vector<std::string> names;
  for (int k = 0; k < math::background_parameter_count(m); ++k)
    names.push_back("b" + std::to_string(k));
  const char* signal[] = {"yield", "mean", "width", "alpha", "n"};
  for (int k = 0; k < math::signal_parameter_count(m); ++k) names.push_back(signal[k]);
  for (int t = 0; t < m.templates; ++t) names.push_back("template" + std::to_string(t));
  return names;
}

namespace {

// Template rows of a configuration: finite, non-negative entries with a positive sum, and
// finite, non-negative variances, in the counts the model names.
void check_templates(const FitConfig& c, int n_templates) {
  const std::size_t nb = c.n_bins();
  if (n_templates < 0 || n_templates > math::kMaxTemplates)
    throw Error("fit: " + std::to_string(n_templates) + " template components; 0 to " +
                std::to_string(math::kMaxTemplates) + " are supported");
  const std::size_t want = static_cast<std::size_t>(n_templates) * nb;
  if (c.templates.size() != want)
    throw Error("fit: model '" + model_name(c.model) + "' has " + std::to_string(n_templates) +
                " template components of " + std::to_string(nb) + " bins (" + std::to_string(want) +
                " values); the templates hold " + std::to_string(c.templates.size()));
  if (!c.template_variances.empty() && c.template_variances.size() != want)
    throw Error("fit: template variances hold " + std::to_string(c.template_variances.size()) +
                " values; the templates " + std::to_string(want));
  for (int t = 0; t < n_templates; ++t) {
    double sum = 0;
    for (std::size_t j = 0; j < nb; ++j) {
      const std::string where =
          "fit: template " + std::to_string(t) + " bin " + std::to_string(j) + " ";
      const double v = c.templates[t * nb + j];
      if (!std::isfinite(v)) throw Error(where + "is not finite");
      if (v < 0) throw Error(where + "is negative (" + std::to_string(v) + ")");
      sum += v;
      if (c.template_variances.empty()) continue;
      const double w = c.template_variances[t * nb + j];
      if (!std::isfinite(w) || w < 0)
        throw Error(where + "has a variance that is negative or not finite");
    }
    if (!(sum > 0)) throw Error("fit: template " + std::to_string(t) + " is empty (sum 0)");
  }
}

// The normalised template contents, then (when given) the normalised variances: what
// FitProblem::template_fractions and template_variances point at.
std::vector<double> template_arrays(const FitConfig& c) {
  const std::size_t nb = c.n_bins(), nt = c.templates.size() / (nb ? nb : 1);
  std::vector<double> a(c.templates.size() + c.template_variances.size());
  for (std::size_t t = 0; t < nt; ++t) {
    double sum = 0;
    for (std::size_t j = 0; j < nb; ++j) sum += c.templates[t * nb + j];
    for (std::size_t j = 0; j < nb; ++j) {
      a[t * nb + j] = c.templates[t * nb + j] / sum;
      if (!c.template_variances.empty())
        a[(nt + t) * nb + j] = c.template_variances[t * nb + j] / (sum * sum);
    }
  }
  return a;
}

// Points P's templates into `arrays` (template_arrays' layout, on P's backend).
void point_templates(math::FitProblem<double>& P, const FitConfig& c, const double* arrays) {
  if (c.templates.empty()) return;
  P.template_fractions = arrays;
  if (!c.template_variances.empty()) P.template_variances = arrays + c.templates.size();
}

}  // namespace

math::FitProblem<double> detail::make_fit_problem(const FitConfig& c) {
  math::FitProblem<double> P;
  const int nb = c.n_bins();
  if (nb < 1 || nb > 512)
    throw Error("fit: need 2 to 513 bin edges (1 to 512 bins), got " +
                std::to_string(c.edges.size()));
  for (int j = 0; j < nb; ++j)
    if (!(c.edges[j + 1] > c.edges[j]) || !std::isfinite(c.edges[j]) ||
        !std::isfinite(c.edges[j + 1]))
      throw Error("fit: bin edges must be finite and increasing (edge " + std::to_string(j + 1) +
                  ")");
  P.model = c.model;
  if (P.model.x_lo == P.model.x_hi) {
    P.model.x_lo = c.edges.front();
    P.model.x_hi = c.edges.back();
  }
  if ((P.model.background == Background::polynomial ||
       P.model.background == Background::bernstein) &&
      (P.model.order < 0 || P.model.order > math::kMaxShapeOrder))
    throw Error("fit: polynomial order " + std::to_string(P.model.order) + " outside 0..5");
  if ((P.model.background == Background::power_law || P.model.background == Background::dijet) &&
      !(c.edges.front() > 0 && P.model.scale > 0))
    throw Error("fit: power-law and dijet shapes need positive x and a positive scale");
  if (P.model.background == Background::dijet && !(c.edges.back() < P.model.scale))
    throw Error("fit: the dijet shape needs scale above the last edge (z = x / scale < 1)");
  check_templates(c, P.model.templates);
  const int np = math::parameter_count(P.model);
  if (np < 1 || np > math::kMaxFitParams)
    throw Error("fit: model '" + model_name(P.model) + "' has " + std::to_string(np) +
                " parameters; 1 to 16 are supported");
  auto check_size = [&](std::size_t n, const char* what) {
    if (n != 0 && n != static_cast<std::size_t>(np))
      throw Error(std::string("fit: ") + what + " has " + std::to_string(n) + " entries, model '" +
                  model_name(P.model) + "' has " + std::to_string(np) + " parameters");
  };
  check_size(c.lower.size(), "lower bounds");
  check_size(c.upper.size(), "upper bounds");
  check_size(c.fixed.size(), "fixed mask");
  P.n_bins = nb;
  P.n_params = np;
  P.estimator = c.estimator;
  P.evaluation = c.evaluation;
  const double inf = std::numeric_limits<double>::infinity();
  for (int i = 0; i < np; ++i) {
    P.lower[i] = c.lower.empty() ? -inf : c.lower[i];
    P.upper[i] = c.upper.empty() ? inf : c.upper[i];
    if (!(P.lower[i] <= P.upper[i]))
      throw Error("fit: lower bound above upper bound for parameter " + std::to_string(i));
    if (c.fixed.empty() || !c.fixed[i]) P.free_index[P.n_free++] = i;
  }
  if (c.max_iterations < 1) throw Error("fit: max_iterations must be at least 1");
  if (!(c.tolerance > 0)) throw Error("fit: tolerance must be positive");
  if (!(c.errordef > 0) || !std::isfinite(c.errordef))
    throw Error("fit: errordef must be positive and finite");
  if (c.starts < 1 || c.starts > 1000) throw Error("fit: starts must be 1 to 1000");
  P.max_iterations = c.max_iterations;
  P.tolerance = c.tolerance;
  P.errordef = c.errordef;
  P.edm_max = 2e-4 * c.errordef;
  P.starts = c.starts;
  if (c.minos.size() > static_cast<std::size_t>(math::kMaxFitParams))
    throw Error("fit: at most 16 MINOS parameters");
  for (int i : c.minos) {
    bool free = false;
    for (int k = 0; k < P.n_free; ++k) free = free || P.free_index[k] == i;
    if (!free)
      throw Error("fit: MINOS parameter " + std::to_string(i) + " is not a free parameter of '" +
                  model_name(P.model) + "'");
    P.minos_index[P.n_minos++] = i;
  }
  if (c.significance && P.model.signal == Signal::none)
    throw Error("fit: the significance needs a model with a signal");
  P.significance = c.significance;
  // Linear in every free parameter: polynomial and Bernstein coefficients and the yields; not
  // with template uncertainties, whose variance is quadratic in the template yields.
  const int nbg = math::background_parameter_count(P.model);
  P.linear = c.template_variances.empty();
  for (int k = 0; k < P.n_free; ++k) {
    const int i = P.free_index[k];
    const bool linear_background =
        i < nbg && (P.model.background == Background::polynomial ||
                    P.model.background == Background::bernstein || i == 0);
    if (!linear_background && i != nbg && i < math::first_template_parameter(P.model))
      P.linear = false;
  }
  return P;
}

std::vector<double> bin_expectations(const FitConfig& config, const std::vector<double>& params) {
  math::FitProblem<double> P = detail::make_fit_problem(config);
  const std::vector<double> templates = template_arrays(config);
  point_templates(P, config, templates.data());
  if (params.size() != static_cast<std::size_t>(P.n_params))
    throw Error("bin_expectations: " + std::to_string(params.size()) +
                " parameters given, model '" + model_name(P.model) + "' has " +
                std::to_string(P.n_params));
  std::vector<double> mu(P.n_bins);
  math::for_each_bin_expectation(P, config.edges.data(), params.data(),
                                 [&](int j, double m) { mu[j] = m; });
  return mu;
}

std::vector<double> FitResults::correlation(std::size_t f) const {
  if (f >= n_fits)
    throw Error("FitResults::correlation: fit " + std::to_string(f) + " of " +
                std::to_string(n_fits));
  const std::size_t np = n_params;
  std::vector<double> c(np * np, 0.0);
  const double* v = covariance.data() + f * np * np;
  for (std::size_t i = 0; i < np; ++i)
    for (std::size_t j = 0; j < np; ++j)
      if (v[i * np + i] > 0 && v[j * np + j] > 0)
        c[i * np + j] = v[i * np + j] / std::sqrt(v[i * np + i] * v[j * np + j]);
  return c;
}

void fit_histograms_on_backend(Context& ctx, const FitConfig& config, std::size_t n_fits,
                               const double* d_histograms, const double* d_variances,
                               double* d_params, double* d_errors, double* d_objective,
                               int* d_state, int* d_iterations) {
  math::FitOutputs<double> out{d_params, d_errors, d_objective, d_state, d_iterations};
  detail::fit_histograms_on_backend(ctx, config, n_fits, d_histograms, d_variances, out);
}

namespace {

// For a model linear in its free parameters whose fixed parameters have the same values in every
// fit, the expectation is mu_j = c_j + sum_k B_jk theta_k with c and B the same for the whole
// batch: computed once here, they spare every fit its model evaluations. Empty otherwise.
std::vector<double> linear_basis(const math::FitProblem<double>& P, const double* edges,
                                 std::size_t n_fits, const double* params) {
  if (!P.linear || P.n_free == 0 || n_fits == 0) return {};
  const std::size_t np = P.n_params;
  std::vector<bool> is_free(np, false);
  for (int k = 0; k < P.n_free; ++k) is_free[P.free_index[k]] = true;
  for (std::size_t f = 1; f < n_fits; ++f)
    for (std::size_t i = 0; i < np; ++i)
      if (!is_free[i] && params[f * np + i] != params[i]) return {};
  using S = math::Dual<double, math::kMaxFitParams>;
  S q[math::kMaxFitParams];
  for (std::size_t i = 0; i < np; ++i) q[i] = S(is_free[i] ? 0.0 : params[i]);
  for (int k = 0; k < P.n_free; ++k) q[P.free_index[k]].d[k] = 1;
  const int w = P.n_free + 1;
  std::vector<double> basis(static_cast<std::size_t>(P.n_bins) * w);
  math::for_each_bin_expectation(P, edges, q, [&](int j, const S& mu) {
    basis[j * w] = mu.v;
    for (int k = 0; k < P.n_free; ++k) basis[j * w + 1 + k] = mu.d[k];
  });
  return basis;
}

}  // namespace

void detail::fit_histograms_on_backend([[maybe_unused]] Context& ctx, const FitConfig& config,
                                       std::size_t n_fits, const double* d_histograms,
                                       const double* d_variances,
                                       const math::FitOutputs<double>& out) {
  math::FitProblem<double> P = detail::make_fit_problem(config);
  if (P.estimator == Estimator::variance && d_variances == nullptr)
    throw Error("fit: the variance estimator needs per-bin variances");
  const double* variances = P.estimator == Estimator::variance ? d_variances : nullptr;
  const std::vector<double> templates = template_arrays(config);
#ifdef HEPCAT_HAVE_CUDA
  if (ctx.is_cuda()) {
    // One scratch allocation: the edges, then the templates.
    const std::size_t ne = config.edges.size();
    auto* d_edges = static_cast<double*>(ctx.scratch((ne + templates.size()) * sizeof(double)));
    memory::copy_to_backend(ctx, d_edges, config.edges.data(), ne * sizeof(double));
    if (!templates.empty())
      memory::copy_to_backend(ctx, d_edges + ne, templates.data(),
                              templates.size() * sizeof(double));
    point_templates(P, config, d_edges + ne);
    cuda::launch_batched_fit(P, d_edges, n_fits, d_histograms, variances, out,
                             static_cast<cudaStream_t>(ctx.stream()));
    return;
  }
#endif
  point_templates(P, config, templates.data());
  const std::vector<double> basis = linear_basis(P, config.edges.data(), n_fits, out.params);
  if (!basis.empty()) P.basis = basis.data();
  cpu::batched_fit(P, config.edges.data(), n_fits, d_histograms, variances, out);
}

FitResults fit_histograms(Context& ctx, const FitConfig& config,
                          const std::vector<double>& histograms, const std::vector<double>& initial,
                          const std::vector<double>& variances) {
  const math::FitProblem<double> P = detail::make_fit_problem(config);
  const std::size_t nb = static_cast<std::size_t>(P.n_bins), np = P.n_params;
  if (histograms.size() % nb != 0)
    throw Error("fit: histogram array of " + std::to_string(histograms.size()) +
                " values is not a multiple of " + std::to_string(nb) + " bins");
  const std::size_t n_fits = histograms.size() / nb;
  if (initial.size() != np && initial.size() != n_fits * np)
    throw Error(
        "fit: initial parameters have " + std::to_string(initial.size()) + " values; expected " +
        std::to_string(np) + " (one per parameter of model '" + model_name(P.model) + "')" +
        (n_fits > 1 ? " or " + std::to_string(n_fits * np) + " (one set per fit)" : std::string()));
  if (P.estimator == Estimator::variance && variances.size() != histograms.size())
    throw Error("fit: variances have " + std::to_string(variances.size()) +
                " values; the histograms " + std::to_string(histograms.size()));
  for (double v : histograms) {
    if (!std::isfinite(v)) throw Error("fit: histogram contents must be finite");
    if (v < 0 && P.estimator == Estimator::poisson)
      throw Error(
          "fit: the poisson estimator needs bin contents >= 0; weighted histograms with "
          "negative entries take the variance estimator");
  }
  FitResults r;
  r.n_fits = n_fits;
  r.n_params = P.n_params;
  r.parameters.resize(n_fits * np);
  for (std::size_t f = 0; f < n_fits; ++f)
    for (std::size_t i = 0; i < np; ++i)
      r.parameters[f * np + i] = initial.size() == np ? initial[i] : initial[f * np + i];
  std::vector<int> state(n_fits), valid(n_fits), at_limit(n_fits);
  r.errors.resize(n_fits * np);
  r.objective.resize(n_fits);
  r.iterations.resize(n_fits);
  r.covariance.resize(n_fits * np * np);
  r.edm.resize(n_fits);
  r.evaluations.resize(n_fits);
  r.errordef = config.errordef;
  r.ndf = P.n_bins - P.n_free;
  const std::size_t nm = config.minos.size();
  r.minos.resize(n_fits * nm * 2);
  if (config.significance) r.significance.resize(n_fits);
  if (ctx.is_cuda()) {
    Buffer<double> h(ctx, histograms), p(ctx, r.parameters), e(ctx, n_fits * np), o(ctx, n_fits);
    Buffer<double> v(ctx, P.estimator == Estimator::variance ? variances : std::vector<double>{});
    Buffer<double> cov(ctx, n_fits * np * np), edm(ctx, n_fits), mi(ctx, n_fits * nm * 2),
        z(ctx, config.significance ? n_fits : 0);
    Buffer<int> s(ctx, n_fits), it(ctx, n_fits), ev(ctx, n_fits), va(ctx, n_fits), lim(ctx, n_fits);
    detail::fit_histograms_on_backend(
        ctx, config, n_fits, h.data(), v.empty() ? nullptr : v.data(),
        {p.data(), e.data(), o.data(), s.data(), it.data(), cov.data(), edm.data(), ev.data(),
         va.data(), lim.data(), nm ? mi.data() : nullptr, z.empty() ? nullptr : z.data()});
    r.parameters = p.to_host(ctx);
    r.errors = e.to_host(ctx);
    r.objective = o.to_host(ctx);
    state = s.to_host(ctx);
    r.iterations = it.to_host(ctx);
    r.covariance = cov.to_host(ctx);
    r.edm = edm.to_host(ctx);
    r.evaluations = ev.to_host(ctx);
    valid = va.to_host(ctx);
    at_limit = lim.to_host(ctx);
    r.minos = mi.to_host(ctx);
    if (config.significance) r.significance = z.to_host(ctx);
  } else {
    detail::fit_histograms_on_backend(
        ctx, config, n_fits, histograms.data(), variances.empty() ? nullptr : variances.data(),
        {r.parameters.data(), r.errors.data(), r.objective.data(), state.data(),
         r.iterations.data(), r.covariance.data(), r.edm.data(), r.evaluations.data(), valid.data(),
         at_limit.data(), nm ? r.minos.data() : nullptr,
         config.significance ? r.significance.data() : nullptr});
  }
  r.valid.resize(n_fits);
  r.at_limit.resize(n_fits * np);
  for (std::size_t f = 0; f < n_fits; ++f) {
    r.valid[f] = static_cast<std::uint8_t>(valid[f]);
    for (std::size_t i = 0; i < np; ++i) r.at_limit[f * np + i] = (at_limit[f] >> i) & 1;
  }
  r.states.resize(n_fits);
  for (std::size_t f = 0; f < n_fits; ++f) r.states[f] = static_cast<FitState>(state[f]);
  return r;
}

std::vector<double> default_initial_parameters(const FitConfig& config,
                                               const std::vector<double>& histogram) {
  const ModelSpec& m = config.model;
  if (m.background == Background::power_law || m.background == Background::dijet)
    throw Error("initial parameters are required for the " + model_name(m) + " model");
  double total = 0;
  for (double h : histogram) total += h;
  const double lo = config.edges.front(), hi = config.edges.back();
  const double density = std::max(total, 1.0) / (hi - lo);
  std::vector<double> p(math::background_parameter_count(m), 0.0);
  if (m.background == Background::bernstein)
    std::fill(p.begin(), p.end(), density);
  else if (!p.empty())
    p[0] = density;
  const std::vector<double> signal{0.0, 0.5 * (lo + hi), (hi - lo) / 20, 1.5, 3.0};
  const double yield = p.empty() ? std::max(total, 1.0) : 0.05 * total;
  for (int k = 0; k < math::signal_parameter_count(m); ++k) p.push_back(k == 0 ? yield : signal[k]);
  // The entries shared between the templates and the analytic shapes, if any.
  const int shares = m.templates + (p.empty() ? 0 : 1);
  for (int t = 0; t < m.templates; ++t) p.push_back(std::max(total, 1.0) / shares);
  return p;
}

}  // namespace hepcat
