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

/// Structure-of-arrays events uploaded once to the context's backend and never copied back.
/// Feature j occupies [j * n, (j+1) * n) of one contiguous buffer. Negative weights are valid.
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

  std::size_t size() const { return n_; }
  int n_features() const { return static_cast<int>(names_.size()); }
  int n_processes() const { return n_processes_; }
  const std::vector<std::string>& feature_names() const { return names_; }
  int feature_index(const std::string& name) const;  ///< throws Error for an unknown name
  Backend backend() const { return features_.backend(); }

  /// Backend pointers (device memory on CUDA).
  const float* features() const { return features_.data(); }
  const float* feature(int j) const { return features_.data() + static_cast<std::size_t>(j) * n_; }
  const float* weights() const { return weights_.data(); }
  const std::int32_t* process() const { return process_.data(); }

  /// Per-process sum of weights, computed on the host at upload (double precision).
  const std::vector<double>& process_weight_sums() const { return process_sums_; }
  const std::vector<std::size_t>& process_counts() const { return process_counts_; }

 private:
  /// Validation and upload shared by both constructors; `weight_label` and `process_label` name
  /// those inputs in error messages, whose rows are counted from `first_row`.
  void init(const Context& ctx, const std::vector<std::vector<float>>& features,
            const std::vector<float>& weights, const std::vector<std::int32_t>& process,
            int n_processes, const std::string& weight_label, const std::string& process_label,
            std::size_t first_row);

  std::size_t n_ = 0;
  int n_processes_ = 0;
  std::vector<std::string> names_;
  Buffer<float> features_;
  Buffer<float> weights_;
  Buffer<std::int32_t> process_;
  std::vector<double> process_sums_;
  std::vector<std::size_t> process_counts_;
};

}  // namespace hepcat
