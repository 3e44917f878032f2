#include "hepcat/io.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "hepcat/error.hpp"
#include "host/io/atomic_file.hpp"
#include "host/io/io_formats.hpp"

namespace hepcat {

namespace {

enum class Format { csv, hdf5 };

struct Target {
  std::string file;
  std::string group;  ///< HDF5 only; "/" when not given
  Format format;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(b)) == a;
  });
}

bool is_hdf5_name(const std::string& s) {
  return ends_with(s, ".h5") || ends_with(s, ".hdf5");
}

// "file.h5:/group" names a group inside an HDF5 file; the split is at the first ':' that
// follows an HDF5 extension, so directories containing ':' still work.
std::optional<Target> hdf5_target(const std::string& path) {
  for (std::size_t colon = path.find(':'); colon != std::string::npos;
       colon = path.find(':', colon + 1)) {
    const std::string file = path.substr(0, colon);
    if (!is_hdf5_name(file)) continue;
    std::string group = path.substr(colon + 1);
    if (group.empty() || group.front() != '/') group = "/" + group;
    return Target{file, group, Format::hdf5};
  }
  if (is_hdf5_name(path)) return Target{path, "/", Format::hdf5};
  return std::nullopt;
}

Target parse_target(const std::string& path) {
  if (auto t = hdf5_target(path)) return *t;
  if (ends_with(path, ".csv")) return {path, "", Format::csv};
  throw Error("'" + path + "': unknown file type (expected .csv, .h5 or .hdf5)");
}

Target parse_hdf5_target(const std::string& path) {
  if (auto t = hdf5_target(path)) return *t;
  throw Error("'" + path + "': not an HDF5 file name (expected .h5 or .hdf5)");
}

// Writers validate the whole table before creating any file.
void check_table(const std::string& path, const EventTable& table) {
  if (table.names.size() != table.columns.size())
    throw Error("cannot write '" + path + "': " + std::to_string(table.names.size()) +
                " column names for " + std::to_string(table.columns.size()) + " columns");
  if (table.columns.empty()) throw Error("cannot write '" + path + "': the table has no columns");
  std::set<std::string> seen;
  for (std::size_t j = 0; j < table.names.size(); ++j) {
    const std::string& name = table.names[j];
    if (name.empty())
      throw Error("cannot write '" + path + "': column " + std::to_string(j) +
                  " has an empty name");
    if (!seen.insert(name).second)
      throw Error("cannot write '" + path + "': duplicate column name '" + name + "'");
    if (name.find_first_of(",\"\r\n/") != std::string::npos || name == ".")
      throw Error("cannot write '" + path + "': column name '" + name +
                  "' contains one of , \" / or a line break");
    if (table.columns[j].size() != table.rows())
      throw Error("cannot write '" + path + "': column '" + name + "' has " +
                  std::to_string(table.columns[j].size()) + " rows, column '" +
                  table.names.front() + "' has " + std::to_string(table.rows()));
  }
}

}  // namespace

EventTable read_table(const std::string& path, const std::vector<std::string>& columns) {
  const Target t = parse_target(path);
  if (t.format == Format::csv) return detail::read_csv(t.file, columns);
  return detail::read_hdf5(t.file, t.group, columns);
}

std::size_t count_table_rows(const std::string& path, const std::vector<std::string>& columns) {
  const Target t = parse_target(path);
  if (t.format == Format::csv) return detail::count_csv_rows(t.file);
  return detail::count_hdf5_rows(t.file, t.group, columns);
}

EventTable read_table_rows(const std::string& path, const std::vector<std::string>& columns,
                           std::size_t begin, std::size_t end) {
  const Target t = parse_target(path);
  const detail::RowSelection rows{begin, end};
  if (t.format == Format::csv) return detail::read_csv(t.file, columns, rows);
  return detail::read_hdf5(t.file, t.group, columns, rows);
}

namespace detail {

void check_selection(const std::string& path, const RowSelection& selection, std::size_t rows) {
  const std::size_t end = selection.end == RowSelection::kAll ? rows : selection.end;
  if (selection.begin > end || end > rows)
    throw Error("'" + path + "': rows " + std::to_string(selection.begin) + " to " +
                std::to_string(end) + " requested, but the table has " + std::to_string(rows) +
                " rows");
}

}  // namespace detail

bool is_hdf5_path(const std::string& path) {
  return hdf5_target(path).has_value();
}

std::vector<std::string> list_hdf5_datasets(const std::string& path) {
  const Target t = parse_hdf5_target(path);
  return detail::list_hdf5_datasets(t.file, t.group);
}

Array read_hdf5_array(const std::string& path, const std::string& dataset, int rank) {
  const Target t = parse_hdf5_target(path);
  return detail::read_hdf5_array(t.file, t.group, dataset, rank);
}

void remove_temporaries_on_signals() {
  detail::remove_temporaries_on_signals();
}

void check_output(const std::string& path) {
  detail::check_output_path(path);
}

std::string describe_row(const std::string& path, std::size_t row) {
  const Target t = parse_target(path);
  if (t.format == Format::hdf5) return "'" + t.file + "' row " + std::to_string(row + 1);
  std::ifstream in(t.file);
  std::size_t line = 0, data_rows = 0;
  bool header = false;
  for (std::string text; std::getline(in, text);) {
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!header) {
      header = true;
      continue;
    }
    if (data_rows++ == row) return "'" + t.file + "' line " + std::to_string(line);
  }
  return "'" + t.file + "' row " + std::to_string(row + 1);
}

void check_table_output(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error("cannot write '" + path + "': it is a directory");
  const Target t = parse_target(path);
  if (t.format == Format::hdf5 && !hdf5_available())
    throw Error("cannot write '" + t.file + "': this build of hepcat has no HDF5 support");
  detail::check_output_path(t.file);
}

void write_table(const std::string& path, const EventTable& table) {
  const Target t = parse_target(path);
  check_table(t.file, table);
  if (t.format == Format::csv)
    detail::write_csv(t.file, table);
  else
    detail::write_hdf5(t.file, t.group, table);
}

void write_text_atomic(const std::string& path, const std::string& text) {
  detail::write_atomically(path, [&](const std::string& temp) {
    detail::OutputFile out(temp, path);
    out.write(text.data(), text.size());
    out.close();
  });
}

}  // namespace hepcat
