// Merging, cuts, batched fits and Split-N-Fit.
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "bindings.hpp"
#include "columns.hpp"
#include "events.hpp"
#include "hepcat/cuts.hpp"
#include "hepcat/error.hpp"
#include "hepcat/fit.hpp"
#include "hepcat/io.hpp"
#include "hepcat/merge.hpp"
#include "hepcat/splitfit.hpp"

namespace hepcat::python {

namespace {

Histogram histogram_from(const py::handle& counts, const std::vector<std::vector<double>>& edges) {
  std::vector<std::size_t> shape;
  Histogram h;
  h.counts = double_vector(counts, "counts", &shape);
  if (shape.size() < 2)
    throw Error("counts must have one row per hypothesis (n_hyp x bins...), got " +
                std::to_string(shape.size()) + " dimension(s)");
  h.n_hyp = static_cast<int>(shape[0]);
  std::size_t bins = 1;
  for (std::size_t d = 1; d < shape.size(); ++d) bins *= shape[d];
  h.n_bins = static_cast<int>(bins);
  h.edges = edges;
  h.validate("counts");
  return h;
}

py::dict binning_dict(MergedBinning&& b, int n_hyp) {
  py::dict d;
  d["n_bins"] = b.n_bins;
  d["map"] = to_numpy(std::move(b.map));
  d["groups"] = b.groups;
  d["counts"] = to_numpy(std::move(b.counts), {n_hyp, b.n_bins});
  d["edges"] = to_numpy(std::move(b.edges));
  const LocSummary s = loc_summary(b.loc_before, b.loc_after, n_hyp);
  d["loc"] =
      py::dict(py::arg("before") = s.before, py::arg("after") = s.after,
               py::arg("retained") = s.retained, py::arg("separation_retained") = s.separation);
  return d;
}

FitConfig fit_config(const std::vector<double>& edges, const std::string& model,
                     const std::string& estimator, const std::string& evaluation, double scale,
                     const std::vector<double>& lower, const std::vector<double>& upper,
                     const std::vector<std::string>& fix, int max_iterations, double tolerance) {
  FitConfig c;
  c.edges = edges;
  if (c.edges.size() < 2) throw Error("edges: need at least two values");
  c.model = parse_model(model);
  c.model.scale = scale;
  c.estimator = parse_estimator(estimator);
  if (evaluation != "integral" && evaluation != "centre")
    throw Error("--evaluation must be integral or centre, got '" + evaluation + "'");
  c.evaluation = evaluation == "integral" ? Evaluation::bin_integral : Evaluation::bin_centre;
  c.lower = lower;
  c.upper = upper;
  c.max_iterations = max_iterations;
  c.tolerance = tolerance;
  const std::vector<std::string> names = parameter_names(c.model);
  if (!fix.empty()) {
    c.fixed.assign(names.size(), false);
    for (const std::string& f : fix) {
      const auto it = std::find(names.begin(), names.end(), f);
      if (it == names.end())
        throw Error("--fix: no parameter '" + f + "' in model " + model_name(c.model));
      c.fixed[it - names.begin()] = true;
    }
  }
  return c;
}

// A (rows x n_bins) or (n_bins) array, n_bins from the edges, as `label` with `rows` naming its
// first dimension.
std::vector<double> bin_rows(const FitConfig& c, const py::handle& array, const std::string& label,
                             const std::string& rows) {
  const std::size_t nb = c.edges.size() - 1;
  std::vector<std::size_t> shape;
  std::vector<double> v = double_vector(array, label, &shape);
  if (shape.empty() || shape.size() > 2 || shape.back() != nb)
    throw Error(label + " must be " + rows + " x n_bins with n_bins = " + std::to_string(nb) +
                " (from the edges)");
  return v;
}

// Template components: (n_templates x n_bins) or one template (n_bins), optional variances of
// the same shape. With `add` they are components added to the model, else the model's own.
void set_templates(FitConfig& c, const py::object& templates, const py::object& variances,
                   bool add) {
  if (templates.is_none()) {
    if (!variances.is_none()) throw Error("template_variances given without templates");
    return;
  }
  c.templates = bin_rows(c, templates, "templates", "n_templates");
  if (add) c.model.templates += static_cast<int>(c.templates.size() / c.n_bins());
  if (!variances.is_none()) {
    c.template_variances = double_vector(variances, "template_variances");
    if (c.template_variances.size() != c.templates.size())
      throw Error("template_variances must have the shape of templates");
  }
}

// The fit batch: n_fits x n_bins histograms (a single 1-D histogram is one fit).
struct FitInputs {
  std::vector<double> histograms, variances, initial;
  std::size_t n_fits = 0;
};

FitInputs fit_inputs(const FitConfig& c, const py::handle& histograms, const py::object& variances,
                     const py::object& initial) {
  FitInputs in;
  const std::size_t nb = c.edges.size() - 1;
  in.histograms = bin_rows(c, histograms, "histograms", "n_fits");
  in.n_fits = in.histograms.size() / nb;
  if (in.n_fits == 0) throw Error("histograms: no fits given");
  if (!variances.is_none()) {
    in.variances = double_vector(variances, "variances");
    if (in.variances.size() != in.histograms.size())
      throw Error("variances must have the shape of histograms");
  }
  in.initial = initial.is_none()
                   ? default_initial_parameters(
                         c, std::vector<double>(in.histograms.begin(), in.histograms.begin() + nb))
                   : double_vector(initial, "initial");
  return in;
}

py::dict significance_dict(PseudoExperiments&& p) {
  return py::dict(py::arg("median") = p.median, py::arg("q16") = p.q16, py::arg("q84") = p.q84,
                  py::arg("q025") = p.q025, py::arg("q975") = p.q975,
                  py::arg("unconverged_fits") = p.unconverged_fits,
                  py::arg("toys") = to_numpy(std::move(p.significance)));
}

py::dict score_dict(const LinearScore& m) {
  return py::dict(py::arg("weights") = m.weights, py::arg("centre") = m.centre,
                  py::arg("spread") = m.spread, py::arg("bias") = m.bias);
}

std::vector<std::vector<float>> float_columns(const py::sequence& columns,
                                              const std::vector<std::string>& names) {
  std::vector<std::vector<float>> out;
  for (std::size_t j = 0; j < names.size(); ++j)
    out.push_back(float_vector(columns[j], "column '" + names[j] + "'"));
  return out;
}

// The fit settings of Split-N-Fit from the keyword arguments hepcat.splitfit forwards.
SplitFitConfig splitfit_config(const py::dict& s) {
  SplitFitConfig c;
  c.n_bins = s["bins"].cast<int>();
  c.lo = s["lo"].cast<double>();
  c.hi = s["hi"].cast<double>();
  c.background = s["background"].cast<std::string>();
  c.signal_mean = s["signal_mean"].cast<double>();
  c.signal_width = s["signal_width"].cast<double>();
  c.estimator = parse_estimator(s["estimator"].cast<std::string>());
  c.lambda = s["lam"].cast<double>();
  c.kappa = s["kappa"].cast<double>();
  c.delta = s["delta"].cast<double>();
  const std::string relu = s["relu"].cast<std::string>();
  if (relu != "softplus" && relu != "silu")
    throw Error("--relu must be softplus or silu, got '" + relu + "'");
  c.relu = relu == "silu" ? SmoothRelu::silu : SmoothRelu::softplus;
  splitfit_fit_config(c, true);  // validates the fit settings before any work
  return c;
}

py::dict splitfit_result_dict(SplitFitResult&& r) {
  static const char* names[4] = {"sb_pass", "b_pass", "sb_fail", "b_fail"};
  py::dict objective, states;
  for (int k = 0; k < 4; ++k) {
    objective[names[k]] = r.objective[k];
    states[names[k]] = to_string(r.states[k]);
  }
  py::dict d;
  d["loss"] = r.loss;
  d["loss_pass"] = r.loss_pass;
  d["loss_fail"] = r.loss_fail;
  d["mean_fail"] = r.mean_fail;
  d["objective"] = objective;
  d["states"] = states;
  d["pass_histogram"] = to_numpy(std::move(r.pass));
  d["fail_histogram"] = to_numpy(std::move(r.fail));
  d["sb_pass_parameters"] = to_numpy(std::move(r.sb_pass_parameters));
  return d;
}

}  // namespace

void bind_methods(py::module_& m) {
  m.def(
      "merge",
      [](const py::object& counts, std::vector<std::vector<double>> edges, std::vector<int> targets,
         const std::string& metric, const py::object& pair_weights, bool comp_to_first,
         const std::string& merger, int axis, std::shared_ptr<Context> ctx, py::object callback) {
        if (merger != "nonlocal" && merger != "local")
          throw Error("--merger must be nonlocal or local, got '" + merger + "'");
        if (targets.empty()) throw Error("no --target given (and none in the input)");
        const Histogram hist = histogram_from(counts, edges);
        MergeOptions options;
        options.metric = parse_merge_metric(metric);
        options.comp_to_first = comp_to_first;
        if (!pair_weights.is_none())
          options.pair_weights = double_vector(pair_weights, "pair_weights");
        const Progress progress(std::move(callback));
        options.progress = [&](long done, long total) { progress(done, total); };
        std::vector<MergedBinning> binnings;
        double seconds = 0;
        {
          py::gil_scoped_release release;
          const auto t0 = std::chrono::steady_clock::now();
          binnings = merger == "local" ? merge_local(*ctx, hist, targets, options, axis)
                                       : merge_nonlocal(*ctx, hist, targets, options);
          seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        py::list out;
        for (MergedBinning& b : binnings) out.append(binning_dict(std::move(b), hist.n_hyp));
        return py::make_tuple(out, seconds);
      },
      py::arg("counts"), py::arg("edges"), py::arg("targets"), py::arg("metric"),
      py::arg("pair_weights"), py::arg("comp_to_first"), py::arg("merger"), py::arg("axis"),
      py::arg("context"), py::arg("progress"));

  m.def(
      "roc_curve",
      [](const py::object& counts, int signal, int background) {
        RocCurve r = roc_curve(histogram_from(counts, {}), signal, background);
        return py::make_tuple(to_numpy(std::move(r.background_efficiency)),
                              to_numpy(std::move(r.signal_efficiency)), r.auc);
      },
      py::arg("counts"), py::arg("signal"), py::arg("background"));

  m.def(
      "loc_length",
      [](const py::object& counts, const py::object& normalisation) {
        const std::vector<double> norm = normalisation.is_none()
                                             ? std::vector<double>{}
                                             : double_vector(normalisation, "normalisation");
        return loc_length(histogram_from(counts, {}), norm);
      },
      py::arg("counts"), py::arg("normalisation"));

  m.def(
      "place_events",
      [](std::shared_ptr<Events> events, std::vector<int> map,
         std::vector<std::vector<double>> edges, std::vector<int> features) {
        std::vector<std::int32_t> bins;
        {
          py::gil_scoped_release release;
          bins = place_events(*events->ctx, map, edges, *events->set, features);
        }
        return to_numpy(std::move(bins));
      },
      py::arg("events"), py::arg("map"), py::arg("edges"), py::arg("features"));

  m.def(
      "fill_histogram",
      [](std::shared_ptr<Events> events, std::vector<int> features,
         std::vector<std::vector<double>> edges) {
        Histogram h;
        {
          py::gil_scoped_release release;
          h = fill_histogram(*events->ctx, *events->set, features, edges);
        }
        return to_numpy(std::move(h.counts), {h.n_hyp, h.n_bins});
      },
      py::arg("events"), py::arg("features"), py::arg("edges"));

  m.def(
      "fit",
      [](const py::object& histograms, std::vector<double> edges, const std::string& model,
         const std::string& estimator, const std::string& evaluation, const py::object& initial,
         const py::object& variances, std::vector<double> lower, std::vector<double> upper,
         std::vector<std::string> fix, double scale, int max_iterations, double tolerance,
         const py::object& templates, const py::object& template_variances, double errordef,
         int starts, std::vector<std::string> minos, bool significance, const std::string& out,
         std::shared_ptr<Context> ctx) {
        FitConfig c = fit_config(edges, model, estimator, evaluation, scale, lower, upper, fix,
                                 max_iterations, tolerance);
        set_templates(c, templates, template_variances, true);
        c.errordef = errordef;
        c.starts = starts;
        c.significance = significance;
        const std::vector<std::string> names = parameter_names(c.model);
        for (const std::string& p : minos) {
          const auto it = std::find(names.begin(), names.end(), p);
          if (it == names.end())
            throw Error("minos: no parameter '" + p + "' in model " + model_name(c.model));
          c.minos.push_back(static_cast<int>(it - names.begin()));
        }
        if (!out.empty()) check_output(out);
        const FitInputs in = fit_inputs(c, histograms, variances, initial);
        FitResults r;
        {
          py::gil_scoped_release release;
          r = fit_histograms(*ctx, c, in.histograms, in.initial, in.variances);
          if (!out.empty()) write_fit_results(out, c, r, in.histograms, ctx->device_name());
        }
        const auto n = static_cast<py::ssize_t>(r.n_fits);
        // States as codes plus the name of each code present: one small array per batch.
        std::vector<int> codes;
        py::dict state_names;
        for (FitState s : r.states) {
          codes.push_back(static_cast<int>(s));
          if (!state_names.contains(py::int_(codes.back())))
            state_names[py::int_(codes.back())] = to_string(s);
        }
        const int n_free =
            c.fixed.empty() ? r.n_params
                            : static_cast<int>(std::count(c.fixed.begin(), c.fixed.end(), false));
        py::dict d;
        d["model"] = model_name(c.model);
        d["estimator"] = to_string(c.estimator);
        d["parameter_names"] = parameter_names(c.model);
        d["parameters"] = to_numpy(std::move(r.parameters), {n, r.n_params});
        d["errors"] = to_numpy(std::move(r.errors), {n, r.n_params});
        d["objective"] = to_numpy(std::move(r.objective));
        d["state_codes"] = to_numpy(std::move(codes));
        d["state_names"] = state_names;
        d["iterations"] = to_numpy(std::move(r.iterations));
        d["ndf"] = c.n_bins() - n_free;
        d["device"] = ctx->device_name();
        const auto np = static_cast<py::ssize_t>(r.n_params);
        std::vector<double> correlation;
        for (std::size_t f = 0; f < r.n_fits; ++f) {
          const std::vector<double> cf = r.correlation(f);
          correlation.insert(correlation.end(), cf.begin(), cf.end());
        }
        d["covariance"] = to_numpy(std::move(r.covariance), {n, np, np});
        d["correlation"] = to_numpy(std::move(correlation), {n, np, np});
        d["edm"] = to_numpy(std::move(r.edm));
        d["evaluations"] = to_numpy(std::move(r.evaluations));
        d["valid"] = to_numpy(std::vector<int>(r.valid.begin(), r.valid.end()));
        d["at_limit"] = to_numpy(std::vector<int>(r.at_limit.begin(), r.at_limit.end()), {n, np});
        d["errordef"] = r.errordef;
        d["minos_names"] = minos;
        d["minos"] = to_numpy(std::move(r.minos),
                              {n, static_cast<py::ssize_t>(minos.size()), py::ssize_t{2}});
        d["significance"] =
            significance ? py::object(to_numpy(std::move(r.significance))) : py::none();
        return d;
      },
      py::arg("histograms"), py::arg("edges"), py::arg("model"), py::arg("estimator"),
      py::arg("evaluation"), py::arg("initial"), py::arg("variances"), py::arg("lower"),
      py::arg("upper"), py::arg("fix"), py::arg("scale"), py::arg("max_iterations"),
      py::arg("tolerance"), py::arg("templates"), py::arg("template_variances"),
      py::arg("errordef"), py::arg("starts"), py::arg("minos"), py::arg("significance"),
      py::arg("out"), py::arg("context"));

  m.def(
      "bin_expectations",
      [](const py::object& parameters, std::vector<double> edges, const std::string& model,
         const std::string& evaluation, double scale, const py::object& templates) {
        FitConfig c = fit_config(edges, model, "neyman", evaluation, scale, {}, {}, {}, 100, 1e-8);
        set_templates(c, templates, py::none(), false);
        std::vector<std::size_t> shape;
        const std::vector<double> p = double_vector(parameters, "parameters", &shape);
        const std::size_t n_params = parameter_names(c.model).size();
        if (shape.empty() || shape.back() != n_params)
          throw Error("parameters must have " + std::to_string(n_params) + " columns for model " +
                      model_name(c.model));
        const std::size_t n_fits = p.size() / n_params;
        std::vector<double> out;
        {
          py::gil_scoped_release release;
          for (std::size_t f = 0; f < n_fits; ++f) {
            const auto e = bin_expectations(
                c, std::vector<double>(p.begin() + f * n_params, p.begin() + (f + 1) * n_params));
            out.insert(out.end(), e.begin(), e.end());
          }
        }
        return to_numpy(std::move(out),
                        {static_cast<py::ssize_t>(n_fits), static_cast<py::ssize_t>(c.n_bins())});
      },
      py::arg("parameters"), py::arg("edges"), py::arg("model"), py::arg("evaluation"),
      py::arg("scale"), py::arg("templates"));

  m.def(
      "_time_fit",
      [](const py::object& histograms, std::vector<double> edges, const std::string& model,
         const py::object& initial, std::vector<std::string> fix, int repeats,
         std::shared_ptr<Context> ctx) {
        // The benchmark's C++ side: fit_histograms on vectors already in C++, seconds per call.
        const FitConfig c =
            fit_config(edges, model, "neyman", "integral", 0, {}, {}, fix, 100, 1e-8);
        const FitInputs in = fit_inputs(c, histograms, py::none(), initial);
        py::gil_scoped_release release;
        std::vector<double> seconds;
        for (int k = 0; k < repeats; ++k) {
          const auto t0 = std::chrono::steady_clock::now();
          fit_histograms(*ctx, c, in.histograms, in.initial, in.variances);
          seconds.push_back(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        return seconds;
      },
      py::arg("histograms"), py::arg("edges"), py::arg("model"), py::arg("initial"), py::arg("fix"),
      py::arg("repeats"), py::arg("context"));

  m.def(
      "splitfit",
      [](const py::sequence& train_features, const py::object& train_mass,
         const py::object& train_weights, const py::object& labels,
         const py::sequence& test_features, const py::object& test_mass,
         const py::object& test_weights, std::vector<std::string> names,
         const py::object& init_model, bool supervised, const std::string& optimizer,
         double learning_rate, int steps, const py::dict& settings, int toys, std::uint64_t seed,
         std::shared_ptr<Context> ctx) {
        const SplitFitConfig c = splitfit_config(settings);
        const auto x = float_columns(train_features, names);
        const auto test_x = float_columns(test_features, names);
        const std::vector<float> mass = float_vector(train_mass, "mass");
        const std::vector<float> t_mass = float_vector(test_mass, "test mass");
        const std::vector<float> w =
            train_weights.is_none() ? std::vector<float>{} : float_vector(train_weights, "weights");
        const std::vector<float> t_w = test_weights.is_none()
                                           ? std::vector<float>{}
                                           : float_vector(test_weights, "test weights");
        const std::vector<float> y =
            supervised ? float_vector(labels, "labels") : std::vector<float>{};
        LinearScore model;
        if (init_model.is_none()) {
          model = standardised_linear_score(x);
        } else {
          const py::dict im = init_model;
          model.weights = im["weights"].cast<std::vector<double>>();
          model.centre = im["centre"].cast<std::vector<double>>();
          model.spread = im["spread"].cast<std::vector<double>>();
          model.bias = im["bias"].cast<double>();
        }
        ScoreTraining t;
        t.optimizer = optimizer;
        t.learning_rate = learning_rate;
        t.steps = steps;
        py::dict d;
        PseudoExperiments before, after;
        std::vector<double> history;
        {
          py::gil_scoped_release release;
          auto evaluate = [&](const LinearScore& s) {
            return cut_significance(*ctx, c, t_mass, t_w, linear_scores(s, test_x), toys, seed);
          };
          if (!init_model.is_none()) before = evaluate(model);
          history = supervised ? train_supervised(*ctx, model, x, y, w, t)
                               : train_splitfit(*ctx, model, x, mass, w, c, t);
          after = evaluate(model);
        }
        if (!init_model.is_none()) d["significance_before"] = significance_dict(std::move(before));
        d["training"] = supervised ? "supervised" : "splitfit";
        d["loss_history"] = to_numpy(std::move(history));
        d["model"] = score_dict(model);
        d["significance"] = significance_dict(std::move(after));
        d["device"] = ctx->device_name();
        return d;
      },
      py::arg("train_features"), py::arg("train_mass"), py::arg("train_weights"), py::arg("labels"),
      py::arg("test_features"), py::arg("test_mass"), py::arg("test_weights"), py::arg("names"),
      py::arg("init_model"), py::arg("supervised"), py::arg("optimizer"), py::arg("learning_rate"),
      py::arg("steps"), py::arg("settings"), py::arg("toys"), py::arg("seed"), py::arg("context"));

  m.def(
      "splitfit_score",
      [](const py::object& mass, const py::object& weights, const py::object& scores,
         const py::dict& settings, int toys, std::uint64_t seed, std::shared_ptr<Context> ctx) {
        const SplitFitConfig c = splitfit_config(settings);
        const std::vector<float> mv = float_vector(mass, "mass"),
                                 s = float_vector(scores, "scores");
        const std::vector<float> w =
            weights.is_none() ? std::vector<float>{} : float_vector(weights, "weights");
        SplitFitResult r;
        PseudoExperiments p;
        {
          py::gil_scoped_release release;
          r = splitfit_loss(*ctx, c, mv, w, s, nullptr);
          p = cut_significance(*ctx, c, mv, w, s, toys, seed);
        }
        py::dict d;
        d["loss"] = r.loss;
        d["significance"] = significance_dict(std::move(p));
        d["device"] = ctx->device_name();
        return d;
      },
      py::arg("mass"), py::arg("weights"), py::arg("scores"), py::arg("settings"), py::arg("toys"),
      py::arg("seed"), py::arg("context"));

  m.def(
      "splitfit_loss",
      [](const py::object& mass, const py::object& weights, const py::object& scores,
         const py::dict& settings, bool gradient, std::shared_ptr<Context> ctx) {
        // The columns are used in place where they can be (device arrays on CUDA).
        const SplitFitConfig c = splitfit_config(settings);
        ColumnStore store;
        const Column<float> m = store.floats(*ctx, mass, "mass", true);
        const Column<float> s = store.floats(*ctx, scores, "scores", true);
        if (s.size != m.size)
          throw Error("scores has " + std::to_string(s.size) + " rows, but mass has " +
                      std::to_string(m.size));
        const float* w = nullptr;
        if (!weights.is_none()) {
          const Column<float> wc = store.floats(*ctx, weights, "weights", true);
          if (wc.size != m.size)
            throw Error("weights has " + std::to_string(wc.size) + " rows, but mass has " +
                        std::to_string(m.size));
          w = wc.data;
        }
        SplitFitResult r;
        std::vector<float> grad;
        {
          py::gil_scoped_release release;
          Buffer<float> g(*ctx, gradient ? m.size : 0);
          r = splitfit_loss(*ctx, c, m.data, w, s.data, m.size, gradient ? g.data() : nullptr);
          if (gradient) grad = g.to_host(*ctx);
        }
        py::dict d = splitfit_result_dict(std::move(r));
        d["gradient"] = gradient ? py::object(to_numpy(std::move(grad))) : py::object(py::none());
        return d;
      },
      py::arg("mass"), py::arg("weights"), py::arg("scores"), py::arg("settings"),
      py::arg("gradient"), py::arg("context"));

  m.def(
      "cuts",
      [](const py::sequence& feature_columns, std::vector<std::string> names,
         const py::object& signal, const py::object& weights, const py::object& grid_values,
         std::vector<double> targets, std::vector<int> directions, bool learn_directions,
         double steepness, std::vector<double> loss, bool weighted_standardisation,
         std::vector<double> grid_edges, double train_fraction, int epochs,
         const std::string& optimizer, const std::string& lr, std::shared_ptr<Context> ctx,
         py::object callback) {
        if (!(train_fraction > 0 && train_fraction <= 1))
          throw Error("--train-fraction must be in (0, 1], got " + std::to_string(train_fraction));
        CutSample all;
        all.features = float_columns(feature_columns, names);
        const std::vector<float> labels = float_vector(signal, "signal");
        for (std::size_t i = 0; i < labels.size(); ++i) {
          if (labels[i] != 0.f && labels[i] != 1.f)
            throw Error("signal labels hold " + std::to_string(labels[i]) + " in row " +
                        std::to_string(i) + " (expected 0 or 1)");
          all.signal.push_back(labels[i] == 1.f ? 1 : 0);
        }
        if (!weights.is_none()) all.weights = float_vector(weights, "weights");
        if (!grid_values.is_none()) all.grid_values = float_vector(grid_values, "grid values");
        const std::size_t n_train = std::max<std::size_t>(
            1, static_cast<std::size_t>(std::floor(train_fraction * all.size())));
        CutScanConfig cfg;
        cfg.targets = targets;
        cfg.directions = directions;
        cfg.learn_directions = learn_directions;
        cfg.steepness = steepness;
        cfg.loss = {loss.at(0), loss.at(1), loss.at(2), loss.at(3), loss.at(4), loss.at(5)};
        cfg.weighted_standardisation = weighted_standardisation;
        cfg.grid_edges = grid_edges;
        if (epochs < 1) throw Error("--epochs must be at least 1, got " + std::to_string(epochs));
        const OptimizerConfig opt = OptimizerConfig::parse(optimizer);
        const Schedule schedule = Schedule::parse(lr, epochs);
        const Progress progress(std::move(callback));
        py::dict d;
        py::gil_scoped_release release;
        const CutSample train = all.slice(0, n_train);
        const CutSample test = all.slice(n_train, all.size());
        CutScan scan(*ctx, cfg, train);
        const CutLossTerms terms =
            scan.train(epochs, opt, schedule,
                       [&](int epoch, const CutLossTerms&) { progress(epoch + 1, epochs); });
        const std::vector<CutSet> cuts = scan.cuts();
        const CutEfficiencies on_train = scan.evaluate(train);
        const bool has_test = test.size() > 0;
        const CutEfficiencies on_test = has_test ? scan.evaluate(test) : CutEfficiencies{};
        py::gil_scoped_acquire gil;
        std::vector<int> cells;
        std::vector<double> cut_targets, cut_values, cut_directions;
        for (const CutSet& s : cuts) {
          cells.push_back(s.cell);
          cut_targets.push_back(s.target);
          cut_values.insert(cut_values.end(), s.cuts.begin(), s.cuts.end());
          cut_directions.insert(cut_directions.end(), s.directions.begin(), s.directions.end());
        }
        const auto n_sets = static_cast<py::ssize_t>(cuts.size());
        const auto n_features = static_cast<py::ssize_t>(scan.n_features());
        d["targets"] = scan.targets();
        d["cell"] = to_numpy(std::move(cells));
        d["target"] = to_numpy(std::move(cut_targets));
        d["cuts"] = to_numpy(std::move(cut_values), {n_sets, n_features});
        d["directions"] = to_numpy(std::move(cut_directions), {n_sets, n_features});
        auto eff = [](const CutEfficiencies& e) {
          return py::dict(py::arg("sig_eff") = e.sig_eff, py::arg("bkg_eff") = e.bkg_eff,
                          py::arg("target_sig_eff") = e.target_sig_eff,
                          py::arg("target_bkg_eff") = e.target_bkg_eff);
        };
        d["train"] = eff(on_train);
        d["test"] = has_test ? py::object(eff(on_test)) : py::object(py::none());
        d["final_loss"] = py::dict(
            py::arg("efficiency") = terms.efficiency, py::arg("background") = terms.background,
            py::arg("cut_size") = terms.cut_size, py::arg("bce") = terms.bce,
            py::arg("smoothness") = terms.smoothness, py::arg("total") = terms.total());
        const CutEfficiencies& roc = has_test ? on_test : on_train;
        d["auc"] = hard_cut_auc(roc.target_sig_eff, roc.target_bkg_eff);
        d["auc_train"] = hard_cut_auc(on_train.target_sig_eff, on_train.target_bkg_eff);
        d["n_train"] = train.size();
        d["n_test"] = test.size();
        d["lr"] = schedule.to_string();
        d["device"] = ctx->device_name();
        return d;
      },
      py::arg("features"), py::arg("names"), py::arg("signal"), py::arg("weights"),
      py::arg("grid_values"), py::arg("targets"), py::arg("directions"),
      py::arg("learn_directions"), py::arg("steepness"), py::arg("loss"),
      py::arg("weighted_standardisation"), py::arg("grid_edges"), py::arg("train_fraction"),
      py::arg("epochs"), py::arg("optimizer"), py::arg("lr"), py::arg("context"),
      py::arg("progress"));
}

}  // namespace hepcat::python
