// Writes jet files in SPANet's and the ABC code's HDF5 layouts with the C API directly (nested
// groups, h5py's boolean enum, no creation order), so that the reader tests do not depend on
// hepcat's own writer.
#pragma once

#ifdef HEPCAT_HAVE_HDF5
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hepcat::test {

struct H5Item {
  std::string path;  ///< e.g. "INPUTS/Source/pt"; intermediate groups are created
  std::vector<hsize_t> shape;
  std::vector<double> values;   ///< row-major
  hid_t type = H5T_IEEE_F32LE;  ///< 0: h5py's boolean (1-byte enum)
  std::string unit;             ///< written as a `unit` string attribute when not empty
};

inline void write_items(const std::string& path, const std::vector<H5Item>& items) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t boolean = H5Tenum_create(H5T_NATIVE_INT8);
  const std::int8_t no = 0, yes = 1;
  H5Tenum_insert(boolean, "FALSE", &no);
  H5Tenum_insert(boolean, "TRUE", &yes);
  for (const H5Item& d : items) {
    const hid_t space = H5Screate_simple(static_cast<int>(d.shape.size()), d.shape.data(), nullptr);
    const hid_t type = d.type == 0 ? boolean : d.type;
    const hid_t ds = H5Dcreate2(file, d.path.c_str(), type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (d.type == 0) {
      std::vector<std::int8_t> raw(d.values.begin(), d.values.end());
      H5Dwrite(ds, boolean, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data());
    } else {
      H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.values.data());
    }
    if (!d.unit.empty()) {
      const hid_t st = H5Tcopy(H5T_C_S1);
      H5Tset_size(st, d.unit.size());
      const hid_t as = H5Screate(H5S_SCALAR);
      const hid_t a = H5Acreate2(ds, "unit", st, as, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, st, d.unit.data());
      H5Aclose(a);
      H5Sclose(as);
      H5Tclose(st);
    }
    H5Dclose(ds);
    H5Sclose(space);
  }
  H5Tclose(boolean);
  H5Pclose(lcpl);
  H5Fclose(file);
}

}  // namespace hepcat::test
#endif
