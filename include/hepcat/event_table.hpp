// A host-side table of named float columns: what readers return and writers take.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hepcat/api.hpp"

namespace hepcat {

struct HEPCAT_API EventTable {
  std::vector<std::string> names;
  std::vector<std::vector<float>> columns;  ///< columns[j] holds the values of names[j]

  std::size_t rows() const { return columns.empty() ? 0 : columns.front().size(); }
  bool has(const std::string& name) const;
  /// Throws Error "unknown column 'x' (available: a, b, c)" when absent.
  const std::vector<float>& column(const std::string& name) const;
  /// Appends a column; throws Error on a duplicate name or a length that differs from rows().
  void add(const std::string& name, std::vector<float> values);
};

}  // namespace hepcat
