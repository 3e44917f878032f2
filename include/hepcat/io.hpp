// Reading and writing events and results. Every writer is atomic: it writes a temporary file
// beside the target and renames it into place, so a failure never leaves a partial output.
#pragma once

#include <string>
#include <vector>

#include "hepcat/event_table.hpp"

namespace hepcat {

/// Reads a table by file extension: ".csv" (header row, comma-separated numbers) or ".h5"/
/// ".hdf5" (one 1-D numeric dataset per column; "file.h5:/group" reads the datasets under a
/// group). With `columns` non-empty only those columns are read, in that order; an absent one
/// throws Error naming it. Any unreadable file, malformed row or non-numeric cell throws Error
/// naming the file (and line for CSV).
EventTable read_table(const std::string& path, const std::vector<std::string>& columns = {});

/// Writes a table by extension (".csv" or ".h5"/".hdf5", optionally "file.h5:/group").
void write_table(const std::string& path, const EventTable& table);

/// Writes text (JSON results) atomically.
void write_text_atomic(const std::string& path, const std::string& text);

/// True when this build reads and writes HDF5.
bool hdf5_available();

}  // namespace hepcat
