// Runs the hepcat command-line tool from the tests (HEPCAT_CLI is its path).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#ifdef HEPCAT_CLI

namespace hepcat::test {

/// A fresh directory HEPCAT_TEST_TMP/cli_<name> with an empty out/ inside.
inline std::filesystem::path scratch(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(HEPCAT_TEST_TMP) / ("cli_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "out");
  return dir;
}

struct Run {
  int status = -1;
  std::vector<std::string> out_lines, err_lines;
};

/// Runs the hepcat tool with `args` in dir/out (with the environment assignments `env` in front,
/// e.g. "OMP_NUM_THREADS=2"); stdout and stderr are collected line by line (kept outside dir/out,
/// so that dir/out holds only what the tool wrote).
inline Run run(const std::filesystem::path& dir, const std::string& args,
               const std::string& env = "") {
  const std::filesystem::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd = "cd \"" + (dir / "out").string() + "\" && " + env + " \"" + HEPCAT_CLI +
                          "\" " + args + " > \"" + out.string() + "\" 2> \"" + err.string() + "\"";
  Run r;
  const int raw = std::system(cmd.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream out_in(out), err_in(err);
  for (std::string line; std::getline(out_in, line);) r.out_lines.push_back(line);
  for (std::string line; std::getline(err_in, line);) r.err_lines.push_back(line);
  return r;
}

}  // namespace hepcat::test

#endif
