// Running the plot scripts (scripts/plot_*.py) from commands with --plot.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "host/cli/commands.hpp"

namespace hepcat::cli {

namespace {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// $HEPCAT_PYTHON (machines whose matplotlib lives in a virtual environment), else the system's
// /usr/bin/python3, else python3 on the PATH.
std::string python() {
  const char* env = std::getenv("HEPCAT_PYTHON");
  if (env != nullptr && *env != '\0') return shell_quote(env);
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

}  // namespace

// $HEPCAT_SCRIPTS_DIR, else share/hepcat beside the executable: PREFIX/share/hepcat for an
// installed tool, BUILD/share/hepcat for one in a build folder (CMake copies the scripts there).
std::filesystem::path plot_script(const std::string& name) {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("HEPCAT_SCRIPTS_DIR")) candidates.emplace_back(env);
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "../share/hepcat");
    candidates.push_back(exe.parent_path() / "share/hepcat");
  }
  for (const std::filesystem::path& dir : candidates)
    if (std::filesystem::exists(dir / name, ec)) return (dir / name).lexically_normal();
  throw Error("--plot: " + name +
              " not found beside the hepcat executable (set HEPCAT_SCRIPTS_DIR "
              "to the folder that holds it)");
}

void check_plot(const std::string& name, const std::string& image) {
  check_output(image);
  plot_script(name);
  const std::string probe = python() + " -c 'import matplotlib' > /dev/null 2>&1";
  if (std::system(probe.c_str()) != 0)
    throw Error("--plot needs python3 with matplotlib (Debian: python3-matplotlib)");
}

void run_plot(const std::string& name, const std::string& json, const std::string& image) {
  const std::string log = image + ".log-" + std::to_string(::getpid());
  const std::string cmd = python() + " " + shell_quote(plot_script(name).string()) + " " +
                          shell_quote(json) + " " + shell_quote(image) + " > /dev/null 2> " +
                          shell_quote(log);
  const int status = std::system(cmd.c_str());
  std::string last;
  {
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) last = line;
  }
  std::remove(log.c_str());
  if (status != 0)
    throw Error("--plot: " + name + " failed" + (last.empty() ? "" : " (" + last + ")") +
                "; the results are in " + json);
}

}  // namespace hepcat::cli
