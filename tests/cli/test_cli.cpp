#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "hepcat/communicator.hpp"
#include "hepcat/context.hpp"
#include "hepcat/io.hpp"
#include "tests/cli/cli_run.hpp"

#ifdef HEPCAT_CLI

using namespace hepcat_test;

TEST_CASE("hepcat info reports the build, the devices and the backend it selects", "[cli]") {
  const fs::path dir = scratch_dir("cli_info");
  // Three threads and every GPU hidden: the tool must say so, whatever the machine.
  const CliRun r = run_cli(dir, "info", "OMP_NUM_THREADS=3 CUDA_VISIBLE_DEVICES=-1");
  REQUIRE(r.status == 0);
  CHECK(r.err_lines.empty());
  REQUIRE(r.out_lines.size() == 6);
  CHECK_THAT(r.out_lines[0], Catch::Matches("hepcat [0-9]+\\.[0-9]+\\.[0-9]+"));
  CHECK_THAT(r.out_lines[1], Catch::StartsWith("backends: cpu (OpenMP, 3 threads)"));
  CHECK(r.out_lines[2] == (hepcat::hdf5_available() ? "hdf5: yes" : "hdf5: no"));
  // Started without a launcher, an MPI build is one rank.
  CHECK(r.out_lines[3] == (hepcat::mpi_available() ? "mpi: yes, MPI (1 rank)" : "mpi: no"));
  CHECK(r.out_lines[4] == "cuda devices: none");
  CHECK(r.out_lines[5] == "selected: cpu, cpu (3 threads)");
  const CliRun help = run_cli(dir, "toy --help");
  CHECK(help.status == 0);
  REQUIRE_FALSE(help.out_lines.empty());
  CHECK_THAT(help.out_lines[0], Catch::StartsWith("generate a toy dataset"));
}

TEST_CASE("hepcat toy writes a table that reads back with the toy's columns", "[cli]") {
  std::vector<std::string> files{"toy.csv"};
  if (hepcat::hdf5_available()) files.push_back("toy.h5:/events");
  for (const std::string& file : files) {
    const fs::path dir = scratch_dir("cli_toy");
    const std::string out = (dir / "out" / file).string();
    const CliRun r = run_cli(dir, "toy --scenario 2 --events 5000 --seed 3 --lumi 50 --out \"" +
                                      out + "\" --device cpu");
    INFO(file << ": " << first_error(r));
    REQUIRE(r.status == 0);
    CHECK(r.err_lines.empty());
    const hepcat::EventTable t = hepcat::read_table(out);
    CHECK(t.rows() == 5000);
    CHECK(t.names ==
          std::vector<std::string>{"x", "y", "z", "d", "s1", "s2", "sb", "weight", "process"});
    CHECK(listing(dir / "out").size() == 1);
  }
}

TEST_CASE("hepcat toy rejects bad input with one error line and no output file", "[cli]") {
  std::vector<std::string> bad = {
      "--study cabin", "--events 0", "--events -5",      "--events lots",       "--scenario 3",
      "--lumi 0",      "--lumi -1",  "--unknown-option", "--out missing/t.csv", "--out t.parquet"};
  if (hepcat::cuda_devices().empty()) bad.push_back("--device cuda");
  bad.push_back("--device tpu");
  for (const std::string& args : bad) {
    const fs::path dir = scratch_dir("cli_bad");
    const bool has_events = args.find("--events") != std::string::npos;
    const bool has_out = args.find("--out") != std::string::npos;
    const CliRun r = run_cli(dir, std::string("toy ") + (has_events ? "" : "--events 100 ") + args +
                                      (has_out ? "" : " --out t.csv"));
    INFO("hepcat toy " << args);
    check_rejected(r, dir);
  }
}

#endif
