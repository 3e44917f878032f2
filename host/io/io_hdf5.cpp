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
#include "host/io/hdf5_handle.hpp"
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

std::string normalise_group(std::string group) {
  while (group.size() > 1 && group.back() == '/') group.pop_back();
  return group;
}

std::string dataset_path(const std::string& group, const std::string& name) {
  return (group == "/" ? "" : group) + "/" + name;
}

bool is_dataset(hid_t group, const std::string& name) {
  Hdf5Handle obj(H5Oopen(group, name.c_str(), H5P_DEFAULT), H5Oclose);
  return obj.ok() && H5Iget_type(obj.get()) == H5I_DATASET;
}

// The extents of a dataset after checking that it holds numbers.
std::vector<hsize_t> numeric_extents(hid_t ds, const std::string& what) {
  Hdf5Handle space(H5Dget_space(ds), H5Sclose);
  Hdf5Handle type(H5Dget_type(ds), H5Tclose);
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

// The length of a 1-D numeric dataset.
std::size_t column_rows(hid_t ds, const std::string& what) {
  const std::vector<hsize_t> dims = numeric_extents(ds, what);
  if (dims.size() != 1)
    throw Error(what + " is not one-dimensional (hepcat reads one 1-D dataset per column)");
  return static_cast<std::size_t>(dims[0]);
}

// Reads the selected rows of a column; a part of the rows is read as a hyperslab, so a rank
// reads only its shard. `rows` receives the dataset's length.
std::vector<float> read_column(const std::string& path, hid_t group, const std::string& where,
                               const std::string& name, const RowSelection& selection,
                               std::size_t* rows) {
  const std::string what = describe(path, where);
  Hdf5Handle ds(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw Error("cannot open " + what + hdf5_reason());
  *rows = column_rows(ds.get(), what);
  if (selection.begin == 0 && selection.end == RowSelection::kAll)
    return read_all<float>(ds.get(), H5T_NATIVE_FLOAT, *rows, what);
  check_selection(path, selection, *rows);
  const hsize_t start = selection.begin, count = selection.end - selection.begin;
  std::vector<float> values(static_cast<std::size_t>(count));
  if (count == 0) return values;
  Hdf5Handle file_space(H5Dget_space(ds.get()), H5Sclose);
  Hdf5Handle mem_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  if (!file_space.ok() || !mem_space.ok() ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr) < 0 ||
      H5Dread(ds.get(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), H5P_DEFAULT,
              values.data()) < 0)
    throw Error("cannot read rows " + std::to_string(start) + " to " +
                std::to_string(start + count) + " of " + what + hdf5_reason());
  return values;
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
         hdf5_link_names(group_.get(), "'" + path + "' group '" + group_path_ + "'"))
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
  Hdf5Handle file_, group_;
  std::vector<std::string> datasets_;
};

hid_t create_group(hid_t file, const std::string& path, unsigned order) {
  Hdf5Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Hdf5Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
  H5Pset_link_creation_order(gcpl.get(), order);
  return H5Gcreate2(file, path.c_str(), lcpl.get(), gcpl.get(), H5P_DEFAULT);
}

}  // namespace

