#include "host/io/atomic_file.hpp"

#include <signal.h>
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

// The temporaries being written right now, readable from a signal handler: a slot is claimed
// (1), filled, then published (2); the handler unlinks only published paths.
constexpr int kSlots = 64;
constexpr std::size_t kMaxPath = 4096;
std::atomic<int> slot_state[kSlots];
char slot_path[kSlots][kMaxPath];

int register_temporary(const std::string& temp) {
  if (temp.size() >= kMaxPath) return -1;
  for (int k = 0; k < kSlots; ++k) {
    int expected = 0;
    if (slot_state[k].compare_exchange_strong(expected, 1)) {
      std::memcpy(slot_path[k], temp.c_str(), temp.size() + 1);
      slot_state[k].store(2);
      return k;
    }
  }
  return -1;  // more live temporaries than slots: this one is not cleaned on a signal
}

void unregister_temporary(int slot) {
  if (slot >= 0) slot_state[slot].store(0);
}

extern "C" void remove_temporaries_and_reraise(int sig) {
  for (int k = 0; k < kSlots; ++k)
    if (slot_state[k].load() == 2) ::unlink(slot_path[k]);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void remove_temporaries_on_signals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction action {};
    action.sa_handler = remove_temporaries_and_reraise;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    ::sigaction(sig, &action, nullptr);
  }
}

void check_output_path(const std::string& path) {
  if (path.empty()) throw Error("empty output path");
  struct stat st {};
  const std::string dir = directory_of(path);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error("cannot write '" + path + "': directory '" + dir + "' does not exist");
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw Error("cannot write '" + path + "': it is a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw Error("cannot write '" + path + "': no permission to create files in '" + dir + "'");
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
  const int slot = register_temporary(temp);
  try {
    write(temp);
    if (std::rename(temp.c_str(), path.c_str()) != 0)
      throw Error("cannot write '" + path + "': rename failed: " + system_error());
  } catch (...) {
    std::remove(temp.c_str());
    unregister_temporary(slot);
    throw;
  }
  unregister_temporary(slot);
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
