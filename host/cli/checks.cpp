#include <cmath>
#include <sstream>

#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "host/cli/commands.hpp"

namespace hepcat::cli {

namespace {

std::string value_text(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

void require_finite(const EventTable& table, const std::string& path, const std::string& column,
                    std::size_t first_row) {
  const std::vector<float>& values = table.column(column);
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw Error(describe_row(path, first_row + i) + ": column '" + column + "' holds " +
                  value_text(values[i]) + " (values must be finite)");
}

void require_binary(const EventTable& table, const std::string& path, const std::string& column,
                    std::size_t first_row) {
  const std::vector<float>& values = table.column(column);
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] != 0.f && values[i] != 1.f)
      throw Error(describe_row(path, first_row + i) + ": label column '" + column + "' holds " +
                  value_text(values[i]) + " (expected 0 for background or 1 for signal)");
}

void require_rows(const EventTable& table, const std::string& path) {
  require_rows(table.rows(), path);
}

void require_rows(std::size_t rows, const std::string& path) {
  if (rows == 0) throw Error("'" + path + "' has no events (only a header)");
}

EventTable read_checked_table(const std::string& path, const std::vector<std::string>& columns) {
  EventTable table = read_table(path, columns);
  require_rows(table, path);
  for (const std::string& c : columns) require_finite(table, path, c);
  return table;
}

}  // namespace hepcat::cli
