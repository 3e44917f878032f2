// Model files: HDF5 with weights/<published state_dict name> and the hyper-parameters as root
// attributes named as the published config (hp_out_dim, hp_embed_dim, ...), so that the published
// checkpoint, converted, loads as it is.
#include <cstdint>
#include <string>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "host/io/atomic_file.hpp"

#ifdef HEPCAT_HAVE_HDF5
#include <hdf5.h>
#endif

namespace hepcat {

#ifdef HEPCAT_HAVE_HDF5
namespace {

struct Hid {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Hid() {
    if (id >= 0) close(id);
  }
};

// Integer and float attributes the file has, by name.
bool read_attr(hid_t file, const char* name, double* out) {
  if (H5Aexists(file, name) <= 0) return false;
  Hid a{H5Aopen(file, name, H5P_DEFAULT), H5Aclose};
  if (a.id < 0) return false;
  Hid type{H5Aget_type(a.id), H5Tclose};
  const H5T_class_t cls = H5Tget_class(type.id);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return false;
  return H5Aread(a.id, H5T_NATIVE_DOUBLE, out) >= 0;
}

void write_attr(hid_t file, const char* name, double v, bool integer) {
  Hid space{H5Screate(H5S_SCALAR), H5Sclose};
  const hid_t type = integer ? H5T_STD_I64LE : H5T_IEEE_F64LE;
  Hid a{H5Acreate2(file, name, type, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  if (integer) {
    const long long iv = static_cast<long long>(v);
    H5Awrite(a.id, H5T_NATIVE_LLONG, &iv);
  } else {
    H5Awrite(a.id, H5T_NATIVE_DOUBLE, &v);
  }
}

struct HyperParam {
  const char* attr;
  int AssignConfig::*i;
  double AssignConfig::*d;
};

const HyperParam kHyper[] = {
    {"hp_out_dim", &AssignConfig::categories, nullptr},
    {"hp_embed_dim", &AssignConfig::embed_dim, nullptr},
    {"hp_attn_block_num_heads", &AssignConfig::heads, nullptr},
    {"hp_attn_blocks_n", &AssignConfig::blocks, nullptr},
    {"hp_embed_nlayers", &AssignConfig::embed_layers, nullptr},
    {"hp_mlp_dim", &AssignConfig::mlp_dim, nullptr},
    {"hp_mlp_nlayers", &AssignConfig::mlp_layers, nullptr},
    {"hp_attn_block_ffwd_nlayers", &AssignConfig::ffwd_layers, nullptr},
    {"hp_attn_block_ffwd_dim", &AssignConfig::ffwd_dim, nullptr},
    {"hp_ae_dim", &AssignConfig::ae_dim, nullptr},
    {"hp_ae_depth", &AssignConfig::ae_depth, nullptr},
    {"hp_mass_scale", nullptr, &AssignConfig::mass_scale},
    {"hp_temperature", nullptr, &AssignConfig::temperature},
    {"hp_attn_dropout", nullptr, &AssignConfig::attn_dropout},
};

}  // namespace
#endif

AssignModel AssignModel::load(const std::string& path) {
#ifdef HEPCAT_HAVE_HDF5
  AssignConfig config;
  {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    if (H5Fis_hdf5(path.c_str()) <= 0)
      throw Error("cannot read model '" + path + "': not an HDF5 file or missing");
    Hid file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
    if (file.id < 0) throw Error("cannot open model '" + path + "'");
    for (const HyperParam& h : kHyper) {
      double v;
      if (!read_attr(file.id, h.attr, &v)) continue;
      if (h.i)
        config.*(h.i) = static_cast<int>(v);
      else
        config.*(h.d) = v;
    }
  }
  AssignModel model(config);
  const std::vector<std::string> names = list_hdf5_datasets(path + ":/weights");
  for (const ParamBlock& b : model.layout().blocks()) {
    bool present = false;
    for (const std::string& n : names) present = present || n == b.name;
    if (!present) throw Error("model '" + path + "' has no weights/" + b.name);
    const Array a = read_hdf5_array(path + ":/weights", b.name);
    if (a.values.size() != b.count)
      throw Error("model '" + path + "': weights/" + b.name + " has " +
                  std::to_string(a.values.size()) + " values, the model needs " +
                  std::to_string(b.count));
    for (std::size_t k = 0; k < b.count; ++k)
      model.params_[b.offset + k] = static_cast<float>(a.values[k]);
  }
  return model;
#else
  (void)path;
  throw Error("cannot read model files: this build of hepcat has no HDF5 support");
#endif
}

void AssignModel::save(const std::string& path) const {
#ifdef HEPCAT_HAVE_HDF5
  detail::write_atomically(path, [&](const std::string& temp) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    Hid file{H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose};
    if (file.id < 0) throw Error("cannot create model file '" + path + "'");
    for (const HyperParam& h : kHyper)
      write_attr(file.id, h.attr, h.i ? config_.*(h.i) : config_.*(h.d), h.i != nullptr);
    // No modification times: the same model gives the same bytes.
    Hid gcpl{H5Pcreate(H5P_GROUP_CREATE), H5Pclose}, dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
    H5Pset_obj_track_times(gcpl.id, false);
    H5Pset_obj_track_times(dcpl.id, false);
    Hid group{H5Gcreate2(file.id, "weights", H5P_DEFAULT, gcpl.id, H5P_DEFAULT), H5Gclose};
    for (std::size_t i = 0; i < layout_.blocks().size(); ++i) {
      const ParamBlock& b = layout_.blocks()[i];
      std::vector<hsize_t> dims(shapes_[i].begin(), shapes_[i].end());
      Hid space{H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose};
      Hid ds{H5Dcreate2(group.id, b.name.c_str(), H5T_IEEE_F32LE, space.id, H5P_DEFAULT, dcpl.id,
                        H5P_DEFAULT),
             H5Dclose};
      if (ds.id < 0 || H5Dwrite(ds.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                params_.data() + b.offset) < 0)
        throw Error("cannot write weights/" + b.name + " to '" + path + "'");
    }
  });
#else
  (void)path;
  throw Error("cannot write model files: this build of hepcat has no HDF5 support");
#endif
}

#ifdef HEPCAT_HAVE_HDF5
namespace {
template <class V>
void write_dataset(hid_t file, const std::string& name, const std::vector<hsize_t>& dims,
                   hid_t file_type, hid_t mem_type, const V& values, const std::string& path) {
  Hid space{H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose};
  Hid ds{H5Dcreate2(file, name.c_str(), file_type, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
         H5Dclose};
  if (ds.id < 0 || H5Dwrite(ds.id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    throw Error("cannot write " + name + " to '" + path + "'");
}
}  // namespace
#endif

void write_assign_output(const std::string& path, const AssignOutput<float>& out,
                         const std::vector<std::int8_t>& correct) {
#ifdef HEPCAT_HAVE_HDF5
  const hsize_t n = out.events, j = out.jets, t = static_cast<hsize_t>(out.categories);
  std::vector<float> m_avg(out.events);
  for (std::size_t b = 0; b < out.events; ++b)
    m_avg[b] = 0.5f * (out.mass[b * t] + out.mass[b * t + 1]);
  detail::write_atomically(path, [&](const std::string& temp) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    Hid file{H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose};
    if (file.id < 0) throw Error("cannot create '" + path + "'");
    const hid_t f32 = H5T_IEEE_F32LE;
    write_dataset(file.id, "category", {n, j}, H5T_STD_I32LE, H5T_NATIVE_INT32, out.category, path);
    write_dataset(file.id, "probability", {n, j, t}, f32, H5T_NATIVE_FLOAT, out.probability, path);
    write_dataset(file.id, "logit_gap", {n, j}, f32, H5T_NATIVE_FLOAT, out.logit_gap, path);
    write_dataset(file.id, "candidates_p4", {n, t, 4}, f32, H5T_NATIVE_FLOAT, out.candidates_p4,
                  path);
    write_dataset(file.id, "mass", {n, t}, f32, H5T_NATIVE_FLOAT, out.mass, path);
    write_dataset(file.id, "m_avg", {n}, f32, H5T_NATIVE_FLOAT, m_avg, path);
    write_dataset(file.id, "loss", {n}, f32, H5T_NATIVE_FLOAT, out.loss, path);
    if (!correct.empty())
      write_dataset(file.id, "correct", {n}, H5T_STD_I8LE, H5T_NATIVE_INT8, correct, path);
  });
#else
  (void)path;
  (void)out;
  (void)correct;
  throw Error("cannot write HDF5: this build of hepcat has no HDF5 support");
#endif
}

}  // namespace hepcat
