#include "columns.hpp"

#include <dlpack/dlpack.h>

#include <cmath>
#include <type_traits>

#include "hepcat/error.hpp"

namespace hepcat::python {

namespace {

template <class T>
constexpr const char* dtype_name() {
  return std::is_same_v<T, float> ? "float32" : "int32";
}

template <class T>
bool is_dlpack_type(const DLDataType& t) {
  const auto code = std::is_same_v<T, float> ? kDLFloat : kDLInt;
  return t.code == code && t.bits == 32 && t.lanes == 1;
}

std::string device_text(const Context& ctx) {
  return ctx.is_cuda() ? "cuda:" + std::to_string(ctx.device_index()) : "cpu";
}

// One-dimensional and numeric, or Error naming the column.
py::array numeric_1d(py::handle obj, const std::string& label) {
  py::array a = py::array::ensure(obj);
  if (!a) throw Error(label + " is not an array");
  if (a.ndim() != 1)
    throw Error(label + " has " + std::to_string(a.ndim()) + " dimensions, columns are 1-D");
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    throw Error(label + " has dtype " + py::str(a.dtype()).cast<std::string>() +
                ", not a real number type");
  return a;
}

}  // namespace

struct ColumnStore::DlpackTensor {
  DLManagedTensor* managed = nullptr;
  ~DlpackTensor() {
    if (managed && managed->deleter) managed->deleter(managed);
  }
};

ColumnStore::ColumnStore() = default;
ColumnStore::~ColumnStore() = default;
ColumnStore::ColumnStore(ColumnStore&&) noexcept = default;
ColumnStore& ColumnStore::operator=(ColumnStore&&) noexcept = default;

template <class T>
Column<T> ColumnStore::column(const Context& ctx, py::handle obj, const std::string& label,
                              bool allow_copy) {
  const bool is_numpy = py::isinstance<py::array>(obj);
  // DLPack (CuPy, PyTorch, JAX, NumPy >= 1.22 behind another type): used in place on its device.
  if (!is_numpy && py::hasattr(obj, "__dlpack__")) {
    // A CUDA producer is handed the context's stream, so that its pending work on the array is
    // ordered before everything the context runs (the protocol's stream handshake).
    bool producer_on_cuda = false;
    if (py::hasattr(obj, "__dlpack_device__")) {
      const auto device = obj.attr("__dlpack_device__")().cast<py::tuple>();
      producer_on_cuda = device[0].cast<int>() == kDLCUDA;
    }
    py::capsule capsule =
        producer_on_cuda && ctx.is_cuda()
            ? obj.attr("__dlpack__")(py::arg("stream") =
                                         reinterpret_cast<std::uintptr_t>(ctx.stream()))
            : obj.attr("__dlpack__")();
    auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
    if (!managed) throw py::error_already_set();
    PyCapsule_SetName(capsule.ptr(), "used_dltensor");
    auto tensor = std::make_unique<DlpackTensor>();
    tensor->managed = managed;
    const DLTensor& t = managed->dl_tensor;
    if (t.ndim != 1)
      throw Error(label + " (DLPack) has " + std::to_string(t.ndim) +
                  " dimensions, columns are 1-D");
    if (!is_dlpack_type<T>(t.dtype))
      throw Error(label + " (DLPack) must be " + dtype_name<T>() +
                  " to be used in place; convert it first (e.g. .astype)");
    if (t.strides && t.strides[0] != 1)
      throw Error(label + " (DLPack) is not contiguous (stride " + std::to_string(t.strides[0]) +
                  "); pass a contiguous copy");
    const bool on_cuda = t.device.device_type == kDLCUDA || t.device.device_type == kDLCUDAManaged;
    const bool on_cpu = t.device.device_type == kDLCPU || t.device.device_type == kDLCUDAHost;
    if (!(on_cuda && ctx.is_cuda() && t.device.device_id == ctx.device_index()) &&
        !(on_cpu && !ctx.is_cuda()))
      throw Error(label + " (DLPack) lives on device type " + std::to_string(t.device.device_type) +
                  " id " + std::to_string(t.device.device_id) + ", the context on " +
                  device_text(ctx) + ": move it there first");
    Column<T> c{reinterpret_cast<const T*>(static_cast<const char*>(t.data) + t.byte_offset),
                static_cast<std::size_t>(t.shape[0]), true};
    tensors_.push_back(std::move(tensor));
    return c;
  }
  // __cuda_array_interface__ (Numba, older CuPy): device memory used in place. Its producer's
  // stream is not waited for: the array must be ready (documented in hepcat.Events).
  if (!is_numpy && py::hasattr(obj, "__cuda_array_interface__")) {
    const py::dict cai = obj.attr("__cuda_array_interface__");
    if (!ctx.is_cuda())
      throw Error(label + " is a CUDA array, the context is on cpu: use hepcat.Context('cuda')");
    const py::tuple shape = cai["shape"];
    if (shape.size() != 1)
      throw Error(label + " (CUDA array) has " + std::to_string(shape.size()) +
                  " dimensions, columns are 1-D");
    const std::string typestr = cai["typestr"].cast<std::string>();
    const std::string want = std::is_same_v<T, float> ? "<f4" : "<i4";
    if (typestr != want)
      throw Error(label + " (CUDA array) has type " + typestr + ", not " + dtype_name<T>());
    if (cai.contains("strides") && !cai["strides"].is_none() &&
        cai["strides"].cast<py::tuple>()[0].cast<long>() != static_cast<long>(sizeof(T)))
      throw Error(label + " (CUDA array) is not contiguous; pass a contiguous copy");
    const auto ptr = cai["data"].cast<py::tuple>()[0].cast<std::uintptr_t>();
    refs_.push_back(py::reinterpret_borrow<py::object>(obj));
    return {reinterpret_cast<const T*>(ptr), shape[0].cast<std::size_t>(), true};
  }

  py::array a = numeric_1d(obj, label);
  const bool exact = a.dtype().is(py::dtype::of<T>());
  const bool contiguous = a.strides(0) == static_cast<py::ssize_t>(sizeof(T)) || a.size() <= 1;
  py::array_t<T, py::array::c_style> host;
  bool borrowed = false;
  if (exact && contiguous) {
    host = py::reinterpret_borrow<py::array_t<T, py::array::c_style>>(a);
    borrowed = !ctx.is_cuda();
  } else {
    if (!allow_copy)
      throw Error(label +
                  (exact ? " is not contiguous (stride " + std::to_string(a.strides(0)) + " bytes)"
                         : " has dtype " + py::str(a.dtype()).cast<std::string>()) +
                  ": it would be copied, and copy=False asks for the array to be used in place"
                  " (pass a contiguous " +
                  dtype_name<T>() + " array)");
    host = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
  }
  const std::size_t n = static_cast<std::size_t>(host.size());
  if (ctx.is_cuda()) {
    if (!allow_copy)
      throw Error(label + " is a host array and the context is on " + device_text(ctx) +
                  ": copy=False needs a device array (CuPy, PyTorch)");
    Buffer<T> device(ctx, n);
    device.upload(ctx, host.data(), n);
    const T* p = device.data();
    if constexpr (std::is_same_v<T, float>)
      float_uploads_.push_back(std::move(device));
    else
      int_uploads_.push_back(std::move(device));
    return {p, n, false};
  }
  refs_.push_back(host);
  return {host.data(), n, borrowed};
}

Column<float> ColumnStore::floats(const Context& ctx, py::handle array, const std::string& label,
                                  bool allow_copy) {
  return column<float>(ctx, array, label, allow_copy);
}

Column<std::int32_t> ColumnStore::process_ids(const Context& ctx, py::handle array,
                                              const std::string& label, bool allow_copy) {
  const bool host_array =
      py::isinstance<py::array>(array) ||
      !(py::hasattr(array, "__dlpack__") || py::hasattr(array, "__cuda_array_interface__"));
  if (!host_array) return column<std::int32_t>(ctx, array, label, allow_copy);
  py::array a = numeric_1d(array, label);
  if (a.dtype().is(py::dtype::of<std::int32_t>()) || !allow_copy)
    return column<std::int32_t>(ctx, a, label, allow_copy);
  // Converted once, every value checked to be a non-negative integer that fits int32.
  const auto values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
  py::array_t<std::int32_t> ids(values.size());
  std::int32_t* out = ids.mutable_data();
  for (py::ssize_t i = 0; i < values.size(); ++i) {
    const double v = values.data()[i];
    if (!std::isfinite(v) || v != std::floor(v) || v < 0 || v >= 2147483648.0)
      throw Error(label + " has " + py::str(py::float_(v)).cast<std::string>() + " at row " +
                  std::to_string(i) + ": process ids are non-negative integers");
    out[i] = static_cast<std::int32_t>(v);
  }
  Column<std::int32_t> c = column<std::int32_t>(ctx, ids, label, true);
  c.borrowed = false;
  return c;
}

std::vector<float> float_vector(py::handle obj, const std::string& label) {
  const py::array a = numeric_1d(obj, label);
  const auto f = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
  return {f.data(), f.data() + f.size()};
}

std::vector<double> double_vector(py::handle obj, const std::string& label,
                                  std::vector<std::size_t>* shape) {
  py::array a = py::array::ensure(obj);
  if (!a) throw Error(label + " is not an array");
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    throw Error(label + " has dtype " + py::str(a.dtype()).cast<std::string>() +
                ", not a real number type");
  const auto d = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
  if (shape) shape->assign(d.shape(), d.shape() + d.ndim());
  return {d.data(), d.data() + d.size()};
}

EventTable table_from(const py::dict& columns) {
  EventTable t;
  for (const auto& [key, value] : columns) {
    const std::string name = py::str(key);
    t.add(name, float_vector(value, "column '" + name + "'"));
  }
  return t;
}

template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values, std::vector<py::ssize_t> shape) {
  auto* owner = new std::vector<T>(std::move(values));
  py::capsule release(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  if (shape.empty()) shape = {static_cast<py::ssize_t>(owner->size())};
  return py::array_t<T>(shape, owner->data(), release);
}
template py::array_t<float> to_numpy(std::vector<float>&&, std::vector<py::ssize_t>);
template py::array_t<double> to_numpy(std::vector<double>&&, std::vector<py::ssize_t>);
template py::array_t<int> to_numpy(std::vector<int>&&, std::vector<py::ssize_t>);

void Progress::operator()(long done, long total) const {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  if (!callback_.is_none()) callback_(done, total);
}

}  // namespace hepcat::python
