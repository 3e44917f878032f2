#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "hepcat/communicator.hpp"
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "hepcat/toy.hpp"

namespace {

using hepcat::world;

// A file name of this run, the same on every rank (rank 0's process id), so that runs with
// different rank counts can share the directory.
std::string run_file(const std::string& name) {
  std::int64_t id = ::getpid();
  world().broadcast(&id, sizeof id, 0);
  return std::string(HEPCAT_TEST_TMP) + "/mpi_" + std::to_string(id) + "_" + name;
}

// The rows [begin, end) of every column of a table.
hepcat::EventTable rows_of(const hepcat::EventTable& t, std::size_t begin, std::size_t end) {
  hepcat::EventTable out;
  for (std::size_t j = 0; j < t.names.size(); ++j)
    out.add(t.names[j],
            std::vector<float>(t.columns[j].begin() + begin, t.columns[j].begin() + end));
  return out;
}

void check_same(const hepcat::EventTable& got, const hepcat::EventTable& expected) {
  REQUIRE(got.names == expected.names);
  for (std::size_t j = 0; j < got.columns.size(); ++j) CHECK(got.columns[j] == expected.columns[j]);
}

}  // namespace

TEST_CASE("a rank's toy shard holds exactly those rows of the single-process toy") {
  hepcat::GatoToyConfig whole;
  whole.scenario = 2;
  whole.events = 1003;
  whole.seed = 7;
  const hepcat::EventTable all = hepcat::generate_gato_toy(whole);
  const hepcat::RowRange mine = hepcat::shard_rows(1003, 64, world().rank(), world().size());
  hepcat::GatoToyConfig shard = whole;
  shard.first_row = static_cast<std::int64_t>(mine.begin);
  shard.rows = static_cast<std::int64_t>(mine.size());
  check_same(hepcat::generate_gato_toy(shard), rows_of(all, mine.begin, mine.end));
  shard.rows = 1004 - shard.first_row;
  CHECK_THROWS_WITH(hepcat::generate_gato_toy(shard), Catch::Contains("outside the 1003 events"));
}

TEST_CASE("a rank reads exactly its rows of a CSV or HDF5 table") {
  hepcat::GatoToyConfig toy;
  toy.events = 777;
  const hepcat::EventTable all = hepcat::generate_gato_toy(toy);
  std::vector<std::string> paths = {run_file("shard.csv")};
  if (hepcat::hdf5_available()) paths.push_back(run_file("shard.h5"));
  for (const std::string& path : paths) {
    if (world().rank() == 0) hepcat::write_table(path, all);
    world().barrier();
    INFO(path);
    CHECK(hepcat::count_table_rows(path) == 777);
    const hepcat::RowRange mine = hepcat::shard_rows(777, 100, world().rank(), world().size());
    const std::vector<std::string> columns = {"s2", "process"};
    const hepcat::EventTable whole = hepcat::read_table(path, columns);
    check_same(hepcat::read_table_rows(path, columns, mine.begin, mine.end),
               rows_of(whole, mine.begin, mine.end));
    CHECK(hepcat::read_table_rows(path, columns, 777, 777).rows() == 0);
    CHECK_THROWS_WITH(hepcat::read_table_rows(path, columns, 700, 778),
                      Catch::Contains("rows 700 to 778 requested, but the table has 777 rows"));
    world().barrier();
    if (world().rank() == 0) std::remove(path.c_str());
  }
}

TEST_CASE("an error in a CSV shard names the line of the whole file") {
  const std::string path = run_file("bad.csv");
  if (world().rank() == 0) {
    std::ofstream out(path);
    out << "\na,b\n";  // the header is line 2
    for (int i = 0; i < 20; ++i) out << i << (i == 13 ? ",x\n" : ",1\n") << (i == 4 ? "\n" : "");
  }
  world().barrier();
  // Row 13 is on line 2 + 13 + 1 + 1 (the blank line after row 4).
  CHECK_THROWS_WITH(hepcat::read_table_rows(path, {}, 10, 15), Catch::Contains("line 17"));
  const hepcat::EventTable tail = hepcat::read_table_rows(path, {"a"}, 14, 20);
  CHECK(tail.column("a") == std::vector<float>{14, 15, 16, 17, 18, 19});
  CHECK(hepcat::count_table_rows(path) == 20);
  world().barrier();
  if (world().rank() == 0) std::remove(path.c_str());
}
