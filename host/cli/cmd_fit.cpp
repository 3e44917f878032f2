// hepcat fit: a batch of histograms from JSON or HDF5 to fitted parameters, uncertainties from the
// inverse Hessian, chi2 (or Poisson deviance) and convergence states, all fits in one call.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/fit.hpp"
#include "hepcat/io.hpp"
#include "host/cli/commands.hpp"
#include "host/io/json_error.hpp"

namespace hepcat::cli {

namespace {

struct FitOptions {
  CommonOptions common;
  std::string input;
  std::string out = "fit.json";
  std::string model = "poly2+gauss";
  std::string estimator = "neyman";
  std::string evaluation = "integral";
  std::vector<double> init, lower, upper;
  std::vector<std::string> fix;
  double scale = 0;
  int max_iterations = 100;
  double tolerance = 1e-8;
  double errordef = 1;
  int starts = 1;
  std::vector<std::string> minos;
  bool significance = false;
  std::vector<std::string> templates;
};

std::vector<double> row_of(const nlohmann::json& j, const std::string& what) {
  if (!j.is_array()) throw Error("fit input: " + what + " must be an array of numbers");
  std::vector<double> v;
  for (const auto& x : j) {
    if (!x.is_number()) throw Error("fit input: " + what + " holds a value that is not a number");
    v.push_back(x.get<double>());
  }
  return v;
}

std::size_t bins_of(const std::string& path, const std::vector<double>& edges) {
  if (edges.size() < 2)
    throw Error("fit input '" + path + "': \"edges\" needs at least two values");
  return edges.size() - 1;
}

// JSON: {"edges": [...], "histograms": [[...], ...], "variances": [[...], ...]}; a single
// histogram may be given as "histogram": [...].
void read_json_input(const std::string& path, FitConfig& config, std::vector<double>& hists,
                     std::vector<double>& variances) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open fit input '" + path + "'");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw Error("fit input '" + path + "' is not valid JSON: " + detail::json_error_text(e));
  }
  if (!j.contains("edges")) throw Error("fit input '" + path + "' has no \"edges\"");
  config.edges = row_of(j["edges"], "edges");
  const std::size_t nb = bins_of(path, config.edges);
  auto rows = [&](const char* key, std::vector<double>& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_array())
      throw Error("fit input '" + path + "': \"" + key + "\" must be an array of rows");
    for (std::size_t r = 0; r < j[key].size(); ++r) {
      const auto row = row_of(j[key][r], std::string(key) + "[" + std::to_string(r) + "]");
      if (row.size() != nb)
        throw Error("fit input: " + std::string(key) + "[" + std::to_string(r) + "] has " +
                    std::to_string(row.size()) + " bins, the edges give " + std::to_string(nb));
      out.insert(out.end(), row.begin(), row.end());
    }
  };
  if (j.contains("histogram")) {
    hists = row_of(j["histogram"], "histogram");
    if (hists.size() != nb) throw Error("fit input: histogram and edges disagree in length");
  }
  rows("histograms", hists);
  rows("variances", variances);
}

// HDF5 ("file.h5" or "file.h5:/group"): the same fields as datasets, "edges" and "histogram"
// 1-D, "histograms" and "variances" 2-D (one row per fit).
void read_hdf5_input(const std::string& path, FitConfig& config, std::vector<double>& hists,
                     std::vector<double>& variances) {
  const std::vector<std::string> datasets = list_hdf5_datasets(path);
  const auto has = [&](const std::string& name) {
    return std::find(datasets.begin(), datasets.end(), name) != datasets.end();
  };
  config.edges = read_hdf5_array(path, "edges", 1).values;
  const std::size_t nb = bins_of(path, config.edges);
  const auto check_bins = [&](const std::string& name, std::size_t bins) {
    if (bins != nb)
      throw Error("fit input '" + path + "' dataset '" + name + "' has " + std::to_string(bins) +
                  " bins, the edges give " + std::to_string(nb));
  };
  if (has("histogram")) {
    hists = read_hdf5_array(path, "histogram", 1).values;
    check_bins("histogram", hists.size());
  }
  for (const auto& [name, out] :
       {std::pair{"histograms", &hists}, std::pair{"variances", &variances}}) {
    if (!has(name)) continue;
    const Array a = read_hdf5_array(path, name, 2);
    check_bins(name, a.shape[1]);
    out->insert(out->end(), a.values.begin(), a.values.end());
  }
}

