// The parts of the _hepcat module, one function per source file.
#pragma once

#include <pybind11/pybind11.h>

namespace hepcat::python {

void bind_binning(pybind11::module_& m);  ///< Events, Trainer, the whole binning job
void bind_methods(pybind11::module_& m);  ///< merge, cuts, fits, Split-N-Fit
void bind_assign(pybind11::module_& m);   ///< jet toy, reader, baseline, ABC train and eval

}  // namespace hepcat::python
