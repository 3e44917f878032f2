// Writes HDF5 files with the C API directly, so that tests of hepcat's readers do not depend on
// hepcat's own writer.
#pragma once

#ifdef HEPCAT_HAVE_HDF5
#include <hdf5.h>

#include <string>
#include <vector>

namespace hepcat::test {

struct H5Dataset {
  std::string name;
  std::vector<hsize_t> shape;
  std::vector<double> values;  ///< row-major, converted to `type` by the library
  hid_t type = H5T_IEEE_F64LE;
};

/// Creates `path` (replacing it) with `datasets` under `group` ("/" or a new group).
inline void write_h5(const std::string& path, const std::string& group,
                     const std::vector<H5Dataset>& datasets) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t g = group == "/"
                      ? H5Gopen2(file, "/", H5P_DEFAULT)
                      : H5Gcreate2(file, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  for (const H5Dataset& d : datasets) {
    const hid_t space = H5Screate_simple(static_cast<int>(d.shape.size()), d.shape.data(), nullptr);
    const hid_t ds =
        H5Dcreate2(g, d.name.c_str(), d.type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.values.data());
    H5Dclose(ds);
    H5Sclose(space);
  }
  H5Gclose(g);
  H5Fclose(file);
}

}  // namespace hepcat::test
#endif
