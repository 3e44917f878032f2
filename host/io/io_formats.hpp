// The file formats behind read_table / write_table (host/io/io.cpp dispatches by extension).
#pragma once

#include <string>
#include <vector>

#include "hepcat/event_table.hpp"
#include "hepcat/io.hpp"

namespace hepcat::detail {

EventTable read_csv(const std::string& path, const std::vector<std::string>& columns);
void write_csv(const std::string& path, const EventTable& table);

/// `group` is an absolute HDF5 path ("/" for the root group).
EventTable read_hdf5(const std::string& path, const std::string& group,
                     const std::vector<std::string>& columns);
void write_hdf5(const std::string& path, const std::string& group, const EventTable& table);
std::vector<std::string> list_hdf5_datasets(const std::string& path, const std::string& group);
Array read_hdf5_array(const std::string& path, const std::string& group, const std::string& dataset,
                      int rank);

}  // namespace hepcat::detail
