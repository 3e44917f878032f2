#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/io.hpp"
#include "tests/cli_run.hpp"

#ifdef HEPCAT_CLI

namespace fs = std::filesystem;
using hepcat::test::Run;
using hepcat::test::run;
using hepcat::test::scratch;

namespace {

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
}

}  // namespace

TEST_CASE("hepcat info exits 0", "[cli]") {
  const fs::path dir = scratch("info");
  CHECK(run(dir, "info").status == 0);
  CHECK(run(dir, "toy --help").status == 0);
}

TEST_CASE("hepcat toy writes a table that reads back with the toy's columns", "[cli]") {
  std::vector<std::string> files{"toy.csv"};
  if (hepcat::hdf5_available()) files.push_back("toy.h5:/events");
  for (const std::string& file : files) {
    const fs::path dir = scratch("toy");
    const std::string out = (dir / "out" / file).string();
    const Run r = run(dir, "toy --scenario 2 --events 5000 --seed 3 --lumi 50 --out \"" + out +
                               "\" --device cpu");
    INFO(file << ": " << (r.err_lines.empty() ? "" : r.err_lines.front()));
    REQUIRE(r.status == 0);
    CHECK(r.err_lines.empty());
    const hepcat::EventTable t = hepcat::read_table(out);
    CHECK(t.rows() == 5000);
    CHECK(t.names ==
          std::vector<std::string>{"x", "y", "z", "d", "s1", "s2", "sb", "weight", "process"});
    CHECK(entries(dir / "out") == 1);
  }
}

TEST_CASE("hepcat toy rejects bad input with one error line and no output file", "[cli]") {
  std::vector<std::string> bad = {
      "--study cabin", "--events 0", "--events -5",      "--events lots",       "--scenario 3",
      "--lumi 0",      "--lumi -1",  "--unknown-option", "--out missing/t.csv", "--out t.parquet"};
  if (hepcat::cuda_devices().empty()) bad.push_back("--device cuda");
  bad.push_back("--device tpu");
  for (const std::string& args : bad) {
    const fs::path dir = scratch("bad");
    const bool has_events = args.find("--events") != std::string::npos;
    const bool has_out = args.find("--out") != std::string::npos;
    const Run r = run(dir, std::string("toy ") + (has_events ? "" : "--events 100 ") + args +
                               (has_out ? "" : " --out t.csv"));
    INFO("hepcat toy " << args);
    CHECK(r.status != 0);
    REQUIRE(r.err_lines.size() == 1);
    CHECK(r.err_lines.front().rfind("hepcat: error: ", 0) == 0);
    CHECK(entries(dir / "out") == 0);
  }
}

#endif
