#include "hepcat/event_set.hpp"

#include <algorithm>
#include <cmath>

#include "hepcat/error.hpp"

namespace hepcat {

namespace {

void check_finite(const std::string& what, const std::vector<float>& values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw Error(what + " has a non-finite value (" + std::to_string(values[i]) + ") at row " +
                  std::to_string(i));
}

std::vector<std::int32_t> process_ids(const std::string& name, const std::vector<float>& values) {
  std::vector<std::int32_t> ids(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    if (!std::isfinite(v) || v != std::floor(v) || v < 0.f || v > 2147483647.f)
      throw Error("process column '" + name + "' has " + std::to_string(v) + " at row " +
                  std::to_string(i) + ": process ids are non-negative integers");
    ids[i] = static_cast<std::int32_t>(v);
  }
  return ids;
}

}  // namespace

EventSet::EventSet(const Context& ctx, const EventTable& table, const EventColumns& columns)
    : EventSet(
          ctx, columns.features,
          [&] {
            if (columns.features.empty()) throw Error("no feature columns given");
            std::vector<std::vector<float>> f;
            for (const auto& name : columns.features) f.push_back(table.column(name));
            return f;
          }(),
          columns.weight.empty() ? std::vector<float>{} : table.column(columns.weight),
          columns.process.empty() ? std::vector<std::int32_t>{}
                                  : process_ids(columns.process, table.column(columns.process)),
          columns.n_processes) {}

EventSet::EventSet(const Context& ctx, std::vector<std::string> feature_names,
                   const std::vector<std::vector<float>>& features,
                   const std::vector<float>& weights, const std::vector<std::int32_t>& process,
                   int n_processes)
    : names_(std::move(feature_names)) {
  if (features.empty()) throw Error("no feature columns given");
  if (features.size() != names_.size())
    throw Error(std::to_string(features.size()) + " feature columns but " +
                std::to_string(names_.size()) + " names");
  n_ = features.front().size();
  if (n_ == 0) throw Error("no events: feature '" + names_.front() + "' is empty");
  for (std::size_t j = 0; j < features.size(); ++j) {
    if (features[j].size() != n_)
      throw Error("feature '" + names_[j] + "' has " + std::to_string(features[j].size()) +
                  " rows, expected " + std::to_string(n_));
    check_finite("feature '" + names_[j] + "'", features[j]);
  }
  if (!weights.empty()) {
    if (weights.size() != n_)
      throw Error("weights have " + std::to_string(weights.size()) + " rows, expected " +
                  std::to_string(n_));
    check_finite("weights", weights);
  }
  if (!process.empty() && process.size() != n_)
    throw Error("process ids have " + std::to_string(process.size()) + " rows, expected " +
                std::to_string(n_));
  if (n_processes < 0) throw Error("n_processes must not be negative");

  const std::int32_t max_id =
      process.empty() ? 0 : *std::max_element(process.begin(), process.end());
  const std::int32_t min_id =
      process.empty() ? 0 : *std::min_element(process.begin(), process.end());
  if (min_id < 0) throw Error("process id " + std::to_string(min_id) + " is negative");
  n_processes_ = n_processes > 0 ? n_processes : max_id + 1;
  if (max_id >= n_processes_)
    throw Error("process id " + std::to_string(max_id) +
                " is out of range: " + std::to_string(n_processes_) + " processes declared");

  process_sums_.assign(n_processes_, 0.0);
  process_counts_.assign(n_processes_, 0);
  for (std::size_t i = 0; i < n_; ++i) {
    const int p = process.empty() ? 0 : process[i];
    process_sums_[p] += weights.empty() ? 1.0 : static_cast<double>(weights[i]);
    ++process_counts_[p];
  }

  features_ = Buffer<float>(ctx, n_ * features.size());
  for (std::size_t j = 0; j < features.size(); ++j)
    detail::copy_to_backend(ctx, features_.data() + j * n_, features[j].data(), n_ * sizeof(float));
  weights_ = weights.empty() ? Buffer<float>(ctx, std::vector<float>(n_, 1.f))
                             : Buffer<float>(ctx, weights);
  process_ = process.empty() ? Buffer<std::int32_t>(ctx, std::vector<std::int32_t>(n_, 0))
                             : Buffer<std::int32_t>(ctx, process);
}

int EventSet::feature_index(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) throw Error("unknown feature '" + name + "'");
  return static_cast<int>(it - names_.begin());
}

}  // namespace hepcat
