#include "host/io/atomic_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "hepcat/error.hpp"

namespace hepcat::detail {

namespace {

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string system_error() {
  return std::strerror(errno);
}

}  // namespace

void check_output_path(const std::string& path) {
  if (path.empty()) throw Error("empty output path");
  struct stat st {};
  const std::string dir = directory_of(path);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error("cannot write '" + path + "': directory '" + dir + "' does not exist");
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw Error("cannot write '" + path + "': it is a directory");
}

void write_atomically(const std::string& path,
                      const std::function<void(const std::string& temp_path)>& write) {
  check_output_path(path);
  // Unique per process and call, hidden, and in the same directory as the target.
  static std::atomic<unsigned> counter{0};
  const auto slash = path.find_last_of('/');
  const std::string head = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string temp =
      head + "." + base + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  try {
    write(temp);
    if (std::rename(temp.c_str(), path.c_str()) != 0)
      throw Error("cannot write '" + path + "': rename failed: " + system_error());
  } catch (...) {
    std::remove(temp.c_str());
    throw;
  }
}

OutputFile::OutputFile(const std::string& file, const std::string& target) : target_(target) {
  file_ = std::fopen(file.c_str(), "wb");
  if (!file_) throw Error("cannot create '" + target + "': " + system_error());
}

OutputFile::~OutputFile() {
  if (file_) std::fclose(file_);
}

void OutputFile::write(const char* data, std::size_t bytes) {
  if (bytes && std::fwrite(data, 1, bytes, file_) != bytes)
    throw Error("cannot write '" + target_ + "': " + system_error());
}

void OutputFile::close() {
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) throw Error("cannot write '" + target_ + "': " + system_error());
}

}  // namespace hepcat::detail
