// Turning Python arrays into columns the engine reads: NumPy arrays in place when they are
// contiguous float32 (int32 for process ids), DLPack and __cuda_array_interface__ arrays in
// place on their device, anything else converted once. Shared by the bindings.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hepcat/buffer.hpp"
#include "hepcat/context.hpp"
#include "hepcat/event_table.hpp"

namespace hepcat::python {

namespace py = pybind11;

/// One column on the context's backend and whether it is the caller's memory (zero-copy).
template <class T>
struct Column {
  const T* data = nullptr;
  std::size_t size = 0;
  bool borrowed = false;
};

/// Keeps alive what the columns point at: the caller's arrays, converted copies, DLPack
/// tensors and uploads. Move-only; release needs the GIL (it drops Python references).
class ColumnStore {
 public:
  ColumnStore();
  ColumnStore(ColumnStore&&) noexcept;
  ColumnStore& operator=(ColumnStore&&) noexcept;
  ~ColumnStore();

  /// A float column: `label` names it in errors. With `allow_copy` false, anything that cannot
  /// be used in place raises Error saying why.
  Column<float> floats(const Context& ctx, py::handle array, const std::string& label,
                       bool allow_copy);
  /// Process ids: int32 in place; other integer, boolean or floating-point arrays converted once
  /// (each value must be a non-negative integer).
  Column<std::int32_t> process_ids(const Context& ctx, py::handle array, const std::string& label,
                                   bool allow_copy);

 private:
  struct DlpackTensor;
  template <class T>
  Column<T> column(const Context& ctx, py::handle array, const std::string& label, bool allow_copy);
  std::vector<py::object> refs_;
  std::vector<std::unique_ptr<DlpackTensor>> tensors_;
  std::vector<Buffer<float>> float_uploads_;
  std::vector<Buffer<std::int32_t>> int_uploads_;
};

/// A host copy of a 1-D numeric array as float (one conversion); Error for other dtypes/ranks.
std::vector<float> float_vector(py::handle array, const std::string& label);
/// A host copy of a numeric array of any shape as double, C order, with its shape.
std::vector<double> double_vector(py::handle array, const std::string& label,
                                  std::vector<std::size_t>* shape = nullptr);
/// A table from a mapping of column names to 1-D arrays (one float conversion per column).
EventTable table_from(const py::dict& columns);

/// A NumPy array that takes over `values` without copying them.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values, std::vector<py::ssize_t> shape = {});

/// Calls the Python progress callable (done, total) with the GIL held, and turns a pending
/// Ctrl-C (or any signal handler's exception) into an exception that unwinds the call. Created
/// and destroyed with the GIL held; called from code running without it.
class Progress {
 public:
  explicit Progress(py::object callback) : callback_(std::move(callback)) {}
  void operator()(long done, long total) const;

 private:
  py::object callback_;
};

}  // namespace hepcat::python
