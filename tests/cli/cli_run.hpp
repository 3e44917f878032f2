// Running the hepcat tool from tests: a scratch folder per test, stderr collected by line.
#pragma once

#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/scratch.hpp"

namespace hepcat_test {

namespace fs = std::filesystem;

/// An empty folder under the test build's tmp/, with an empty "out" folder inside.
inline fs::path scratch_dir(const std::string& name) {
  const fs::path dir = hepcat::test::fresh_dir(name);
  fs::create_directory(dir / "out");
  return dir;
}

struct CliRun {
  int status = -1;  ///< exit code, or -1 when the tool did not exit normally
  std::vector<std::string> out_lines, err_lines;
};

/// Runs `hepcat args` with the working directory dir/out (with the environment assignments `env`
/// in front, e.g. "OMP_NUM_THREADS=2"); stdout and stderr are kept in dir, outside dir/out, so
/// that dir/out holds only what the tool wrote.
inline CliRun run_cli(const fs::path& dir, const std::string& args, const std::string& env = "") {
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd = "cd \"" + (dir / "out").string() + "\" && " + env +
                          " \"" HEPCAT_CLI "\" " + args + " > \"" + out.string() + "\" 2> \"" +
                          err.string() + "\"";
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

/// The first line the tool wrote on stderr, or "" (for test messages).
inline std::string first_error(const CliRun& r) {
  return r.err_lines.empty() ? "" : r.err_lines.front();
}

/// Bad input's contract: a non-zero exit, one line "hepcat: error: ..." on stderr and nothing
/// written into dir/out.
inline void check_rejected(const CliRun& r, const fs::path& dir) {
  CHECK(r.status != 0);
  REQUIRE(r.err_lines.size() == 1);
  CHECK(r.err_lines.front().rfind("hepcat: error: ", 0) == 0);
  CHECK(listing(dir / "out").empty());
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace hepcat_test
