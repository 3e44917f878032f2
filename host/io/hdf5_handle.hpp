// HDF5 plumbing shared by every reader and writer of HDF5 files (tables, histograms, jets):
// identifiers that close themselves and a group's member names in the order tools show them.
// Include only where HEPCAT_HAVE_HDF5 is defined.
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

namespace hepcat::detail {

// An HDF5 identifier closed by the function that matches what opened it.
class Hdf5Handle {
 public:
  Hdf5Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Hdf5Handle() {
    if (id_ >= 0) close_(id_);
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }
  /// Closes now and reports whether that worked (file closes flush data).
  bool close() {
    const hid_t id = id_;
    id_ = -1;
    return close_(id) >= 0;
  }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// Link names in creation order when the group tracks it (hepcat's writer does), otherwise in
// HDF5's name index order (alphabetical), which is what h5py and most tools show.
inline std::vector<std::string> hdf5_link_names(hid_t group) {
  const H5L_iterate_t collect = [](hid_t, const char* name, const H5L_info_t*, void* out) {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return herr_t{0};
  };
  std::vector<std::string> names;
  unsigned flags = 0;
  Hdf5Handle gcpl(H5Gget_create_plist(group), H5Pclose);
  if (gcpl.ok() && H5Pget_link_creation_order(gcpl.get(), &flags) >= 0 &&
      (flags & H5P_CRT_ORDER_TRACKED)) {
    hsize_t idx = 0;
    if (H5Literate(group, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, collect, &names) >= 0)
      return names;
    names.clear();
    H5Eclear2(H5E_DEFAULT);
  }
  hsize_t idx = 0;
  H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &names);
  return names;
}

}  // namespace hepcat::detail
