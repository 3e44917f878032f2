// HDF5 tables: one 1-D numeric dataset per column inside a group (the root group by default).
// Any integer or floating-point dataset is read, converted to float by the library; single
// arrays of any rank (the fit command's histograms) are read as double. Without HDF5 in the
// build every entry point throws an Error that says so.
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "host/io/io_formats.hpp"

#ifdef HEPCAT_HAVE_HDF5
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>

#include "host/io/atomic_file.hpp"
#endif

namespace hepcat {

#ifdef HEPCAT_HAVE_HDF5

bool hdf5_available() {
  return true;
}

namespace detail {

namespace {

// hepcat reports failures itself, so the library's own printing to stderr is switched off.
void silence_hdf5() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

herr_t first_error(unsigned, const H5E_error2_t* e, void* out) {
  auto* s = static_cast<std::string*>(out);
  if (s->empty() && e->desc) *s = e->desc;
  return 0;
}

// The innermost message on HDF5's error stack, e.g. "unable to open file".
std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_error, &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason.empty() ? "" : " (" + reason + ")";
}

// An HDF5 identifier closed by the function that matches what opened it.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
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

std::string normalise_group(std::string group) {
  while (group.size() > 1 && group.back() == '/') group.pop_back();
  return group;
}

std::string dataset_path(const std::string& group, const std::string& name) {
  return (group == "/" ? "" : group) + "/" + name;
}

herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

// Link names in creation order when the group tracks it (hepcat's writer does), otherwise in
// name order (alphabetical), which is what h5py and most tools show. For large (dense) groups
// only calls that walk an index in place are used: for the others libhdf5 1.10 builds a
// temporary link table whose uninitialised entries it frees when the file is corrupt. Small
// (compact) groups are always listed through such a table, so every link is decoded first by a
// lookup, which fails cleanly where the table would not.
std::vector<std::string> link_names(hid_t group, const std::string& what) {
  const std::string corrupt = "cannot list " + what + ": its link table is corrupt";
  H5G_info_t info{};
  if (H5Gget_info(group, &info) < 0) throw Error(corrupt + hdf5_reason());
  const bool compact = info.storage_type == H5G_STORAGE_TYPE_COMPACT;
  if (compact && H5Lexists(group, "hepcat: no such link", H5P_DEFAULT) < 0)
    throw Error(corrupt + hdf5_reason());
  unsigned flags = 0;
  Handle gcpl(H5Gget_create_plist(group), H5Pclose);
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

bool is_dataset(hid_t group, const std::string& name) {
  Handle obj(H5Oopen(group, name.c_str(), H5P_DEFAULT), H5Oclose);
  return obj.ok() && H5Iget_type(obj.get()) == H5I_DATASET;
}

// The extents of a dataset after checking that it holds numbers.
std::vector<hsize_t> numeric_extents(hid_t ds, const std::string& what) {
  Handle space(H5Dget_space(ds), H5Sclose);
  Handle type(H5Dget_type(ds), H5Tclose);
  const H5T_class_t cls = type.ok() ? H5Tget_class(type.get()) : H5T_NO_CLASS;
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    throw Error(what + " is not numeric (hepcat reads integer and floating-point datasets)");
  const int rank = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) throw Error("cannot read the shape of " + what + hdf5_reason());
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

// Reads a whole dataset converted by the library to `T` (the memory type `mem`).
template <typename T>
std::vector<T> read_all(hid_t ds, hid_t mem, std::size_t n, const std::string& what) {
  std::vector<T> values(n);
  if (n > 0 && H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    throw Error("cannot read " + what + hdf5_reason());
  return values;
}

std::string describe(const std::string& path, const std::string& where) {
  return "'" + path + "' dataset '" + where + "'";
}

std::vector<float> read_column(const std::string& path, hid_t group, const std::string& where,
                               const std::string& name) {
  const std::string what = describe(path, where);
  Handle ds(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw Error("cannot open " + what + hdf5_reason());
  const std::vector<hsize_t> dims = numeric_extents(ds.get(), what);
  if (dims.size() != 1)
    throw Error(what + " is not one-dimensional (hepcat reads one 1-D dataset per column)");
  return read_all<float>(ds.get(), H5T_NATIVE_FLOAT, static_cast<std::size_t>(dims[0]), what);
}

// A group of an existing HDF5 file opened for reading, with its datasets listed.
class OpenGroup {
 public:
  OpenGroup(const std::string& path, const std::string& group_name)
      : path_(path),
        group_path_(normalise_group(group_name)),
        file_(open_file(path), H5Fclose),
        group_(H5Gopen2(file_.get(), group_path_.c_str(), H5P_DEFAULT), H5Gclose) {
    if (!group_.ok()) {
      H5Eclear2(H5E_DEFAULT);
      throw Error("'" + path + "' has no group '" + group_path_ + "'");
    }
    for (const std::string& name :
         link_names(group_.get(), "'" + path + "' group '" + group_path_ + "'"))
      if (is_dataset(group_.get(), name)) datasets_.push_back(name);
    H5Eclear2(H5E_DEFAULT);
  }

  hid_t get() const { return group_.get(); }
  const std::string& group_path() const { return group_path_; }
  const std::vector<std::string>& datasets() const { return datasets_; }
  std::string where(const std::string& name) const { return dataset_path(group_path_, name); }

  void require(const std::string& name) const {
    if (std::find(datasets_.begin(), datasets_.end(), name) != datasets_.end()) return;
    std::string available;
    for (const auto& d : datasets_) available += (available.empty() ? "" : ", ") + d;
    throw Error("'" + path_ + "' has no dataset '" + where(name) + "' (available: " + available +
                ")");
  }

 private:
  static hid_t open_file(const std::string& path) {
    silence_hdf5();
    if (::access(path.c_str(), F_OK) != 0) throw Error("cannot open '" + path + "': no such file");
    if (H5Fis_hdf5(path.c_str()) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      throw Error("cannot read '" + path + "': not an HDF5 file");
    }
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) throw Error("cannot open '" + path + "'" + hdf5_reason());
    return file;
  }

  std::string path_, group_path_;
  Handle file_, group_;
  std::vector<std::string> datasets_;
};

hid_t create_group(hid_t file, const std::string& path, unsigned order) {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
  H5Pset_link_creation_order(gcpl.get(), order);
  return H5Gcreate2(file, path.c_str(), lcpl.get(), gcpl.get(), H5P_DEFAULT);
}

}  // namespace

EventTable read_hdf5(const std::string& path, const std::string& group_name,
                     const std::vector<std::string>& columns) {
  const OpenGroup group(path, group_name);
  EventTable table;
  for (const std::string& name : columns.empty() ? group.datasets() : columns) {
    group.require(name);
    if (table.has(name)) throw Error("column '" + name + "' requested twice from '" + path + "'");
    const std::string where = group.where(name);
    std::vector<float> values = read_column(path, group.get(), where, name);
    if (!table.columns.empty() && values.size() != table.rows())
      throw Error("'" + path + "' dataset '" + where + "' has " + std::to_string(values.size()) +
                  " rows, dataset '" + group.where(table.names.front()) + "' has " +
                  std::to_string(table.rows()));
    table.add(name, std::move(values));
  }
  if (table.columns.empty())
    throw Error("'" + path + "' has no datasets in group '" + group.group_path() + "'");
  return table;
}

std::vector<std::string> list_hdf5_datasets(const std::string& path,
                                            const std::string& group_name) {
  return OpenGroup(path, group_name).datasets();
}

Array read_hdf5_array(const std::string& path, const std::string& group_name,
                      const std::string& dataset, int rank) {
  const OpenGroup group(path, group_name);
  group.require(dataset);
  const std::string what = describe(path, group.where(dataset));
  Handle ds(H5Dopen2(group.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw Error("cannot open " + what + hdf5_reason());
  const std::vector<hsize_t> dims = numeric_extents(ds.get(), what);
  if (rank > 0 && dims.size() != static_cast<std::size_t>(rank))
    throw Error(what + " is " + std::to_string(dims.size()) + "-D, expected " +
                std::to_string(rank) + "-D");
  Array a;
  a.shape.assign(dims.begin(), dims.end());
  std::size_t n = 1;
  for (std::size_t d : a.shape) n *= d;
  a.values = read_all<double>(ds.get(), H5T_NATIVE_DOUBLE, n, what);
  return a;
}

void write_hdf5(const std::string& path, const std::string& group_name, const EventTable& table) {
  silence_hdf5();
  const std::string group_path = normalise_group(group_name);
  write_atomically(path, [&](const std::string& temp) {
    const auto fail = [&](const std::string& what) {
      throw Error("cannot write '" + path + "': " + what + hdf5_reason());
    };
    // Creation order is tracked so that readers get the columns back in the order written.
    const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
    H5Pset_link_creation_order(fcpl.get(), order);
    Handle file(H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT), H5Fclose);
    if (!file.ok()) fail("cannot create the file");
    Handle group(group_path == "/" ? H5Gopen2(file.get(), "/", H5P_DEFAULT)
                                   : create_group(file.get(), group_path, order),
                 H5Gclose);
    if (!group.ok()) fail("cannot create group '" + group_path + "'");
    // Uncompressed chunks of 1 MiB: fast to write, and readers can take slices.
    const hsize_t n = table.rows();
    const hsize_t chunk = std::max<hsize_t>(1, std::min<hsize_t>(n, hsize_t{1} << 18));
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(dcpl.get(), 1, &chunk);
    for (std::size_t j = 0; j < table.names.size(); ++j) {
      const std::string where = dataset_path(group_path, table.names[j]);
      Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
      Handle ds(H5Dcreate2(group.get(), table.names[j].c_str(), H5T_IEEE_F32LE, space.get(),
                           H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                H5Dclose);
      if (!ds.ok()) fail("cannot create dataset '" + where + "'");
      if (n > 0 && H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                            table.columns[j].data()) < 0)
        fail("cannot write dataset '" + where + "'");
      if (!ds.close()) fail("cannot write dataset '" + where + "'");
    }
    group.close();
    if (!file.close()) fail("cannot finish the file");
  });
}

}  // namespace detail

#else  // no HDF5 in this build

bool hdf5_available() {
  return false;
}

namespace detail {

namespace {
[[noreturn]] void no_hdf5(const std::string& path) {
  throw Error("cannot use '" + path + "': this build of hepcat has no HDF5 support " +
              "(install libhdf5-dev and reconfigure, or use .csv)");
}

}  // namespace

EventTable read_hdf5(const std::string& path, const std::string&, const std::vector<std::string>&) {
  no_hdf5(path);
}

void write_hdf5(const std::string& path, const std::string&, const EventTable&) {
  no_hdf5(path);
}

std::vector<std::string> list_hdf5_datasets(const std::string& path, const std::string&) {
  no_hdf5(path);
}

Array read_hdf5_array(const std::string& path, const std::string&, const std::string&, int) {
  no_hdf5(path);
}

}  // namespace detail

#endif

}  // namespace hepcat
