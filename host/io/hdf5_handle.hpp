// HDF5 plumbing shared by every reader and writer of HDF5 files (tables, histograms, jets):
// identifiers that close themselves and a group's member names in the order tools show them.
// Include only where HEPCAT_HAVE_HDF5 is defined.
#pragma once

#include <hdf5.h>

#include "hepcat/error.hpp"

#include <algorithm>
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

inline herr_t first_error(unsigned, const H5E_error2_t* e, void* out) {
  auto* s = static_cast<std::string*>(out);
  if (s->empty() && e->desc) *s = e->desc;
  return 0;
}

// The innermost message on HDF5's error stack, e.g. "unable to open file".
inline std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_error, &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason.empty() ? "" : " (" + reason + ")";
}

inline herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

// Link names in creation order when the group tracks it (hepcat's writer does), otherwise in
// name order (alphabetical), which is what h5py and most tools show. For large (dense) groups
// only calls that walk an index in place are used: for the others libhdf5 1.10 builds a
// temporary link table whose uninitialised entries it frees when the file is corrupt. Small
// (compact) groups are always listed through such a table, so every link is decoded first by a
// lookup, which fails cleanly where the table would not.
inline std::vector<std::string> hdf5_link_names(hid_t group, const std::string& what) {
  const std::string corrupt = "cannot list " + what + ": its link table is corrupt";
  H5G_info_t info{};
  if (H5Gget_info(group, &info) < 0) throw Error(corrupt + hdf5_reason());
  const bool compact = info.storage_type == H5G_STORAGE_TYPE_COMPACT;
  if (compact && H5Lexists(group, "hepcat: no such link", H5P_DEFAULT) < 0)
    throw Error(corrupt + hdf5_reason());
  unsigned flags = 0;
  Hdf5Handle gcpl(H5Gget_create_plist(group), H5Pclose);
  const bool tracked = gcpl.ok() && H5Pget_link_creation_order(gcpl.get(), &flags) >= 0 &&
                       (flags & H5P_CRT_ORDER_TRACKED);
  std::vector<std::string> names;
  hsize_t idx = 0;
  if (compact) {
    if (H5Literate(group, tracked ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, H5_ITER_INC, &idx,
                   collect_link, &names) < 0)
      throw Error(corrupt + hdf5_reason());
    return names;
  }
  if (tracked && (flags & H5P_CRT_ORDER_INDEXED)) {
    for (hsize_t k = 0; k < info.nlinks; ++k) {
      const ssize_t size = H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, k,
                                              nullptr, 0, H5P_DEFAULT);
      if (size < 0) throw Error(corrupt + hdf5_reason());
      std::string name(static_cast<std::size_t>(size) + 1, '\0');
      if (H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, k, name.data(),
                             name.size(), H5P_DEFAULT) < 0)
        throw Error(corrupt + hdf5_reason());
      name.resize(static_cast<std::size_t>(size));
      names.push_back(std::move(name));
    }
    return names;
  }
  if (H5Literate(group, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, collect_link, &names) < 0)
    throw Error(corrupt + hdf5_reason());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace hepcat::detail
