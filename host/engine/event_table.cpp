#include "hepcat/event_table.hpp"

#include <algorithm>

#include "hepcat/error.hpp"

namespace hepcat {

bool EventTable::has(const std::string& name) const {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const std::vector<float>& EventTable::column(const std::string& name) const {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) {
    std::string available;
    for (const auto& n : names) available += (available.empty() ? "" : ", ") + n;
    throw Error("unknown column '" + name + "' (available: " + available + ")");
  }
  return columns[static_cast<std::size_t>(it - names.begin())];
}

void EventTable::add(const std::string& name, std::vector<float> values) {
  if (has(name)) throw Error("duplicate column '" + name + "'");
  if (!columns.empty() && values.size() != rows())
    throw Error("column '" + name + "' has " + std::to_string(values.size()) + " rows, expected " +
                std::to_string(rows()));
  names.push_back(name);
  columns.push_back(std::move(values));
}

}  // namespace hepcat
