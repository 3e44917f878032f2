// Events, the binning trainer and the whole binning job.
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>

#include "bindings.hpp"
#include "columns.hpp"
#include "events.hpp"
#include "hepcat/binning.hpp"
#include "hepcat/binning_job.hpp"
#include "hepcat/error.hpp"
#include "hepcat/event_set.hpp"

namespace hepcat::python {

namespace {

std::shared_ptr<Events> make_events(std::shared_ptr<Context> ctx,
                                    const std::vector<std::string>& names,
                                    const py::sequence& features, const py::object& weights,
                                    const py::object& process, int n_processes, bool allow_copy,
                                    const std::string& weight_label,
                                    const std::string& process_label) {
  if (features.size() != names.size())
    throw Error(std::to_string(features.size()) + " feature columns but " +
                std::to_string(names.size()) + " names");
  if (names.empty()) throw Error("no feature columns given");
  auto ev = std::make_shared<Events>();
  ev->ctx = ctx;
  EventColumnPointers p;
  p.names = names;
  p.weight_label = weight_label;
  p.process_label = process_label;
  p.n_processes = n_processes;
  const std::string first = "feature '" + names.front() + "'";
  auto check_length = [&](const std::string& what, std::size_t size) {
    if (size != p.n)
      throw Error(what + " has " + std::to_string(size) + " rows, but " + first + " has " +
                  std::to_string(p.n));
  };
  for (std::size_t j = 0; j < names.size(); ++j) {
    const std::string label = "feature '" + names[j] + "'";
    const Column<float> c = ev->store.floats(*ctx, features[j], label, allow_copy);
    if (j == 0) p.n = c.size;
    check_length(label, c.size);
    p.features.push_back(c.data);
    ev->borrowed.push_back(c.borrowed);
  }
  if (!weights.is_none()) {
    const Column<float> c = ev->store.floats(*ctx, weights, weight_label, allow_copy);
    check_length(weight_label, c.size);
    p.weights = c.data;
    ev->weights_borrowed = c.borrowed;
  }
  if (!process.is_none()) {
    const Column<std::int32_t> c = ev->store.process_ids(*ctx, process, process_label, allow_copy);
    check_length(process_label, c.size);
    p.process = c.data;
    ev->process_borrowed = c.borrowed;
  }
  if (ctx->is_cuda()) ctx->synchronize();  // uploads done before the checks read
  ev->set = std::make_unique<EventSet>(*ctx, p);
  return ev;
}

py::dict record_dict(const EpochRecord& r) {
  py::dict d;
  d["epoch"] = r.epoch;
  d["loss"] = r.loss;
  d["z"] = r.combined;
  d["z_per_signal"] = r.per_signal;
  d["lr"] = r.lr;
  d["temperature"] = r.temperature;
  return d;
}

py::dict history_dict(const std::vector<EpochRecord>& h) {
  std::vector<int> epoch;
  std::vector<double> loss, z, lr, temperature, per_signal;
  const std::size_t n_signals = h.empty() ? 0 : h.front().per_signal.size();
  for (const EpochRecord& r : h) {
    epoch.push_back(r.epoch);
    loss.push_back(r.loss);
    z.push_back(r.combined);
    lr.push_back(r.lr);
    temperature.push_back(r.temperature);
    per_signal.insert(per_signal.end(), r.per_signal.begin(), r.per_signal.end());
  }
  py::dict d;
  d["epoch"] = to_numpy(std::move(epoch));
  d["loss"] = to_numpy(std::move(loss));
  d["z"] = to_numpy(std::move(z));
  d["z_per_signal"] = to_numpy(std::move(per_signal), {static_cast<py::ssize_t>(h.size()),
                                                       static_cast<py::ssize_t>(n_signals)});
  d["lr"] = to_numpy(std::move(lr));
  d["temperature"] = to_numpy(std::move(temperature));
  return d;
}

py::dict yields_dict(const BinSums& y) {
  std::vector<double> w = y.sum_w, w2 = y.sum_w2;
  const std::vector<py::ssize_t> shape{y.n_processes, y.n_bins};
  py::dict d;
  d["sum_w"] = to_numpy(std::move(w), shape);
  d["sum_w2"] = to_numpy(std::move(w2), shape);
  return d;
}

py::dict evaluation_dict(const BinningEvaluation& e) {
  py::dict d;
  d["loss"] = e.loss;
  d["z"] = e.combined;
  d["z_per_signal"] = e.per_signal;
  return d;
}

py::dict sample_dict(const SampleReport& s) {
  py::dict d = yields_dict(s.yields);
  d["significance"] = evaluation_dict(s.significance);
  return d;
}

py::dict model_dict(const BinningModel& model, const std::vector<double>& raw) {
  py::dict d;
  d["model"] = model.name();
  d["bins"] = model.n_bins();
  if (model.is_gmm()) {
    py::list comps;
    for (const auto& c : model.components(raw)) {
      std::vector<double> cov = c.covariance;
      const auto dim = static_cast<py::ssize_t>(c.mean.size());
      comps.append(py::dict(py::arg("mean") = c.mean,
                            py::arg("covariance") = to_numpy(std::move(cov), {dim, dim}),
                            py::arg("weight") = c.weight));
    }
    d["components"] = comps;
    d["means"] = model.mean_parametrisation() == MeanParametrisation::simplex ? "simplex" : "box";
  } else {
    d["boundaries"] = model.boundaries(raw);
  }
  return d;
}

BinningObjectiveSettings objective_settings(const std::string& combination, double b_min,
                                            double lambda_low, double max_rel_unc,
                                            double lambda_unc) {
  BinningObjectiveSettings s;
  s.combination = parse_signal_combination(combination);
  s.background_min = b_min;
  s.lambda_low = lambda_low;
  s.max_rel_unc = max_rel_unc;
  s.lambda_unc = lambda_unc;
  return s;
}

// As `hepcat bin` builds it: schedules run over epochs - 1 steps.
BinningTrainingConfig training_config(int epochs, const std::string& optimizer,
                                      const std::string& lr, const std::string& temperature,
                                      const std::string& steepness, int patience,
                                      std::uint64_t seed) {
  if (epochs < 1) throw Error("--epochs must be at least 1, got " + std::to_string(epochs));
  BinningTrainingConfig t;
  t.epochs = epochs;
  t.optimizer = OptimizerConfig::parse(optimizer);
  const long steps = epochs > 1 ? epochs - 1 : 1;
  t.lr = Schedule::parse(lr, steps);
  t.temperature = Schedule::parse(temperature, steps);
  t.steepness = Schedule::parse(steepness, steps);
  t.patience = patience;
  t.seed = seed;
  return t;
}

/// The binning trainer over an Events object it keeps alive.
struct Trainer {
  std::shared_ptr<Events> events;
  std::unique_ptr<BinningTrainer> trainer;
  BinningObjective objective;
  std::vector<int> features;
};

}  // namespace

void bind_binning(py::module_& m) {
  py::class_<Events, std::shared_ptr<Events>>(m, "Events")
      .def(py::init(&make_events), py::arg("context"), py::arg("names"), py::arg("features"),
           py::arg("weights"), py::arg("process"), py::arg("n_processes"), py::arg("allow_copy"),
           py::arg("weight_label"), py::arg("process_label"))
      .def_property_readonly("size", [](const Events& e) { return e.set->size(); })
      .def_property_readonly("feature_names",
                             [](const Events& e) { return e.set->feature_names(); })
      .def_property_readonly("n_processes", [](const Events& e) { return e.set->n_processes(); })
      .def_property_readonly("process_weight_sums",
                             [](const Events& e) { return e.set->process_weight_sums(); })
      .def_property_readonly("process_counts",
                             [](const Events& e) { return e.set->process_counts(); })
      .def_property_readonly("borrowed",
                             [](const Events& e) {
                               py::dict d;
                               for (int j = 0; j < e.set->n_features(); ++j)
                                 d[py::str(e.set->feature_names()[j])] = bool(e.borrowed[j]);
                               d["weights"] = e.weights_borrowed;
                               d["process"] = e.process_borrowed;
                               return d;
                             })
      .def("data_pointers", [](const Events& e) {
        py::dict d;
        for (int j = 0; j < e.set->n_features(); ++j)
          d[py::str(e.set->feature_names()[j])] =
              reinterpret_cast<std::uintptr_t>(e.set->feature(j));
        d["weights"] = reinterpret_cast<std::uintptr_t>(e.set->weights());
        d["process"] = reinterpret_cast<std::uintptr_t>(e.set->process());
        return d;
      });

  py::class_<Trainer>(m, "Trainer")
      .def(py::init([](std::shared_ptr<Events> events, std::vector<int> features,
                       const std::string& model, int bins, const std::string& means,
                       std::vector<double> lo, std::vector<double> hi, double sigma_base,
                       std::vector<int> signals, const std::string& combination, double b_min,
                       double lambda_low, double max_rel_unc, double lambda_unc, int epochs,
                       const std::string& optimizer, const std::string& lr,
                       const std::string& temperature, const std::string& steepness, int patience,
                       std::uint64_t seed) {
             const int d = static_cast<int>(features.size());
             if (lo.size() != features.size() || hi.size() != features.size())
               throw Error("lo and hi need one value per feature");
             BinningModel bm = BinningModel::sigmoid({1}, {0.0}, {1.0});
             if (model == "gmm") {
               if (means != "box" && means != "simplex")
                 throw Error("means must be simplex or box, got '" + means + "'");
               bm = BinningModel::gmm(
                   bins, d,
                   means == "simplex" ? MeanParametrisation::simplex : MeanParametrisation::box, lo,
                   hi, sigma_base);
             } else if (model == "sigmoid") {
               bm = BinningModel::sigmoid(std::vector<int>(d, bins), lo, hi);
             } else {
               throw Error("model must be gmm or sigmoid, got '" + model + "'");
             }
             auto t = std::make_unique<Trainer>();
             t->events = events;
             t->features = features;
             t->objective = {signals, objective_settings(combination, b_min, lambda_low,
                                                         max_rel_unc, lambda_unc)};
             t->trainer = std::make_unique<BinningTrainer>(
                 *events->ctx, *events->set, features, bm, t->objective,
                 training_config(epochs, optimizer, lr, temperature, steepness, patience, seed));
             return t;
           }),
           py::arg("events"), py::arg("features"), py::arg("model"), py::arg("bins"),
           py::arg("means"), py::arg("lo"), py::arg("hi"), py::arg("sigma_base"),
           py::arg("signals"), py::arg("combination"), py::arg("b_min"), py::arg("lambda_low"),
           py::arg("max_rel_unc"), py::arg("lambda_unc"), py::arg("epochs"), py::arg("optimizer"),
           py::arg("lr"), py::arg("temperature"), py::arg("steepness"), py::arg("patience"),
           py::arg("seed"))
      .def("step",
           [](Trainer& t) {
             if (PyErr_CheckSignals() != 0) throw py::error_already_set();
             const EpochRecord* r;
             {
               py::gil_scoped_release release;
               r = &t.trainer->step();
             }
             return record_dict(*r);
           })
      .def(
          "run",
          [](Trainer& t, py::object callback, int epochs) {
            const Progress progress(std::move(callback));
            py::gil_scoped_release release;
            t.trainer->run([&](const EpochRecord& r) { progress(r.epoch + 1, epochs); });
          },
          py::arg("progress"), py::arg("epochs"))
      .def_property_readonly("done", [](const Trainer& t) { return t.trainer->done(); })
      .def_property_readonly("history",
                             [](const Trainer& t) { return history_dict(t.trainer->history()); })
      .def_property_readonly("parameters",
                             [](const Trainer& t) { return to_numpy(t.trainer->parameters()); })
      .def_property_readonly("gradient",
                             [](const Trainer& t) { return to_numpy(t.trainer->last_gradient()); })
      .def("describe",
           [](Trainer& t) {
             const std::vector<float> p = t.trainer->parameters();
             return model_dict(t.trainer->binning().model(), {p.begin(), p.end()});
           })
      .def(
          "evaluate",
          [](Trainer& t, std::shared_ptr<Events> other) {
            SampleReport s;
            {
              py::gil_scoped_release release;
              BinningTrainer& tr = *t.trainer;
              const Events& ev = other ? *other : *t.events;
              SoftBinning binning(*t.events->ctx, *ev.set, t.features, tr.binning().model(),
                                  t.objective);
              s.yields = binning.hard_yields(tr.parameter_buffer());
              s.significance = evaluate_yields(s.yields, t.objective);
            }
            return sample_dict(s);
          },
          py::arg("events"))
      .def("_time_steps", [](Trainer& t, int steps) {
        // The benchmark's C++ side: `steps` trainer steps in one C++ loop, seconds each.
        py::gil_scoped_release release;
        std::vector<double> seconds;
        for (int k = 0; k < steps; ++k) {
          const auto t0 = std::chrono::steady_clock::now();
          t.trainer->step();
          seconds.push_back(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        return seconds;
      });

  m.def(
      "bin",
      [](const py::dict& columns, std::vector<std::string> features, const std::string& weight,
         const std::string& process, std::vector<int> signals, const std::string& model, int bins,
         const std::string& means, double sigma_base, int epochs, const std::string& optimizer,
         const std::string& lr, const std::string& temperature, const std::string& steepness,
         const std::string& combination, double b_min, double lambda_low, double max_rel_unc,
         double lambda_unc, double test_fraction, int patience, std::uint64_t seed,
         std::shared_ptr<Context> ctx, py::object callback) {
        BinningJobConfig job;
        job.features = std::move(features);
        job.weight = weight;
        job.process = process;
        job.signals = std::move(signals);
        job.model = model;
        job.bins = bins;
        job.means = means;
        job.sigma_base = sigma_base;
        job.objective = objective_settings(combination, b_min, lambda_low, max_rel_unc, lambda_unc);
        job.training =
            training_config(epochs, optimizer, lr, temperature, steepness, patience, seed);
        job.test_fraction = test_fraction;
        const EventTable table = table_from(columns);
        const Progress progress(std::move(callback));
        BinningJobResult r;
        {
          py::gil_scoped_release release;
          r = run_binning_job(*ctx, table, job,
                              [&](const EpochRecord& e) { progress(e.epoch + 1, epochs); });
        }
        py::dict d = model_dict(r.model, r.parameters);
        std::vector<double> raw = r.parameters;
        d["parameters"] = to_numpy(std::move(raw));
        d["features"] = r.features;
        d["signals"] = job.signals;
        d["train"] = sample_dict(r.train);
        d["test"] = sample_dict(r.test);
        d["baseline"] =
            py::dict(py::arg("name") = r.baseline_name, py::arg("edges") = r.baseline_edges,
                     py::arg("train") = sample_dict(r.baseline_train),
                     py::arg("test") = sample_dict(r.baseline_test));
        d["history"] = history_dict(r.history);
        d["n_train"] = r.n_train;
        d["n_test"] = r.n_test;
        d["seconds"] = r.seconds;
        d["device"] = r.device;
        return d;
      },
      py::arg("columns"), py::arg("features"), py::arg("weight"), py::arg("process"),
      py::arg("signals"), py::arg("model"), py::arg("bins"), py::arg("means"),
      py::arg("sigma_base"), py::arg("epochs"), py::arg("optimizer"), py::arg("lr"),
      py::arg("temperature"), py::arg("steepness"), py::arg("combination"), py::arg("b_min"),
      py::arg("lambda_low"), py::arg("max_rel_unc"), py::arg("lambda_unc"),
      py::arg("test_fraction"), py::arg("patience"), py::arg("seed"), py::arg("context"),
      py::arg("progress"));
}

}  // namespace hepcat::python
