#include "hepcat/event_set.hpp"

#include <algorithm>
#include <cmath>

#include "hepcat/error.hpp"

namespace hepcat {

namespace {

std::string row_text(std::size_t i, std::size_t first_row) {
  return "row " + std::to_string(first_row + i);
}

std::string value_text(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return std::to_string(v);
}

void check_finite(const std::string& what, const float* values, std::size_t n,
                  std::size_t first_row) {
  const float* bad = std::find_if(values, values + n, [](float v) { return !std::isfinite(v); });
  if (bad != values + n)
    throw Error(what + " has a non-finite value (" + value_text(*bad) + ") at " +
                row_text(static_cast<std::size_t>(bad - values), first_row));
}

void check_length(const std::string& what, std::size_t size, std::size_t n,
                  const std::string& first) {
  if (size != n)
    throw Error(what + " has " + std::to_string(size) + " rows, but " + first + " has " +
                std::to_string(n));
}

std::vector<std::int32_t> process_ids(const std::string& label, const std::vector<float>& values,
                                      std::size_t first_row) {
  std::vector<std::int32_t> ids(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    // 2^31 is exactly representable; anything at or above it does not fit an int32.
    if (!std::isfinite(v) || v != std::floor(v) || v < 0.f || v >= 2147483648.f)
      throw Error(label + " has " + value_text(v) + " at " + row_text(i, first_row) +
                  ": process ids are non-negative integers");
    ids[i] = static_cast<std::int32_t>(v);
  }
  return ids;
}

std::string process_label(const EventColumns& columns) {
  return "process column '" + columns.process + "'";
}

}  // namespace

EventSet::EventSet(const Context& ctx, const EventTable& table, const EventColumns& columns)
    : names_(columns.features) {
  if (columns.features.empty()) throw Error("no feature columns given");
  std::vector<std::vector<float>> features;
  features.reserve(columns.features.size());
  for (const auto& name : columns.features) features.push_back(table.column(name));
  const std::vector<float> weights =
      columns.weight.empty() ? std::vector<float>{} : table.column(columns.weight);
  const std::vector<std::int32_t> process =
      columns.process.empty()
          ? std::vector<std::int32_t>{}
          : process_ids(process_label(columns), table.column(columns.process), columns.first_row);
  init(ctx, features, weights, process, columns.n_processes,
       "weight column '" + columns.weight + "'", process_label(columns), columns.first_row);
}

EventSet::EventSet(const Context& ctx, std::vector<std::string> feature_names,
                   const std::vector<std::vector<float>>& features,
                   const std::vector<float>& weights, const std::vector<std::int32_t>& process,
                   int n_processes)
    : names_(std::move(feature_names)) {
  init(ctx, features, weights, process, n_processes, "weights", "process ids", 0);
}

void EventSet::init(const Context& ctx, const std::vector<std::vector<float>>& features,
                    const std::vector<float>& weights, const std::vector<std::int32_t>& process,
                    int n_processes, const std::string& weight_label,
                    const std::string& process_label, std::size_t first_row) {
  backend_ = ctx.backend();
  if (features.empty()) throw Error("no feature columns given");
  if (features.size() != names_.size())
    throw Error(std::to_string(features.size()) + " feature columns but " +
                std::to_string(names_.size()) + " names");
  // Lengths first, so that an empty column among full ones reads as a length mismatch.
  n_ = features.front().size();
  const std::string first = "feature '" + names_.front() + "'";
  for (std::size_t j = 1; j < features.size(); ++j)
    check_length("feature '" + names_[j] + "'", features[j].size(), n_, first);
  if (!weights.empty()) check_length(weight_label, weights.size(), n_, first);
  if (!process.empty()) check_length(process_label, process.size(), n_, first);

  std::vector<const float*> host;
  for (const auto& f : features) host.push_back(f.data());
  validate(host, weights.empty() ? nullptr : weights.data(),
           process.empty() ? nullptr : process.data(), n_processes, weight_label, process_label,
           first_row);

  features_ = Buffer<float>(ctx, n_ * features.size());
  for (std::size_t j = 0; j < features.size(); ++j) {
    memory::copy_to_backend(ctx, features_.data() + j * n_, features[j].data(), n_ * sizeof(float));
    columns_.push_back(features_.data() + j * n_);
  }
  if (!weights.empty()) {
    own_weights_ = Buffer<float>(ctx, weights);
    weights_ = own_weights_.data();
  }
  if (!process.empty()) {
    own_process_ = Buffer<std::int32_t>(ctx, process);
    process_ = own_process_.data();
  }
  fill_defaults(ctx);
}

EventSet::EventSet(const Context& ctx, const EventColumnPointers& columns)
    : backend_(ctx.backend()), n_(columns.n), names_(columns.names) {
  if (columns.features.empty()) throw Error("no feature columns given");
  if (columns.features.size() != names_.size())
    throw Error(std::to_string(columns.features.size()) + " feature columns but " +
                std::to_string(names_.size()) + " names");
  for (const float* f : columns.features)
    if (f == nullptr && n_ > 0) throw Error("a feature column pointer is null");
  std::vector<const float*> host = columns.features;
  const float* host_weights = columns.weights;
  const std::int32_t* host_process = columns.process;
  // On CUDA the checks read a host copy that lives only as long as this constructor.
  std::vector<std::vector<float>> copies;
  std::vector<std::int32_t> process_copy;
  if (ctx.is_cuda()) {
    for (const float*& f : host) {
      copies.emplace_back(n_);
      memory::copy_to_host(ctx, copies.back().data(), f, n_ * sizeof(float));
      f = copies.back().data();
    }
    if (host_weights) {
      copies.emplace_back(n_);
      memory::copy_to_host(ctx, copies.back().data(), host_weights, n_ * sizeof(float));
      host_weights = copies.back().data();
    }
    if (host_process) {
      process_copy.resize(n_);
      memory::copy_to_host(ctx, process_copy.data(), host_process, n_ * sizeof(std::int32_t));
      host_process = process_copy.data();
    }
  }
  validate(host, host_weights, host_process, columns.n_processes, columns.weight_label,
           columns.process_label, columns.first_row);
  columns_ = columns.features;
  weights_ = columns.weights;
  process_ = columns.process;
  fill_defaults(ctx);
}

void EventSet::validate(const std::vector<const float*>& features, const float* weights,
                        const std::int32_t* process, int n_processes,
                        const std::string& weight_label, const std::string& process_label,
                        std::size_t first_row) {
  for (std::size_t j = 0; j < names_.size(); ++j)
    for (std::size_t k = 0; k < j; ++k)
      if (names_[j] == names_[k]) throw Error("feature '" + names_[j] + "' is listed twice");
  if (n_ == 0) throw Error("no events: the feature columns are empty");

  for (std::size_t j = 0; j < features.size(); ++j)
    check_finite("feature '" + names_[j] + "'", features[j], n_, first_row);
  if (weights) check_finite(weight_label, weights, n_, first_row);

  if (n_processes < 0)
    throw Error("n_processes must not be negative, got " + std::to_string(n_processes));
  std::int32_t max_id = 0;
  if (process) {
    const std::int32_t* end = process + n_;
    const std::int32_t* negative = std::find_if(process, end, [](std::int32_t p) { return p < 0; });
    if (negative != end)
      throw Error(process_label + " has " + std::to_string(*negative) + " at " +
                  row_text(static_cast<std::size_t>(negative - process), first_row) +
                  ": process ids are non-negative integers");
    max_id = *std::max_element(process, end);
  }
  n_processes_ = n_processes > 0 ? n_processes : max_id + 1;
  if (max_id >= n_processes_) {
    const std::int32_t* bad =
        std::find_if(process, process + n_, [&](std::int32_t p) { return p >= n_processes_; });
    throw Error(process_label + " has " + std::to_string(*bad) + " at " +
                row_text(static_cast<std::size_t>(bad - process), first_row) + ", outside [0, " +
                std::to_string(n_processes_) + ") for the " + std::to_string(n_processes_) +
                " declared processes");
  }

  process_sums_.assign(n_processes_, 0.0);
  process_counts_.assign(n_processes_, 0);
  for (std::size_t i = 0; i < n_; ++i) {
    const int p = process ? process[i] : 0;
    process_sums_[p] += weights ? static_cast<double>(weights[i]) : 1.0;
    ++process_counts_[p];
  }
}

void EventSet::fill_defaults(const Context& ctx) {
  if (!weights_) {
    own_weights_ = Buffer<float>(ctx, std::vector<float>(n_, 1.f));
    weights_ = own_weights_.data();
  }
  if (!process_) {
    own_process_ = Buffer<std::int32_t>(ctx, std::vector<std::int32_t>(n_, 0));
    process_ = own_process_.data();
  }
}

int EventSet::feature_index(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) {
    std::string available;
    for (const auto& n : names_) available += (available.empty() ? "" : ", ") + n;
    throw Error("unknown feature '" + name + "' (available: " + available + ")");
  }
  return static_cast<int>(it - names_.begin());
}

}  // namespace hepcat
