// Reading and writing events and results. Every writer is atomic: it writes a temporary file
// beside the target and renames it into place, so a failure never leaves a partial output.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/event_table.hpp"

namespace hepcat {

/// Reads a table by file extension: ".csv" (header row, comma-separated numbers) or ".h5"/
/// ".hdf5" (one 1-D numeric dataset per column; "file.h5:/group" reads the datasets under a
/// group). With `columns` non-empty only those columns are read, in that order; an absent one
/// throws Error naming it. Any unreadable file, malformed row or non-numeric cell throws Error
/// naming the file (and line for CSV).
///
/// CSV: blank lines are skipped; cells may carry surrounding spaces; "nan" and "inf" are read
/// as such (EventSet rejects them later); a value beyond the float range is an error.
/// HDF5: integer and floating-point datasets are converted to float; subgroups are ignored.
/// Without `columns` the order is the group's creation order when the file tracks it (files
/// hepcat writes do), otherwise alphabetical (HDF5's name index).
HEPCAT_API EventTable read_table(const std::string& path,
                                 const std::vector<std::string>& columns = {});

/// The number of rows read_table would return, without reading the values: HDF5 reads the
/// length of the first of `columns` (the group's first dataset when empty); CSV scans the file
/// for its non-blank lines after the header. Throws the Errors read_table throws for the file.
HEPCAT_API std::size_t count_table_rows(const std::string& path,
                                        const std::vector<std::string>& columns = {});

/// Rows [begin, end) of what read_table(path, columns) returns, reading only those rows: HDF5
/// reads a hyperslab of each column; CSV parses only their lines (after scanning for them), and
/// its errors name the line in the file. This is how each MPI rank reads its shard. Throws
/// Error when begin > end or end exceeds the table's rows.
HEPCAT_API EventTable read_table_rows(const std::string& path,
                                      const std::vector<std::string>& columns, std::size_t begin,
                                      std::size_t end);

/// Writes a table by extension (".csv" or ".h5"/".hdf5", optionally "file.h5:/group"). The
/// table is validated first (equal column lengths, unique names usable in both formats), then
/// written atomically: an existing file is replaced as a whole, also when a group is given.
/// CSV cells are the shortest text that reads back to the same float; HDF5 columns are
/// little-endian float32 datasets in uncompressed chunks.
HEPCAT_API void write_table(const std::string& path, const EventTable& table);

/// Throws the Error write_table would throw before writing anything for `path`: an unknown
/// extension, HDF5 without HDF5 support, or a directory that does not exist. Lets a command
/// fail before long work whose output could not be written.
HEPCAT_API void check_table_output(const std::string& path);

/// A numeric array of any rank: `values` in row-major (C) order, `shape` one extent per
/// dimension.
struct HEPCAT_API Array {
  std::vector<std::size_t> shape;
  std::vector<double> values;
};

/// An HDF5 attribute: an array of strings (`text`) or of float64 values (`numbers`).
struct HEPCAT_API Attribute {
  std::string name;
  std::vector<std::string> text;
  std::vector<double> numbers;
};

/// A dataset of write_hdf5_arrays: `values` row-major with `shape`, stored as float64, or as
/// int32 when `integer` (whole numbers then), with its attributes.
struct HEPCAT_API OutputArray {
  std::string name;
  std::vector<std::size_t> shape;
  std::vector<double> values;
  bool integer = false;
  std::vector<Attribute> attributes;
};

/// Writes the arrays as datasets of a new HDF5 file (in the order given, creation order
/// tracked), with `attributes` on the root group, atomically. Throws Error for a shape that does
/// not match its values or a file that cannot be written, and the no-HDF5 Error in builds
/// without HDF5.
HEPCAT_API void write_hdf5_arrays(const std::string& path, const std::vector<OutputArray>& arrays,
                                  const std::vector<Attribute>& attributes);

/// True when `path` names an HDF5 file: it ends in ".h5"/".hdf5", optionally followed by
/// ":/group".
HEPCAT_API bool is_hdf5_path(const std::string& path);

/// Names of the datasets directly under the group of `path` ("file.h5" or "file.h5:/group"), in
/// the order read_table uses. Throws Error for an unreadable file or a missing group.
HEPCAT_API std::vector<std::string> list_hdf5_datasets(const std::string& path);

/// Reads one integer or floating-point dataset under the group of `path` ("file.h5" or
/// "file.h5:/group"), converted to double. With `rank` > 0 the dataset must have that many
/// dimensions. Throws Error naming the file and dataset when it is missing, not numeric or of
/// another rank, and the no-HDF5-support Error in builds without HDF5.
HEPCAT_API Array read_hdf5_array(const std::string& path, const std::string& dataset, int rank = 0);

/// Throws the Error write_text_atomic would throw before writing anything for `path`: an empty
/// path, a directory that does not exist, a directory without write permission, or a path that
/// is itself a directory. Lets a command fail before long work whose output could not be written.
HEPCAT_API void check_output(const std::string& path);

/// Where row `row` (0-based, in read_table's order) of the table read from `path` sits in that
/// file, for error messages: "'file.csv' line 12" (counting the header and skipping blank lines
/// as the reader does) or "'file.h5' row 10".
HEPCAT_API std::string describe_row(const std::string& path, std::size_t row);

/// Makes SIGINT, SIGTERM and SIGHUP delete the temporary files of writes in progress before
/// the signal ends the process (a program calls it once at start; the hepcat tool does).
HEPCAT_API void remove_temporaries_on_signals();

/// Writes text (JSON results) atomically.
HEPCAT_API void write_text_atomic(const std::string& path, const std::string& text);

/// True when this build reads and writes HDF5.
HEPCAT_API bool hdf5_available();

}  // namespace hepcat
