// Per-event result arrays of the assign commands, written to HDF5 (host/assign/jets_hdf5.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace hepcat::detail {

/// One dataset: `name` may hold groups ("truth/m_avg"), created as needed; `values` row-major
/// with `shape`, stored as float32, or as int32 when `integer`.
struct ResultArray {
  std::string name;
  std::vector<std::size_t> shape;
  std::vector<double> values;
  bool integer = false;
};

/// Writes the arrays into a new HDF5 file, atomically (datasets in the order given). Throws
/// Error for a shape that does not match the values, and the no-HDF5 Error in builds without it.
void write_result_arrays(const std::string& path, const std::vector<ResultArray>& arrays);

}  // namespace hepcat::detail
