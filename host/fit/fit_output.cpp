// Fit results to files: JSON (one object per fit, for small batches) or HDF5 (one dataset per
// quantity, one row per fit), chosen by extension; both atomic.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hepcat/error.hpp"
#include "hepcat/fit.hpp"
#include "hepcat/io.hpp"

namespace hepcat {

namespace {

std::vector<std::string> minos_names(const FitConfig& c) {
  const std::vector<std::string> names = parameter_names(c.model);
  std::vector<std::string> m;
  for (int i : c.minos) m.push_back(names.at(i));
  return m;
}

const char* evaluation_name(const FitConfig& c) {
  return c.evaluation == Evaluation::bin_integral ? "integral" : "centre";
}

void write_json(const std::string& path, const FitConfig& config, const FitResults& r,
                const std::vector<double>& hists, const std::string& device) {
  const std::vector<std::string> names = parameter_names(config.model);
  const std::vector<std::string> minos = minos_names(config);
  const std::size_t nb = config.edges.size() - 1;
  const int np = r.n_params;
  nlohmann::json out;
  out["model"] = model_name(config.model);
  out["estimator"] = to_string(config.estimator);
  out["evaluation"] = evaluation_name(config);
  out["device"] = device;
  out["parameter_names"] = names;
  out["edges"] = config.edges;
  out["errordef"] = config.errordef;
  std::size_t converged = 0;
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  for (std::size_t f = 0; f < r.n_fits; ++f) {
    nlohmann::json fit, params, errors;
    fit["histogram"] = std::vector<double>(hists.begin() + f * nb, hists.begin() + (f + 1) * nb);
    for (int k = 0; k < np; ++k) {
      params[names[k]] = number(r.parameters[f * np + k]);
      errors[names[k]] = number(r.errors[f * np + k]);
    }
    fit["parameters"] = params;
    fit["expected"] = bin_expectations(
        config,
        std::vector<double>(r.parameters.begin() + f * np, r.parameters.begin() + (f + 1) * np));
    fit["errors"] = errors;
    nlohmann::json cov = nlohmann::json::array(), corr = nlohmann::json::array(),
                   at_limit = nlohmann::json::array();
    const std::vector<double> c = r.correlation(f);
    for (int k = 0; k < np; ++k) {
      nlohmann::json crow = nlohmann::json::array(), rrow = nlohmann::json::array();
      for (int l = 0; l < np; ++l) {
        crow.push_back(number(r.covariance[(f * np + k) * np + l]));
        rrow.push_back(number(c[k * np + l]));
      }
      cov.push_back(crow);
      corr.push_back(rrow);
      if (r.at_limit[f * np + k]) at_limit.push_back(names[k]);
    }
    fit["covariance"] = cov;
    fit["correlation"] = corr;
    fit["objective"] = number(r.objective[f]);
    fit["ndf"] = r.ndf;
    fit["edm"] = number(r.edm[f]);
    fit["valid"] = r.valid[f] != 0;
    fit["at_limit"] = at_limit;
    fit["state"] = to_string(r.states[f]);
    fit["iterations"] = r.iterations[f];
    fit["evaluations"] = r.evaluations[f];
    if (!minos.empty()) {
      nlohmann::json intervals;
      for (std::size_t m = 0; m < minos.size(); ++m)
        intervals[minos[m]] = {number(r.minos[(f * minos.size() + m) * 2]),
                               number(r.minos[(f * minos.size() + m) * 2 + 1])};
      fit["minos"] = intervals;
    }
    if (config.significance) fit["significance"] = number(r.significance[f]);
    converged += r.states[f] == FitState::converged;
    out["fits"].push_back(fit);
  }
  out["converged"] = converged;
  write_text_atomic(path, out.dump(1) + "\n");
}

void write_hdf5(const std::string& path, const FitConfig& config, const FitResults& r,
                const std::string& device) {
  const std::vector<std::string> names = parameter_names(config.model);
  const std::vector<std::string> minos = minos_names(config);
  const std::size_t n = r.n_fits, np = r.n_params;
  const Attribute columns{"names", names, {}};
  auto rows = [&](const char* name, std::vector<std::size_t> shape, std::vector<double> values,
                  bool integer, std::vector<Attribute> attributes) {
    shape.insert(shape.begin(), n);
    return OutputArray{name, std::move(shape), std::move(values), integer, std::move(attributes)};
  };
  auto as_double = [](const auto& v) { return std::vector<double>(v.begin(), v.end()); };
  std::vector<double> correlation, states;
  for (std::size_t f = 0; f < n; ++f) {
    const std::vector<double> c = r.correlation(f);
    correlation.insert(correlation.end(), c.begin(), c.end());
    states.push_back(static_cast<double>(r.states[f]));
  }
  std::vector<OutputArray> arrays{
      rows("parameters", {np}, r.parameters, false, {columns}),
      rows("errors", {np}, r.errors, false, {columns}),
      rows("covariance", {np, np}, r.covariance, false, {columns}),
      rows("correlation", {np, np}, std::move(correlation), false, {columns}),
      rows("minimum", {}, r.objective, false, {}),
      rows("ndf", {}, std::vector<double>(n, r.ndf), true, {}),
      rows("edm", {}, r.edm, false, {}),
      rows("iterations", {}, as_double(r.iterations), true, {}),
      rows("evaluations", {}, as_double(r.evaluations), true, {}),
      rows("valid", {}, as_double(r.valid), true, {}),
      rows("at_limit", {np}, as_double(r.at_limit), true, {columns}),
      rows("state", {}, std::move(states), true,
           {{"names", {"converged", "max_iterations", "singular", "stalled"}, {}}})};
  if (!minos.empty())
    arrays.push_back(rows("minos", {minos.size(), 2}, r.minos, false, {{"names", minos, {}}}));
  if (config.significance) arrays.push_back(rows("significance", {}, r.significance, false, {}));
  write_hdf5_arrays(path, arrays,
                    {{"model", {model_name(config.model)}, {}},
                     {"estimator", {to_string(config.estimator)}, {}},
                     {"evaluation", {evaluation_name(config)}, {}},
                     {"device", {device}, {}},
                     {"parameter_names", names, {}},
                     {"edges", {}, config.edges},
                     {"errordef", {}, {config.errordef}}});
}

}  // namespace

void write_fit_results(const std::string& path, const FitConfig& config, const FitResults& results,
                       const std::vector<double>& histograms, const std::string& device) {
  if (is_hdf5_path(path)) {
    if (path.find(".h5:") != std::string::npos || path.find(".hdf5:") != std::string::npos)
      throw Error("fit output '" + path + "': results are written to a whole file, not a group");
    write_hdf5(path, config, results, device);
  } else {
    write_json(path, config, results, histograms, device);
  }
}

}  // namespace hepcat
