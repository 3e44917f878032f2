// The _hepcat extension: pybind11 bindings over the public C++ API. The hepcat package
// (python/hepcat/__init__.py) wraps it with keyword arguments, docstrings and result objects.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "columns.hpp"
#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/toy.hpp"

namespace hepcat::python {

namespace {

py::dict table_dict(EventTable&& table) {
  py::dict out;
  for (std::size_t j = 0; j < table.names.size(); ++j)
    out[py::str(table.names[j])] = to_numpy(std::move(table.columns[j]));
  return out;
}

/// The columns of the toy `generate` draws with `config`, generated without the GIL.
template <class Config>
py::dict generated_table(EventTable (*generate)(const Config&), const Config& config) {
  EventTable t;
  {
    py::gil_scoped_release release;
    t = generate(config);
  }
  return table_dict(std::move(t));
}

}  // namespace

}  // namespace hepcat::python

PYBIND11_MODULE(_hepcat, m) {
  using namespace hepcat;
  using namespace hepcat::python;
  m.doc() = "hepcat's C++ engine (use the hepcat package, which wraps this module)";

  // Bad input is the common failure, hence ValueError; the message is the CLI's.
  py::register_exception<Error>(m, "Error", PyExc_ValueError);

  py::class_<Context, std::shared_ptr<Context>>(m, "Context")
      .def(py::init<const std::string&, bool>(), py::arg("device") = "auto",
           py::arg("verbose") = false)
      .def_property_readonly("backend", [](const Context& c) { return to_string(c.backend()); })
      .def_property_readonly("is_cuda", &Context::is_cuda)
      .def_property_readonly("device_index", &Context::device_index)
      .def_property_readonly("device_name", &Context::device_name)
      .def("synchronize", &Context::synchronize);

  m.def("build_info", [] {
    const BuildInfo b = build_info();
    py::list devices;
    for (const DeviceInfo& i : cuda_devices())
      devices.append(py::dict(py::arg("index") = i.index, py::arg("name") = i.name,
                              py::arg("memory_bytes") = i.memory_bytes));
    return py::dict(py::arg("version") = b.version, py::arg("cuda") = b.cuda,
                    py::arg("cuda_architectures") = b.cuda_architectures, py::arg("hdf5") = b.hdf5,
                    py::arg("openmp") = b.openmp, py::arg("cpu_threads") = b.cpu_threads,
                    py::arg("cuda_devices") = devices);
  });

  m.def(
      "gato_toy",
      [](int scenario, std::int64_t events, std::uint64_t seed, double lumi) {
        return generated_table(generate_gato_toy, GatoToyConfig{scenario, events, seed, lumi});
      },
      py::arg("scenario"), py::arg("events"), py::arg("seed"), py::arg("lumi"));
  m.def(
      "splitfit_toy",
      [](std::int64_t background, std::int64_t signal, bool mismodelled, std::uint64_t seed) {
        return generated_table(generate_splitfit_toy,
                               SplitFitToyConfig{background, signal, mismodelled, seed});
      },
      py::arg("background_events"), py::arg("signal_events"), py::arg("mismodelled"),
      py::arg("seed"));

  bind_binning(m);
  bind_methods(m);
  bind_assign(m);
}