// Both formats give the same batch: edges, n_fits x n_bins histograms and, when given, as many
// variances.
void read_input(const std::string& path, FitConfig& config, std::vector<double>& hists,
                std::vector<double>& variances) {
  if (is_hdf5_path(path))
    read_hdf5_input(path, config, hists, variances);
  else
    read_json_input(path, config, hists, variances);
  if (hists.empty()) throw Error("fit input '" + path + "' has no \"histograms\"");
  if (!variances.empty() && variances.size() != hists.size()) {
    const std::size_t nb = config.edges.size() - 1;
    throw Error("fit input '" + path + "' has " + std::to_string(variances.size() / nb) +
                " rows of variances for " + std::to_string(hists.size() / nb) + " histograms");
  }
}

// Template files, in the input's format: the fit's edges, one histogram, optionally one row of
// variances (all templates or none).
void read_templates(const std::vector<std::string>& paths, FitConfig& config) {
  for (const std::string& path : paths) {
    FitConfig t;
    std::vector<double> h, v;
    read_input(path, t, h, v);
    if (t.edges != config.edges)
      throw Error("template '" + path + "' has other edges than the fit input");
    if (h.size() != config.edges.size() - 1)
      throw Error("template '" + path + "' holds " +
                  std::to_string(h.size() / (config.edges.size() - 1)) +
                  " histograms; a template is one");
    if (path != paths.front() && v.empty() != config.template_variances.empty())
      throw Error("template '" + path + "': give variances for every template or for none");
    config.templates.insert(config.templates.end(), h.begin(), h.end());
    config.template_variances.insert(config.template_variances.end(), v.begin(), v.end());
  }
}

void run_fit(const FitOptions& o) {
  require_one_process("fit");
  FitConfig config;
  std::vector<double> hists, variances;
  read_input(o.input, config, hists, variances);
  read_templates(o.templates, config);
  config.model = parse_model(o.model);
  config.model.templates += static_cast<int>(o.templates.size());
  config.model.scale = o.scale;
  config.estimator = parse_estimator(o.estimator);
  if (o.evaluation != "integral" && o.evaluation != "centre")
    throw Error("--evaluation must be integral or centre, got '" + o.evaluation + "'");
  config.evaluation =
      o.evaluation == "integral" ? Evaluation::bin_integral : Evaluation::bin_centre;
  config.lower = o.lower;
  config.upper = o.upper;
  config.max_iterations = o.max_iterations;
  config.tolerance = o.tolerance;
  config.errordef = o.errordef;
  config.starts = o.starts;
  const std::vector<std::string> names = parameter_names(config.model);
  auto list_names = [&] {
    std::string text;
    for (const std::string& n : names) text += (text.empty() ? "" : ",") + n;
    return text;
  };
  for (const auto& [option, values] : {std::pair{"--init", &o.init}, std::pair{"--lower", &o.lower},
                                       std::pair{"--upper", &o.upper}})
    if (!values->empty() && values->size() != names.size())
      throw Error(std::string(option) + " has " + std::to_string(values->size()) +
                  " values; model " + model_name(config.model) + " has " +
                  std::to_string(names.size()) + " parameters: " + list_names());
  std::size_t negative = 0;
  for (double h : hists) negative += h < 0;
  if (negative > 0 && config.estimator == Estimator::poisson)
    throw Error("fit input '" + o.input + "' has " + std::to_string(negative) +
                " negative bin contents; the poisson estimator needs counts >= 0 (use variance "
                "with per-bin variances for weighted histograms)");
  if (negative > 0 && config.estimator != Estimator::variance)
    std::cerr << "hepcat: warning: " << negative << " negative bin contents; the "
              << to_string(config.estimator)
              << (config.estimator == Estimator::neyman ? " estimator gives them variance 1"
                                                        : " estimator is not a chi2 for them")
              << " (the variance estimator takes per-bin variances)\n";
  if (!o.fix.empty()) {
    config.fixed.assign(names.size(), false);
    for (const std::string& f : o.fix) {
      const auto it = std::find(names.begin(), names.end(), f);
      if (it == names.end())
        throw Error("--fix: no parameter '" + f + "' in model " + model_name(config.model) +
                    " (parameters: " + list_names() + ")");
      config.fixed[it - names.begin()] = true;
    }
  }
  for (const std::string& f : o.minos) {
    const auto it = std::find(names.begin(), names.end(), f);
    if (it == names.end())
      throw Error("--minos: no parameter '" + f + "' in model " + model_name(config.model) +
                  " (parameters: " + list_names() + ")");
    config.minos.push_back(static_cast<int>(it - names.begin()));
  }
  config.significance = o.significance;
  const std::size_t nb = config.edges.size() - 1;
  const std::vector<double> init =
      o.init.empty() ? default_initial_parameters(
                           config, std::vector<double>(hists.begin(), hists.begin() + nb))
                     : o.init;
  Context ctx(o.common.device, o.common.verbose);
  const FitResults r = fit_histograms(ctx, config, hists, init, variances);

  write_fit_results(o.out, config, r, hists, ctx.device_name());
  const auto converged = std::count(r.states.begin(), r.states.end(), FitState::converged);
  std::cout << "fitted " << r.n_fits << " histograms with " << model_name(config.model) << " ("
            << to_string(config.estimator) << "): " << converged << " converged; wrote " << o.out
            << "\n";
}

}  // namespace

