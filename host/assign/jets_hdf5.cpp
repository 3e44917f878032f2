// Jet events in HDF5: SPANet's layout and the ABC code's layout in, SPANet's layout out.
#include <cmath>

#include "hepcat/error.hpp"
#include "hepcat/jets.hpp"
#include "hepcat/math/assign_kinematics.hpp"
#include "host/assign/jets_check.hpp"

#ifdef HEPCAT_HAVE_HDF5
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>

#include "host/io/atomic_file.hpp"
#include "host/io/hdf5_handle.hpp"
#endif

namespace hepcat {

#ifdef HEPCAT_HAVE_HDF5

namespace {

using detail::hdf5_link_names;
using detail::Hdf5Handle;

bool has_link(hid_t loc, const std::string& path) {
  // Checks each component, as H5Lexists requires.
  std::size_t pos = 0;
  while (true) {
    const std::size_t next = path.find('/', pos);
    const std::string prefix = path.substr(0, next);
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (next == std::string::npos) return true;
    pos = next + 1;
  }
}

class JetFile {
 public:
  explicit JetFile(const std::string& path) : path_(path), file_(open(path), H5Fclose) {}

  bool has(const std::string& name) const { return has_link(file_.get(), name); }
  hid_t get() const { return file_.get(); }
  std::string what(const std::string& name) const {
    return "'" + path_ + "' dataset '" + name + "'";
  }

