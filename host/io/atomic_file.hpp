// The one way hepcat writes files: into a temporary file beside the target, renamed into place
// only when everything was written, so readers never see a partial output.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

namespace hepcat::detail {

/// Calls `write(temp_path)`, which must create and fill temp_path, then renames it onto `path`.
/// The temporary lives in the target's directory (rename is atomic only within one file
/// system). Throws Error naming `path` when its directory does not exist; on any exception from
/// `write` or a failed rename the temporary is removed and the exception propagates.
void write_atomically(const std::string& path,
                      const std::function<void(const std::string& temp_path)>& write);

/// Installs handlers for SIGINT, SIGTERM and SIGHUP that delete the temporaries being written
/// at that moment, then let the signal end the process as it would have.
void remove_temporaries_on_signals();

/// Throws Error naming `path` unless its directory exists and `path` is not a directory.
void check_output_path(const std::string& path);

/// A FILE* that closes itself; close() reports write errors (a full disk shows up there).
class OutputFile {
 public:
  /// Creates `file`; messages name `target`, the path the user asked for.
  OutputFile(const std::string& file, const std::string& target);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  void write(const char* data, std::size_t bytes);
  void close();

 private:
  std::string target_;
  std::FILE* file_ = nullptr;
};

}  // namespace hepcat::detail
