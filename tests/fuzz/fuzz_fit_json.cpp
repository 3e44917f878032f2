// The fit command's JSON input, read and fitted through `hepcat fit` itself (few iterations): what
// it accepts must fit without a crash; anything it refuses must be a hepcat::Error.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "hepcat/error.hpp"
#include "host/cli/commands.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = hepcat_fuzz::write_input(data, size, ".json");
  const std::string out = path + ".fit.json";
  // The summary line and warnings would flood the log; sanitizer reports bypass std::cerr.
  std::cout.setstate(std::ios::failbit);
  std::cerr.setstate(std::ios::failbit);
  CLI::App app;
  hepcat::cli::add_fit_command(app);
  std::vector<std::string> args = {
      "hepcat", "fit", "-i", path, "-o", out, "--device", "cpu", "--max-iterations", "3"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const hepcat::Error&) {
  }
  return 0;
}