  /// A numeric (or boolean) dataset of `rank` dimensions converted to T through `mem`.
  template <class T>
  std::vector<T> read(const std::string& name, int rank, hid_t mem,
                      std::vector<hsize_t>* dims_out) const {
    if (!has(name)) throw Error("'" + path_ + "' has no dataset '" + name + "'");
    Hdf5Handle ds(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) throw Error("cannot open " + what(name));
    Hdf5Handle space(H5Dget_space(ds.get()), H5Sclose);
    Hdf5Handle type(H5Dget_type(ds.get()), H5Tclose);
    const H5T_class_t cls = H5Tget_class(type.get());
    const bool boolean = cls == H5T_ENUM && H5Tget_size(type.get()) == 1;
    if (cls != H5T_INTEGER && cls != H5T_FLOAT && !boolean)
      throw Error(what(name) + " is not numeric");
    const int r = H5Sget_simple_extent_ndims(space.get());
    if (r != rank)
      throw Error(what(name) + " is " + std::to_string(r) + "-D, expected " + std::to_string(rank) +
                  "-D");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    std::size_t n = 1;
    for (hsize_t d : dims) n *= d;
    std::vector<T> values(n);
    if (boolean) {
      // h5py stores bool as a 1-byte enum {FALSE = 0, TRUE = 1}: read the raw bytes.
      std::vector<std::uint8_t> raw(n);
      Hdf5Handle native(H5Tget_native_type(type.get(), H5T_DIR_ASCEND), H5Tclose);
      if (n > 0 && H5Dread(ds.get(), native.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
        throw Error("cannot read " + what(name));
      std::copy(raw.begin(), raw.end(), values.begin());
    } else if (n > 0 && H5Dread(ds.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
      throw Error("cannot read " + what(name));
    }
    if (dims_out) *dims_out = dims;
    return values;
  }

  /// The `unit` attribute of a dataset, or "" when it has none.
  std::string unit(const std::string& name) const {
    Hdf5Handle ds(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.ok() || H5Aexists(ds.get(), "unit") <= 0) return "";
    Hdf5Handle attr(H5Aopen(ds.get(), "unit", H5P_DEFAULT), H5Aclose);
    Hdf5Handle type(H5Aget_type(attr.get()), H5Tclose);
    if (H5Tget_class(type.get()) != H5T_STRING)
      throw Error(what(name) + " has a 'unit' attribute that is not a string");
    std::string text;
    if (H5Tis_variable_str(type.get()) > 0) {
      char* s = nullptr;
      Hdf5Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mem.get(), H5T_VARIABLE);
      if (H5Aread(attr.get(), mem.get(), &s) >= 0 && s) text = s;
      H5free_memory(s);
    } else {
      std::vector<char> buf(H5Tget_size(type.get()) + 1, '\0');
      H5Aread(attr.get(), type.get(), buf.data());
      text = buf.data();
    }
    return text;
  }

  std::vector<std::string> group_members(const std::string& name) const {
    Hdf5Handle g(H5Gopen2(file_.get(), name.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g.ok()) throw Error("'" + path_ + "' has no group '" + name + "'");
    return hdf5_link_names(g.get(), "'" + path_ + "' group '" + name + "'");
  }

 private:
  static hid_t open(const std::string& path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    if (::access(path.c_str(), F_OK) != 0) throw Error("cannot open '" + path + "': no such file");
    if (H5Fis_hdf5(path.c_str()) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      throw Error("cannot read '" + path + "': not an HDF5 file");
    }
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) throw Error("cannot open '" + path + "'");
    return file;
  }

  std::string path_;
  Hdf5Handle file_;
};

// Reads a per-jet [N][J] array; the first one read sets the shape of `t`, the others must match.
std::vector<float> read_jet_array(const JetFile& f, const std::string& name, JetTable& t) {
  std::vector<hsize_t> dims;
  std::vector<float> v = f.read<float>(name, 2, H5T_NATIVE_FLOAT, &dims);
  if (t.max_jets == 0 && t.n_events == 0) {
    t.n_events = dims[0];
    t.max_jets = dims[1];
  } else if (dims[0] != t.n_events || dims[1] != t.max_jets) {
    throw Error(f.what(name) + " has shape [" + std::to_string(dims[0]) + ", " +
                std::to_string(dims[1]) + "], expected [" + std::to_string(t.n_events) + ", " +
                std::to_string(t.max_jets) + "]");
  }
  return v;
}

std::vector<float> read_event_array(const JetFile& f, const std::string& name, std::size_t n) {
  std::vector<hsize_t> dims;
  std::vector<float> v = f.read<float>(name, 1, H5T_NATIVE_FLOAT, &dims);
  if (dims[0] != n)
    throw Error(f.what(name) + " has " + std::to_string(dims[0]) + " events, expected " +
                std::to_string(n));
  return v;
}

double unit_scale(const std::string& unit, const std::string& what) {
  if (unit == "GeV") return 1.0;
  if (unit == "MeV") return 1e-3;
  throw Error(what + ": unknown unit '" + unit + "' (expected GeV or MeV)");
}

void zero_padded(JetTable& t) {
  for (std::size_t s = 0; s < t.mask.size(); ++s)
    if (!t.mask[s]) t.pt[s] = t.eta[s] = t.phi[s] = t.e[s] = 0.f;
}

JetTable read_spanet(const JetFile& f, const std::string& path, const JetReadOptions& opt) {
  const std::string src = "INPUTS/Source/";
  JetTable t;
  detail::JetFieldNames names{src + "pt",   src + "eta",      src + "phi", src + "mass",
                              src + "MASK", "WEIGHTS/weight", "TARGETS"};
  t.pt = read_jet_array(f, src + "pt", t);
  t.eta = read_jet_array(f, src + "eta", t);
  t.phi = read_jet_array(f, src + "phi", t);
  std::vector<hsize_t> mdims;
  t.mask = f.read<std::uint8_t>(src + "MASK", 2, H5T_NATIVE_UINT8, &mdims);
  if (mdims[0] != t.n_events || mdims[1] != t.max_jets)
    throw Error(f.what(src + "MASK") + " has a different shape from " + f.what(src + "pt"));
  if (f.has(src + "mass")) {
    const std::vector<float> m = read_jet_array(f, src + "mass", t);
    t.e.resize(m.size());
    for (std::size_t s = 0; s < m.size(); ++s) {
      // The mass enters squared: rounding leaves tiny negative masses in real files (SPANet's
      // example has -1e-6), which are accepted; NaN or inf is reported as such below.
      if (t.mask[s] && !std::isfinite(m[s]))
        throw Error("'" + path + "': " + names.e + " is " + std::to_string(m[s]) + " at event " +
                    std::to_string(s / t.max_jets) + ", jet " + std::to_string(s % t.max_jets));
      t.e[s] = static_cast<float>(math::jet_energy<double>(t.pt[s], t.eta[s], m[s]));
    }
    names.e = "E (from " + src + "mass)";
  } else {
    const std::string e = f.has(src + "e") ? "e" : "E";
    if (!f.has(src + e))
      throw Error("'" + path + "' has neither " + src + "mass nor " + src + "e for the energy");
    t.e = read_jet_array(f, src + e, t);
    names.e = src + e;
  }
  if (f.has("WEIGHTS/weight")) t.weight = read_event_array(f, "WEIGHTS/weight", t.n_events);
  if (f.has("TARGETS")) {
    t.parents = f.group_members("TARGETS");
    for (std::size_t p = 0; p < t.parents.size(); ++p) {
      std::vector<std::string> d = f.group_members("TARGETS/" + t.parents[p]);
      if (p == 0)
        t.daughters = d;
      else if (d != t.daughters)
        throw Error("'" + path + "' group 'TARGETS/" + t.parents[p] +
                    "' has other daughters than 'TARGETS/" + t.parents[0] +
                    "' (hepcat assigns identically decaying parents)");
    }
    const std::size_t np = t.parents.size(), nd = t.daughters.size();
    t.truth.assign(t.n_events * np * nd, -1);
    for (std::size_t p = 0; p < np; ++p)
      for (std::size_t d = 0; d < nd; ++d) {
        const std::string name = "TARGETS/" + t.parents[p] + "/" + t.daughters[d];
        std::vector<hsize_t> dims;
        const std::vector<std::int64_t> v = f.read<std::int64_t>(name, 1, H5T_NATIVE_INT64, &dims);
        if (dims[0] != t.n_events)
          throw Error(f.what(name) + " has " + std::to_string(dims[0]) + " events, expected " +
                      std::to_string(t.n_events));
        for (std::size_t i = 0; i < t.n_events; ++i) {
          if (v[i] < -1 || v[i] >= static_cast<std::int64_t>(t.max_jets))
            throw Error("'" + path + "': " + name + " is " + std::to_string(v[i]) + " at event " +
                        std::to_string(i) + " (expected -1 or a jet index below " +
                        std::to_string(t.max_jets) + ")");
          t.truth[(i * np + p) * nd + d] = static_cast<std::int32_t>(v[i]);
        }
      }
  }
  detail::check_jets(t, "'" + path + "'", opt.min_jets, names);
  zero_padded(t);
  return t;
}

JetTable read_abc(const JetFile& f, const std::string& path, const JetReadOptions& opt) {
  JetTable t;
  const detail::JetFieldNames names{
      "source/pt",     "source/eta", "source/phi", "source/e", "source/e (E != 0 marks a jet)",
      "source/weight", "truth"};
  t.pt = read_jet_array(f, "source/pt", t);
  t.eta = read_jet_array(f, "source/eta", t);
  t.phi = read_jet_array(f, "source/phi", t);
  t.e = read_jet_array(f, "source/e", t);
  const std::string what = "'" + path + "'";
  const std::string pt_unit = !opt.abc_pt_unit.empty() ? opt.abc_pt_unit : f.unit("source/pt");
  const double pt_scale = unit_scale(pt_unit.empty() ? "MeV" : pt_unit, what + " source/pt");
  const std::string e_unit = f.unit("source/e");
  const double e_scale = unit_scale(e_unit.empty() ? "GeV" : e_unit, what + " source/e");
  t.mask.resize(t.e.size());
  for (std::size_t s = 0; s < t.e.size(); ++s) {
    t.mask[s] = t.e[s] != 0.f;
    t.pt[s] = static_cast<float>(t.pt[s] * pt_scale);
    t.e[s] = static_cast<float>(t.e[s] * e_scale);
  }
  if (f.has("source/weight")) t.weight = read_event_array(f, "source/weight", t.n_events);
  detail::check_jets(t, what, opt.min_jets, names);
  zero_padded(t);
  return t;
}

// A new HDF5 file (creation order tracked) being filled under a temporary name.
class NewFile {
 public:
  NewFile(const std::string& temp, const std::string& target)
      : target_(target),
        fcpl_(H5Pcreate(H5P_FILE_CREATE), H5Pclose),
        lcpl_(H5Pcreate(H5P_LINK_CREATE), H5Pclose),
        gcpl_(H5Pcreate(H5P_GROUP_CREATE), H5Pclose),
        file_(create(temp), H5Fclose) {
    if (!file_.ok()) fail("cannot create the file");
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error("cannot write '" + target_ + "': " + what);
  }
  void group(const std::string& name) {
    Hdf5Handle g(H5Gcreate2(file_.get(), name.c_str(), lcpl_.get(), gcpl_.get(), H5P_DEFAULT),
                 H5Gclose);
    if (!g.ok()) fail("cannot create group '" + name + "'");
  }
  void dataset(const std::string& name, const std::vector<hsize_t>& dims, hid_t file_type,
               hid_t mem_type, const void* data) {
    Hdf5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                     H5Sclose);
    Hdf5Handle ds(H5Dcreate2(file_.get(), name.c_str(), file_type, space.get(), lcpl_.get(),
                             H5P_DEFAULT, H5P_DEFAULT),
                  H5Dclose);
    if (!ds.ok()) fail("cannot create dataset '" + name + "'");
    if (H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0 || !ds.close())
      fail("cannot write dataset '" + name + "'");
  }
  void finish() {
    if (!file_.close()) fail("cannot finish the file");
  }

 private:
  hid_t create(const std::string& temp) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    H5Pset_link_creation_order(fcpl_.get(), order);
    H5Pset_link_creation_order(gcpl_.get(), order);
    H5Pset_create_intermediate_group(lcpl_.get(), 1);
    return H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, fcpl_.get(), H5P_DEFAULT);
  }