void add_fit_command(CLI::App& app) {
  auto o = std::make_shared<FitOptions>();
  CLI::App* cmd = add_command(
      app, "fit", "fit a batch of histograms (edges, histograms[, variances]) with one model", o,
      run_fit);
  cmd->add_option("--input,-i", o->input,
                  "histograms by extension: .h5/.hdf5 (optionally file.h5:/group) holds datasets "
                  "edges (n_bins+1), histograms (n_fits x n_bins), optional variances (same "
                  "shape) and histogram (one more, n_bins); any other name is JSON with the "
                  "same keys")
      ->required();
  cmd->add_option("--out,-o", o->out,
                  "results by extension: .h5/.hdf5 one dataset per quantity with one row per fit "
                  "(for large batches), any other name JSON with one object per fit")
      ->capture_default_str();
  cmd->add_option("--model", o->model,
                  "background poly<k>|bernstein<k>|exp|powerlaw|dijet|none, optionally "
                  "+gauss or +cb; or gauss|cb alone (each --template adds a component)")
      ->capture_default_str();
  cmd->add_option("--template", o->templates,
                  "a template component (repeatable): a file in the input's format with the same "
                  "edges, one histogram and optionally one row of per-bin variances; its yield "
                  "(templateK, K in the order given) is a free parameter after the model's");
  cmd->add_option("--estimator", o->estimator, "neyman, pearson, variance or poisson")
      ->capture_default_str();
  cmd->add_option("--evaluation", o->evaluation,
                  "integral (Simpson's rule over each bin) or centre (density at the centre "
                  "times the width)")
      ->capture_default_str();
  add_list_option(*cmd, "--init", o->init,
                  "initial values, one per parameter in the model's order (default: flat "
                  "background, small signal). Parameters: background b0..bk (poly<k>, "
                  "bernstein<k>), b0,b1 (exp, powerlaw), b0..b3 (dijet); then signal "
                  "yield,mean,width (+gauss) or yield,mean,width,alpha,n (+cb); e.g. poly2+gauss "
                  "is b0,b1,b2,yield,mean,width");
  add_list_option(*cmd, "--fix", o->fix,
                  "parameters held at their --init values, by name (e.g. mean,width)");
  add_list_option(*cmd, "--lower", o->lower, "lower bounds, one per parameter in --init's order");
  add_list_option(*cmd, "--upper", o->upper, "upper bounds, one per parameter in --init's order");
  cmd->add_option("--errordef", o->errordef,
                  "objective change defining one standard deviation for the errors and "
                  "covariance (objectives are on the chi2 scale, Poisson as the deviance: 1 is "
                  "MINUIT's errordef 1 for chi2 and 0.5 for -lnL)")
      ->capture_default_str();
  cmd->add_option("--starts", o->starts,
                  "starting points per fit, the signal's mean spread over its range; the lowest "
                  "minimum is kept")
      ->capture_default_str();
  add_list_option(*cmd, "--minos", o->minos,
                  "free parameters given profile-likelihood (MINOS) intervals, by name: the "
                  "offsets (lower, upper) where the profiled objective rises by errordef");
  cmd->add_flag("--significance", o->significance,
                "likelihood-ratio significance of the signal per fit: sign(yield) sqrt(objective "
                "with yield 0 - objective)");
  cmd->add_option("--scale", o->scale, "x scale of the power-law and dijet shapes (z = x/scale)");
  cmd->add_option("--max-iterations", o->max_iterations,
                  "Levenberg-Marquardt steps per fit before it stops as max_iterations")
      ->capture_default_str();
  cmd->add_option("--tolerance", o->tolerance,
                  "stop when the objective is within this of its "
                  "minimum")
      ->capture_default_str();
}

}  // namespace hepcat::cli