EventTable read_hdf5(const std::string& path, const std::string& group_name,
                     const std::vector<std::string>& columns, const RowSelection& selection) {
  const OpenGroup group(path, group_name);
  EventTable table;
  std::size_t first_rows = 0;
  for (const std::string& name : columns.empty() ? group.datasets() : columns) {
    group.require(name);
    if (table.has(name)) throw Error("column '" + name + "' requested twice from '" + path + "'");
    const std::string where = group.where(name);
    std::size_t rows = 0;
    std::vector<float> values = read_column(path, group.get(), where, name, selection, &rows);
    if (!table.columns.empty() && rows != first_rows)
      throw Error("'" + path + "' dataset '" + where + "' has " + std::to_string(rows) +
                  " rows, dataset '" + group.where(table.names.front()) + "' has " +
                  std::to_string(first_rows));
    first_rows = rows;
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

std::size_t count_hdf5_rows(const std::string& path, const std::string& group_name,
                            const std::vector<std::string>& columns) {
  const OpenGroup group(path, group_name);
  if (columns.empty() && group.datasets().empty())
    throw Error("'" + path + "' has no datasets in group '" + group.group_path() + "'");
  const std::string name = columns.empty() ? group.datasets().front() : columns.front();
  group.require(name);
  const std::string what = describe(path, group.where(name));
  Hdf5Handle ds(H5Dopen2(group.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw Error("cannot open " + what + hdf5_reason());
  return column_rows(ds.get(), what);
}

Array read_hdf5_array(const std::string& path, const std::string& group_name,
                      const std::string& dataset, int rank) {
  const OpenGroup group(path, group_name);
  group.require(dataset);
  const std::string what = describe(path, group.where(dataset));
  Hdf5Handle ds(H5Dopen2(group.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
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
    Hdf5Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
    H5Pset_link_creation_order(fcpl.get(), order);
    Hdf5Handle file(H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT), H5Fclose);
    if (!file.ok()) fail("cannot create the file");
    Hdf5Handle group(group_path == "/" ? H5Gopen2(file.get(), "/", H5P_DEFAULT)
                                       : create_group(file.get(), group_path, order),
                     H5Gclose);
    if (!group.ok()) fail("cannot create group '" + group_path + "'");
    // Uncompressed chunks of 1 MiB: fast to write, and readers can take slices.
    const hsize_t n = table.rows();
    const hsize_t chunk = std::max<hsize_t>(1, std::min<hsize_t>(n, hsize_t{1} << 18));
    Hdf5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(dcpl.get(), 1, &chunk);
    for (std::size_t j = 0; j < table.names.size(); ++j) {
      const std::string where = dataset_path(group_path, table.names[j]);
      Hdf5Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
      Hdf5Handle ds(H5Dcreate2(group.get(), table.names[j].c_str(), H5T_IEEE_F32LE, space.get(),
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

namespace {

// Attaches attribute `a` to the object `owner`: an array of variable-length strings or of
// float64 values.
bool write_attribute(hid_t owner, const Attribute& a) {
  const bool text = a.numbers.empty();
  const hsize_t n = text ? a.text.size() : a.numbers.size();
  detail::Hdf5Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  detail::Hdf5Handle type(text ? H5Tcopy(H5T_C_S1) : H5Tcopy(H5T_IEEE_F64LE), H5Tclose);
  if (text) H5Tset_size(type.get(), H5T_VARIABLE);
  detail::Hdf5Handle attr(
      H5Acreate2(owner, a.name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  if (!attr.ok()) return false;
  if (!text) return H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, a.numbers.data()) >= 0;
  std::vector<const char*> c;
  for (const std::string& t : a.text) c.push_back(t.c_str());
  return H5Awrite(attr.get(), type.get(), c.data()) >= 0;
}

}  // namespace

void write_hdf5_arrays(const std::string& path, const std::vector<OutputArray>& arrays,
                       const std::vector<Attribute>& attributes) {
  for (const OutputArray& a : arrays) {
    std::size_t n = 1;
    for (std::size_t d : a.shape) n *= d;
    if (n != a.values.size())
      throw Error("cannot write '" + path + "': dataset '" + a.name + "' has " +
                  std::to_string(a.values.size()) + " values for its shape of " +
                  std::to_string(n));
  }
  detail::silence_hdf5();
  detail::write_atomically(path, [&](const std::string& temp) {
    const auto fail = [&](const std::string& what) {
      throw Error("cannot write '" + path + "': " + what + detail::hdf5_reason());
    };
    const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    detail::Hdf5Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
    H5Pset_link_creation_order(fcpl.get(), order);
    detail::Hdf5Handle file(H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT),
                            H5Fclose);
    if (!file.ok()) fail("cannot create the file");
    for (const Attribute& a : attributes)
      if (!write_attribute(file.get(), a)) fail("cannot write attribute '" + a.name + "'");
    for (const OutputArray& a : arrays) {
      const std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
      detail::Hdf5Handle space(
          H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
      detail::Hdf5Handle ds(
          H5Dcreate2(file.get(), a.name.c_str(), a.integer ? H5T_STD_I32LE : H5T_IEEE_F64LE,
                     space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          H5Dclose);
      if (!ds.ok()) fail("cannot create dataset '" + a.name + "'");
      herr_t written = 0;
      if (a.integer) {
        const std::vector<int> v(a.values.begin(), a.values.end());
        written = H5Dwrite(ds.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
      } else {
        written =
            H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data());
      }
      if (written < 0) fail("cannot write dataset '" + a.name + "'");
      for (const Attribute& at : a.attributes)
        if (!write_attribute(ds.get(), at))
          fail("cannot write attribute '" + at.name + "' of '" + a.name + "'");
      if (!ds.close()) fail("cannot write dataset '" + a.name + "'");
    }
    if (!file.close()) fail("cannot finish the file");
  });
}

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

EventTable read_hdf5(const std::string& path, const std::string&, const std::vector<std::string>&,
                     const RowSelection&) {
  no_hdf5(path);
}

std::size_t count_hdf5_rows(const std::string& path, const std::string&,
                            const std::vector<std::string>&) {
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

void write_hdf5_arrays(const std::string& path, const std::vector<OutputArray>&,
                       const std::vector<Attribute>&) {
  detail::no_hdf5(path);
}

#endif

}  // namespace hepcat
