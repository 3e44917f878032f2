// Events resident on a backend: float feature columns, float weights, integer process ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/context.hpp"
#include "hepcat/event_table.hpp"

namespace hepcat {

/// Which columns of a table make up an EventSet.
struct HEPCAT_API EventColumns {
  std::vector<std::string> features;  ///< at least one
  std::string weight;                 ///< empty: every event has weight 1
  std::string process;                ///< empty: every event is process 0
  int n_processes = 0;                ///< 0: one more than the largest process id present
  /// Row of the whole sample that the table's first row is (an MPI rank's shard starts there):
  /// error messages name rows of the whole sample.
  std::size_t first_row = 0;
};

/// Columns that already live on a context's backend (host memory on the CPU, device memory on
/// CUDA), for an EventSet that uses them in place. The caller keeps them alive and unchanged for
/// the EventSet's lifetime.
struct HEPCAT_API EventColumnPointers {
  std::vector<std::string> names;         ///< one per feature
  std::vector<const float*> features;     ///< features[j]: n values of feature names[j]
  const float* weights = nullptr;         ///< n values; null: unit weights
  const std::int32_t* process = nullptr;  ///< n values; null: every event is process 0
  std::size_t n = 0;
  int n_processes = 0;                        ///< 0: one more than the largest process id present
  std::string weight_label = "weights";       ///< names the weights in error messages
  std::string process_label = "process ids";  ///< names the process ids in error messages
  /// Row of the whole sample that the first of the n values is: error messages name rows of the
  /// whole sample.
  std::size_t first_row = 0;
};

/// Structure-of-arrays events on the context's backend: uploaded once and never copied back, or
/// borrowed in place (EventColumnPointers). Negative weights are valid.
class HEPCAT_API EventSet {
 public:
  /// Validates and uploads. Throws Error naming the column and the problem for: no rows, no
  /// features, a feature listed twice, unknown column names (listing the available ones),
  /// columns of different lengths, NaN or infinite feature or weight values (with the first
  /// offending row), process ids that are not integers or fall outside [0, n_processes) (with
  /// the first offending row).
  EventSet(const Context& ctx, const EventTable& table, const EventColumns& columns);

  /// The same from raw host columns (each `n` long): features[j][i], weights[i], process[i].
  /// Empty `weights` means unit weights, empty `process` means all process 0.
  EventSet(const Context& ctx, std::vector<std::string> feature_names,
           const std::vector<std::vector<float>>& features, const std::vector<float>& weights,
           const std::vector<std::int32_t>& process, int n_processes = 0);

  /// Uses the columns in place, without a copy (zero-copy from NumPy, CuPy or PyTorch). The same
  /// validation as above: on the CPU it reads the columns where they are; on CUDA it reads a
  /// temporary host copy, released before returning. Unit weights and process ids are allocated
  /// when their pointers are null.
  EventSet(const Context& ctx, const EventColumnPointers& columns);

  std::size_t size() const { return n_; }
  int n_features() const { return static_cast<int>(names_.size()); }
  int n_processes() const { return n_processes_; }
  const std::vector<std::string>& feature_names() const { return names_; }
  int feature_index(const std::string& name) const;  ///< throws Error for an unknown name
  Backend backend() const { return backend_; }

  /// Backend pointers (device memory on CUDA): feature j's n values, the weights, the ids.
  const float* feature(int j) const { return columns_[static_cast<std::size_t>(j)]; }
  const float* weights() const { return weights_; }
  const std::int32_t* process() const { return process_; }
  /// True when the feature columns are borrowed (EventColumnPointers), not owned.
  bool borrowed() const { return features_.empty(); }

  /// Per-process sum of weights, computed on the host at upload (double precision).
  const std::vector<double>& process_weight_sums() const { return process_sums_; }
  const std::vector<std::size_t>& process_counts() const { return process_counts_; }

 private:
  /// Validation shared by all constructors, on host pointers (n values each; weights and
  /// process may be null); sets n_processes_ and the per-process sums. `weight_label` and
  /// `process_label` name those inputs in error messages, whose rows are counted from
  /// `first_row`.
  void validate(const std::vector<const float*>& features, const float* weights,
                const std::int32_t* process, int n_processes, const std::string& weight_label,
                const std::string& process_label, std::size_t first_row);
  /// Upload shared by the owning constructors.
  void init(const Context& ctx, const std::vector<std::vector<float>>& features,
            const std::vector<float>& weights, const std::vector<std::int32_t>& process,
            int n_processes, const std::string& weight_label, const std::string& process_label,
            std::size_t first_row);
  /// Allocates unit weights and process 0 where none were given.
  void fill_defaults(const Context& ctx);

  Backend backend_ = Backend::cpu;
  std::size_t n_ = 0;
  int n_processes_ = 0;
  std::vector<std::string> names_;
  Buffer<float> features_;  ///< owned columns; empty when borrowed
  Buffer<float> own_weights_;
  Buffer<std::int32_t> own_process_;
  std::vector<const float*> columns_;  ///< per feature, into features_ or borrowed
  const float* weights_ = nullptr;
  const std::int32_t* process_ = nullptr;
  std::vector<double> process_sums_;
  std::vector<std::size_t> process_counts_;
};

}  // namespace hepcat
