// Running the hepcat tool from tests: a scratch folder per test, stderr collected by line.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace hepcat_test {

namespace fs = std::filesystem;

/// An empty folder under the test build's tmp/, with an empty "out" folder inside.
inline fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::path(HEPCAT_TEST_TMP) / name;
  fs::remove_all(dir);
  fs::create_directories(dir / "out");
  return dir;
}

struct CliRun {
  int status = -1;  ///< exit code, or -1 when the tool did not exit normally
  std::vector<std::string> out_lines, err_lines;
};

/// Runs `hepcat args` with the working directory dir/out; stdout and stderr are kept in dir.
inline CliRun run_cli(const fs::path& dir, const std::string& args) {
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd = "cd \"" + (dir / "out").string() + "\" && \"" HEPCAT_CLI "\" " + args +
                          " > \"" + out.string() + "\" 2> \"" + err.string() + "\"";
  CliRun r;
  const int raw = std::system(cmd.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  for (auto [file, lines] : {std::pair{out, &r.out_lines}, std::pair{err, &r.err_lines}}) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) lines->push_back(line);
  }
  return r;
}

/// Names of the entries of `dir` (hidden ones included), sorted.
inline std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace hepcat_test
