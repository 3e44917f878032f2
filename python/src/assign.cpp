// Jet assignment (hepcat assign): the toy, the jet reader, the mass-asymmetry baseline and the
// ABC model's training and evaluation. Jets travel as a dict of [events][jets] arrays (pt, eta,
// phi, e, mask; truth [events][parents][daughters] with its parent and daughter names).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "columns.hpp"
#include "hepcat/assign.hpp"
#include "hepcat/assign_baseline.hpp"
#include "hepcat/assign_toy.hpp"
#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/jets.hpp"

namespace hepcat::python {

namespace {

template <class T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

py::dict jets_dict(JetTable&& t) {
  const auto n = static_cast<py::ssize_t>(t.n_events), j = static_cast<py::ssize_t>(t.max_jets);
  py::dict d;
  d["pt"] = to_numpy(std::move(t.pt), {n, j});
  d["eta"] = to_numpy(std::move(t.eta), {n, j});
  d["phi"] = to_numpy(std::move(t.phi), {n, j});
  d["e"] = to_numpy(std::move(t.e), {n, j});
  std::vector<bool> mask(t.mask.begin(), t.mask.end());
  py::array_t<bool> m({n, j});
  std::copy(mask.begin(), mask.end(), m.mutable_data());
  d["mask"] = m;
  if (!t.weight.empty()) d["weight"] = to_numpy(std::move(t.weight));
  if (t.has_truth()) {
    d["truth"] = to_numpy(std::move(t.truth), {n, static_cast<py::ssize_t>(t.parents.size()),
                                               static_cast<py::ssize_t>(t.daughters.size())});
    d["parents"] = t.parents;
    d["daughters"] = t.daughters;
  }
  return d;
}

template <class T>
std::vector<T> values(const py::dict& jets, const char* name, std::vector<py::ssize_t>* shape) {
  if (!jets.contains(name)) throw Error(std::string("jets: no '") + name + "' array");
  const Array<T> a = py::cast<Array<T>>(jets[name]);
  if (shape) shape->assign(a.shape(), a.shape() + a.ndim());
  return std::vector<T>(a.data(), a.data() + a.size());
}

/// A validated jet table from the dict jets_dict returns (mask optional: pt > 0).
JetTable jets_table(const py::dict& jets) {
  JetTable t;
  std::vector<py::ssize_t> shape;
  t.pt = values<float>(jets, "pt", &shape);
  if (shape.size() != 2) throw Error("jets: 'pt' must be [events][jets]");
  t.n_events = static_cast<std::size_t>(shape[0]);
  t.max_jets = static_cast<std::size_t>(shape[1]);
  const auto same_shape = [&](const char* name) {
    std::vector<py::ssize_t> s;
    std::vector<float> v = values<float>(jets, name, &s);
    if (s != shape) throw Error(std::string("jets: '") + name + "' must have the shape of 'pt'");
    return v;
  };
  t.eta = same_shape("eta");
  t.phi = same_shape("phi");
  t.e = same_shape("e");
  if (jets.contains("mask")) {
    const std::vector<std::uint8_t> m = values<std::uint8_t>(jets, "mask", nullptr);
    t.mask.assign(m.begin(), m.end());
  } else {
    t.mask.resize(t.pt.size());
    for (std::size_t i = 0; i < t.pt.size(); ++i) t.mask[i] = t.pt[i] > 0 ? 1 : 0;
  }
  if (jets.contains("weight")) t.weight = values<float>(jets, "weight", nullptr);
  if (jets.contains("truth")) {
    t.truth = values<std::int32_t>(jets, "truth", nullptr);
    t.parents = py::cast<std::vector<std::string>>(jets["parents"]);
    t.daughters = py::cast<std::vector<std::string>>(jets["daughters"]);
  }
  validate_jets(t, "jets", 0);
  return t;
}

std::vector<std::int32_t> widen(const std::vector<std::int8_t>& v) {
  return {v.begin(), v.end()};
}

std::vector<float> model_inputs(const JetTable& t) {
  return assign_inputs(t.pt.data(), t.eta.data(), t.phi.data(), t.e.data(), t.n_events, t.max_jets);
}

}  // namespace

void bind_assign(py::module_& m) {
  m.def(
      "read_jets",
      [](const std::string& path, std::size_t min_jets, const std::string& pt_unit) {
        JetReadOptions o;
        o.min_jets = min_jets;
        o.abc_pt_unit = pt_unit;
        return jets_dict(read_jets(path, o));
      },
      py::arg("path"), py::arg("min_jets"), py::arg("pt_unit"));

  m.def(
      "assign_toy",
      [](const JetToyConfig& c) {
        JetTable t;
        {
          py::gil_scoped_release release;
          t = generate_jet_toy(c);
        }
        return jets_dict(std::move(t));
      },
      py::arg("config"));
  py::class_<JetToyConfig>(m, "JetToyConfig")
      .def(py::init<>())
      .def_readwrite("events", &JetToyConfig::events)
      .def_readwrite("first_event", &JetToyConfig::first_event)
      .def_readwrite("seed", &JetToyConfig::seed)
      .def_readwrite("background", &JetToyConfig::background)
      .def_readwrite("mass", &JetToyConfig::mass)
      .def_readwrite("pair_momentum", &JetToyConfig::pair_momentum)
      .def_readwrite("pair_rapidity", &JetToyConfig::pair_rapidity)
      .def_readwrite("isr_mean", &JetToyConfig::isr_mean)
      .def_readwrite("spectrum_index", &JetToyConfig::spectrum_index)
      .def_readwrite("stochastic", &JetToyConfig::stochastic)
      .def_readwrite("constant", &JetToyConfig::constant)
      .def_readwrite("pt_min", &JetToyConfig::pt_min)
      .def_readwrite("eta_max", &JetToyConfig::eta_max)
      .def_readwrite("background_extra_jets", &JetToyConfig::background_extra_jets)
      .def_readwrite("max_jets", &JetToyConfig::max_jets)
      .def_readwrite("min_jets", &JetToyConfig::min_jets);

  m.def(
      "assign_baseline",
      [](const Context& ctx, const py::dict& jets, std::size_t leading) {
        const JetTable t = jets_table(jets);
        BaselineResult r;
        {
          py::gil_scoped_release release;
          const JetSet set(ctx, t);
          BaselineOptions o;
          o.leading = leading;
          r = mass_asymmetry_baseline(ctx, set, o);
        }
        const auto n = static_cast<py::ssize_t>(r.n_events);
        py::dict d;
        d["triplets"] = to_numpy(widen(r.triplets), {n, 2, 3});
        d["m1"] = to_numpy(std::move(r.m1));
        d["m2"] = to_numpy(std::move(r.m2));
        d["m_avg"] = to_numpy(std::move(r.m_avg));
        d["asymmetry"] = to_numpy(std::move(r.asymmetry));
        d["category"] = to_numpy(widen(r.category), {n, static_cast<py::ssize_t>(r.max_jets)});
        return d;
      },
      py::arg("context"), py::arg("jets"), py::arg("leading"));

  m.def(
      "assign_train",
      [](Context& ctx, const py::dict& jets, const std::string& out,
         const std::vector<int>& architecture, const std::string& loss, int epochs,
         std::size_t batch_size, double lr, double validation, int patience, std::uint64_t seed,
         bool dropout, const std::string& best_model, const std::string& init) {
        if (architecture.size() != 4)
          throw Error("architecture: categories, embed_dim, heads, blocks");
        AssignConfig model_config;
        model_config.categories = architecture[0];
        model_config.embed_dim = architecture[1];
        model_config.heads = architecture[2];
        model_config.blocks = architecture[3];
        AssignTrainConfig train;
        train.loss = AssignLoss::parse(loss);
        train.epochs = epochs;
        train.batch_size = batch_size;
        train.learning_rate = lr;
        train.validation_fraction = validation;
        train.patience = patience;
        train.seed = seed;
        train.dropout = dropout;
        train.best_model = best_model;
        AssignModel model = init.empty() ? AssignModel(model_config) : AssignModel::load(init);
        const JetTable t = jets_table(jets);
        const std::vector<float> x = model_inputs(t);
        if (init.empty()) model.initialise(train.seed);
        AssignTrainResult r;
        {
          py::gil_scoped_release release;
          r = assign_train(model, x, t.n_events, t.max_jets, train, ctx);
          model.save(out);
        }
        py::list history;
        for (const AssignEpoch& e : r.epochs)
          history.append(py::dict(py::arg("epoch") = e.epoch, py::arg("train_loss") = e.train_loss,
                                  py::arg("validation_loss") = e.validation_loss,
                                  py::arg("learning_rate") = e.learning_rate,
                                  py::arg("seconds") = e.seconds));
        return py::dict(py::arg("initial_validation_loss") = r.initial_validation_loss,
                        py::arg("best_epoch") = r.best_epoch,
                        py::arg("best_validation_loss") = r.best_validation_loss,
                        py::arg("steps") = r.steps, py::arg("stopped_early") = r.stopped_early,
                        py::arg("epochs") = history);
      },
      py::arg("context"), py::arg("jets"), py::arg("out"), py::arg("architecture"), py::arg("loss"),
      py::arg("epochs"), py::arg("batch_size"), py::arg("lr"), py::arg("validation"),
      py::arg("patience"), py::arg("seed"), py::arg("dropout"), py::arg("best_model"),
      py::arg("init"));

  m.def(
      "assign_eval",
      [](const std::string& model_path, const py::dict& jets, std::size_t batch) {
        const AssignModel model = AssignModel::load(model_path);
        const JetTable t = jets_table(jets);
        const std::vector<float> x = model_inputs(t);
        const std::size_t n = t.n_events, j = t.max_jets;
        const int c = model.config().categories;
        AssignOutput<float> all;
        {
          py::gil_scoped_release release;
          const Context ctx("cpu");
          AssignEngine engine(ctx, model);
          all = assign_forward_batches(engine, x.data(), n, j, AssignChoice::hard, batch);
        }
        const auto sn = static_cast<py::ssize_t>(n), sj = static_cast<py::ssize_t>(j);
        std::vector<float> m_avg(n);
        for (std::size_t b = 0; b < n; ++b)
          m_avg[b] = 0.5f * (all.mass[b * c] + all.mass[b * c + 1]);
        py::dict d;
        d["category"] = to_numpy(std::move(all.category), {sn, sj});
        d["probability"] = to_numpy(std::move(all.probability), {sn, sj, c});
        d["logit_gap"] = to_numpy(std::move(all.logit_gap), {sn, sj});
        d["candidates_p4"] = to_numpy(std::move(all.candidates_p4), {sn, c, 4});
        d["mass"] = to_numpy(std::move(all.mass), {sn, c});
        d["m_avg"] = to_numpy(std::move(m_avg));
        d["loss"] = to_numpy(std::move(all.loss));
        return d;
      },
      py::arg("model"), py::arg("jets"), py::arg("batch_size"));
}

}  // namespace hepcat::python
