// The file formats behind read_table / write_table (host/io/io.cpp dispatches by extension).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hepcat/event_table.hpp"
#include "hepcat/io.hpp"

namespace hepcat::detail {

/// Rows [begin, end) of a table; the default selects every row.
struct RowSelection {
  static constexpr std::size_t kAll = static_cast<std::size_t>(-1);
  std::size_t begin = 0;
  std::size_t end = kAll;
};

/// Throws Error when `selection` is not a range of the table's `rows` rows.
void check_selection(const std::string& path, const RowSelection& selection, std::size_t rows);

EventTable read_csv(const std::string& path, const std::vector<std::string>& columns,
                    const RowSelection& selection = {});
std::size_t count_csv_rows(const std::string& path);
void write_csv(const std::string& path, const EventTable& table);

/// `group` is an absolute HDF5 path ("/" for the root group).
EventTable read_hdf5(const std::string& path, const std::string& group,
                     const std::vector<std::string>& columns, const RowSelection& selection = {});
/// The length of the first of `columns` (the group's first dataset when empty).
std::size_t count_hdf5_rows(const std::string& path, const std::string& group,
                            const std::vector<std::string>& columns);
void write_hdf5(const std::string& path, const std::string& group, const EventTable& table);
std::vector<std::string> list_hdf5_datasets(const std::string& path, const std::string& group);
Array read_hdf5_array(const std::string& path, const std::string& group, const std::string& dataset,
                      int rank);

}  // namespace hepcat::detail