  std::string target_;
  Hdf5Handle fcpl_, lcpl_, gcpl_, file_;
};

}  // namespace

JetTable read_jets(const std::string& path, const JetReadOptions& options) {
  const JetFile f(path);
  if (f.has("INPUTS")) return read_spanet(f, path, options);
  if (f.has("source")) return read_abc(f, path, options);
  throw Error(
      "'" + path +
      "' holds no jets: expected group INPUTS/Source (SPANet layout) or source (ABC layout)");
}

void write_result_arrays(const std::string& path, const std::vector<ResultArray>& arrays) {
  for (const ResultArray& a : arrays) {
    std::size_t n = 1;
    for (std::size_t d : a.shape) n *= d;
    if (n != a.values.size())
      throw Error("cannot write '" + path + "': array '" + a.name + "' has " +
                  std::to_string(a.values.size()) + " values for its shape");
  }
  detail::write_atomically(path, [&](const std::string& temp) {
    NewFile f(temp, path);
    for (const ResultArray& a : arrays)
      f.dataset(a.name, std::vector<hsize_t>(a.shape.begin(), a.shape.end()),
                a.integer ? H5T_STD_I32LE : H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, a.values.data());
    f.finish();
  });
}

void write_jets(const std::string& path, const JetTable& t) {
  validate_jets(t, "'" + path + "'", 0);
  detail::write_atomically(path, [&](const std::string& temp) {
    NewFile f(temp, path);
    const auto group = [&](const std::string& name) { f.group(name); };
    const auto dataset = [&](const std::string& name, const std::vector<hsize_t>& dims,
                             hid_t file_type, hid_t mem_type, const void* data) {
      f.dataset(name, dims, file_type, mem_type, data);
    };
    const std::vector<hsize_t> jets{t.n_events, t.max_jets};
    group("INPUTS");
    group("INPUTS/Source");
    // The boolean type h5py writes: a 1-byte enum {FALSE = 0, TRUE = 1}.
    Hdf5Handle boolean(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose);
    const std::int8_t no = 0, yes = 1;
    H5Tenum_insert(boolean.get(), "FALSE", &no);
    H5Tenum_insert(boolean.get(), "TRUE", &yes);
    dataset("INPUTS/Source/MASK", jets, boolean.get(), boolean.get(), t.mask.data());
    std::vector<float> mass(t.e.size());
    for (std::size_t s = 0; s < mass.size(); ++s)
      mass[s] =
          t.mask[s] ? static_cast<float>(math::jet_mass<double>(t.pt[s], t.eta[s], t.e[s])) : 0.f;
    const std::pair<const char*, const std::vector<float>*> fields[] = {
        {"pt", &t.pt}, {"eta", &t.eta}, {"phi", &t.phi}, {"mass", &mass}};
    for (const auto& [name, values] : fields)
      dataset(std::string("INPUTS/Source/") + name, jets, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
              values->data());
    if (t.has_truth()) {
      const std::size_t np = t.parents.size(), nd = t.daughters.size();
      std::vector<std::int64_t> column(t.n_events);
      for (std::size_t p = 0; p < np; ++p) {
        group("TARGETS/" + t.parents[p]);
        for (std::size_t d = 0; d < nd; ++d) {
          for (std::size_t i = 0; i < t.n_events; ++i) column[i] = t.truth_jet(i, p, d);
          dataset("TARGETS/" + t.parents[p] + "/" + t.daughters[d], {t.n_events}, H5T_STD_I64LE,
                  H5T_NATIVE_INT64, column.data());
        }
      }
    }
    if (!t.weight.empty()) {
      group("WEIGHTS");
      dataset("WEIGHTS/weight", {t.n_events}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t.weight.data());
    }
    f.finish();
  });
}

#else  // no HDF5 in this build

namespace {
[[noreturn]] void no_hdf5(const std::string& path) {
  throw Error("cannot use '" + path + "': this build of hepcat has no HDF5 support " +
              "(install libhdf5-dev and reconfigure)");
}
}  // namespace

JetTable read_jets(const std::string& path, const JetReadOptions&) {
  no_hdf5(path);
}

void write_jets(const std::string& path, const JetTable&) {
  no_hdf5(path);
}

void write_result_arrays(const std::string& path, const std::vector<ResultArray>&) {
  no_hdf5(path);
}

#endif

}  // namespace hepcat
