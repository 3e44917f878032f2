#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "tests/errors.hpp"
#include "tests/scratch.hpp"

#ifdef HEPCAT_HAVE_HDF5
#include <hdf5.h>

#include "tests/hdf5_write.hpp"
#endif

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hepcat::EventTable;

using hepcat::test::error_of;
using hepcat::test::fresh_dir;

namespace {

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// Columns with awkward values (subnormal, extremes, negative zero, many digits) and enough
// rows to span several parse chunks and write blocks.
EventTable awkward_table(std::size_t rows) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_real_distribution<float> expo(-40.f, 38.f);
  std::vector<float> a(rows), b(rows), c(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    a[i] = normal(rng);
    b[i] = std::pow(10.f, expo(rng)) * (i % 2 ? -1.f : 1.f);
    c[i] = static_cast<float>(i);
  }
  const float special[] = {0.f,
                           -0.f,
                           std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::min(),
                           std::numeric_limits<float>::max(),
                           -std::numeric_limits<float>::max(),
                           1.f / 3.f,
                           16777217.f};
  for (std::size_t k = 0; k < std::size(special) && k < rows; ++k) b[k] = special[k];
  EventTable t;
  t.add("alpha", a);
  t.add("beta", b);
  t.add("count", c);
  return t;
}

void require_same_table(const EventTable& got, const EventTable& want) {
  REQUIRE(got.names == want.names);
  REQUIRE(got.rows() == want.rows());
  for (std::size_t j = 0; j < want.columns.size(); ++j)
    for (std::size_t i = 0; i < want.rows(); ++i)
      if (!same_bits(got.columns[j][i], want.columns[j][i]))
        FAIL("column " << want.names[j] << " row " << i << ": " << got.columns[j][i]
                       << " != " << want.columns[j][i]);
}

// Writes `t` as dir/t<ext> and returns that path.
std::string write_table_as(const fs::path& dir, const std::string& ext, const EventTable& t) {
  const std::string path = (dir / ("t" + ext)).string();
  hepcat::write_table(path, t);
  return path;
}

std::vector<std::string> table_formats() {
  std::vector<std::string> f{".csv"};
  if (hepcat::hdf5_available()) f.push_back(".h5");
  return f;
}

}  // namespace

TEST_CASE("tables written and read back keep names, order and every float bit-exactly", "[io]") {
  const std::string ext = GENERATE(from_range(table_formats()));
  const fs::path dir = fresh_dir("io_roundtrip");
  const EventTable t = awkward_table(300007);
  const std::string path = write_table_as(dir, ext, t);
  require_same_table(hepcat::read_table(path), t);
  CHECK(entries(dir) == 1);  // no temporary left beside the output
}

TEST_CASE("a CSV header-only file reads as a table without rows and blank lines are skipped",
          "[io]") {
  const fs::path dir = fresh_dir("io_csv_blank");
  write_file(dir / "h.csv", "a,b\n");
  const EventTable h = hepcat::read_table((dir / "h.csv").string());
  CHECK(h.names == std::vector<std::string>{"a", "b"});
  CHECK(h.rows() == 0);
  write_file(dir / "b.csv", "\n a , b \r\n1, +2\r\n\n 3 ,-4e1\r\n\n");
  const EventTable b = hepcat::read_table((dir / "b.csv").string());
  CHECK(b.names == std::vector<std::string>{"a", "b"});
  CHECK(b.column("a") == std::vector<float>{1.f, 3.f});
  CHECK(b.column("b") == std::vector<float>{2.f, -40.f});
}

TEST_CASE("column selection returns exactly the requested columns in the requested order", "[io]") {
  const std::string ext = GENERATE(from_range(table_formats()));
  const fs::path dir = fresh_dir("io_select");
  const EventTable t = awkward_table(1000);
  const std::string path = write_table_as(dir, ext, t);
  const EventTable s = hepcat::read_table(path, {"count", "alpha"});
  REQUIRE(s.names == std::vector<std::string>{"count", "alpha"});
  CHECK(s.column("count") == t.column("count"));
  CHECK(s.column("alpha") == t.column("alpha"));
  const std::string missing = error_of([&] { hepcat::read_table(path, {"alpha", "gamma"}); });
  CHECK_THAT(missing, Contains(path) && Contains("gamma") && Contains("alpha, beta, count"));
}

TEST_CASE("CSV read errors name the file, the line and the problem", "[io]") {
  const fs::path dir = fresh_dir("io_csv_errors");
  const auto message = [&](const std::string& name, const std::string& text) {
    const fs::path p = dir / name;
    write_file(p, text);
    return error_of([&] { hepcat::read_table(p.string()); });
  };
  const std::string missing = (dir / "missing.csv").string();
  CHECK_THAT(error_of([&] { hepcat::read_table(missing); }),
             Contains(missing) && Contains("No such file"));
  struct BadCsv {
    std::string name, text;
    std::vector<std::string> message;  // parts the error must contain
  };
  const std::vector<BadCsv> bad{
      {"empty.csv", "", {"empty.csv", "empty"}},
      {"blank.csv", "\n  \n", {"blank.csv", "empty"}},
      {"ragged.csv", "a,b,c\n1,2,3\n4,5\n", {"ragged.csv", "line 3", "2 cells"}},
      {"long.csv", "a,b\n1,2\n3,4\n5,6,7\n", {"long.csv", "line 4", "more cells"}},
      {"text.csv",
       "a,b\n1,2\n3,x7\n",
       {"text.csv", "line 3", "column 'b'", "'x7' is not a number"}},
      {"emptycell.csv", "a,b\n1,\n", {"emptycell.csv", "line 2", "column 'b'"}},
      {"trailing.csv", "a\n1.5e\n", {"line 2", "'1.5e'"}},
      {"huge.csv", "a\n1\n1e39\n", {"line 3", "'1e39'"}},
      {"dup.csv", "a,b,a\n1,2,3\n", {"dup.csv", "line 1", "duplicate column name 'a'"}},
      {"noname.csv", "a,,c\n1,2,3\n", {"noname.csv", "line 1", "empty name"}}};
  for (const BadCsv& c : bad) {
    INFO(c.name);
    const std::string e = message(c.name, c.text);
    for (const std::string& part : c.message) CHECK_THAT(e, Contains(part));
  }
}

TEST_CASE("a CSV error deep in a large file reports its true line number", "[io]") {
  // Parsing runs in chunks of a few MB; the line number must count lines of earlier chunks.
  const fs::path dir = fresh_dir("io_csv_deep");
  std::string text = "x,y\n";
  std::size_t line = 1, expect = 0;
  for (int row = 0; row < 800000; ++row) {
    if (row % 1000 == 999) {
      text += "\n";  // blank lines still count
      ++line;
    }
    ++line;
    if (row == 700000) expect = line;
    text += row == 700000 ? "1.25,oops\n" : "1.25,-3.5\n";
  }
  write_file(dir / "deep.csv", text);
  CHECK_THAT(error_of([&] { hepcat::read_table((dir / "deep.csv").string()); }),
             Contains("line " + std::to_string(expect) + ":") && Contains("'oops'"));
}

TEST_CASE("unknown file extensions are rejected for reading and writing", "[io]") {
  const fs::path dir = fresh_dir("io_ext");
  const std::string path = (dir / "t.parquet").string();
  CHECK_THAT(error_of([&] { hepcat::read_table(path); }),
             Contains(path) && Contains("unknown file type"));
  CHECK_THAT(error_of([&] { hepcat::write_table(path, awkward_table(3)); }),
             Contains("unknown file type"));
  CHECK_THAT(error_of([&] { hepcat::check_table_output(path); }), Contains("unknown file type"));
  CHECK(entries(dir) == 0);
}

TEST_CASE("a failing write leaves no file behind and keeps an existing output intact", "[io]") {
  const std::string ext = GENERATE(from_range(table_formats()));
  const fs::path dir = fresh_dir("io_atomic");
  const std::string missing_dir = (dir / "no_such_dir" / ("t" + ext)).string();
  CHECK_THAT(error_of([&] { hepcat::write_table(missing_dir, awkward_table(5)); }),
             Contains(missing_dir) && Contains("does not exist"));
  CHECK_THAT(error_of([&] { hepcat::check_table_output(missing_dir); }),
             Contains("does not exist"));
  CHECK(entries(dir) == 0);

  const std::string path = (dir / ("t" + ext)).string();
  EventTable ragged = awkward_table(10);
  ragged.columns[1].pop_back();
  CHECK_THAT(error_of([&] { hepcat::write_table(path, ragged); }),
             Contains(path) && Contains("'beta' has 9 rows"));
  CHECK(entries(dir) == 0);

  const EventTable good = awkward_table(10);
  hepcat::write_table(path, good);
  CHECK_THAT(error_of([&] { hepcat::write_table(path, ragged); }), Contains("9 rows"));
  EventTable dup = good;
  dup.names[2] = "alpha";
  CHECK_THAT(error_of([&] { hepcat::write_table(path, dup); }),
             Contains("duplicate column name 'alpha'"));
  CHECK(entries(dir) == 1);
  require_same_table(hepcat::read_table(path), good);
}

TEST_CASE("write_text_atomic writes and replaces text files, and fails cleanly", "[io]") {
  const fs::path dir = fresh_dir("io_text");
  const fs::path p = dir / "r.json";
  hepcat::write_text_atomic(p.string(), "{\"a\": 1}\n");
  CHECK(read_file(p) == "{\"a\": 1}\n");
  hepcat::write_text_atomic(p.string(), "{}");
  CHECK(read_file(p) == "{}");
  CHECK(entries(dir) == 1);
  const std::string bad = (dir / "missing" / "r.json").string();
  CHECK_THAT(error_of([&] { hepcat::write_text_atomic(bad, "x"); }),
             Contains(bad) && Contains("does not exist"));
  CHECK_THAT(error_of([&] { hepcat::write_text_atomic(dir.string(), "x"); }),
             Contains("is a directory"));
  CHECK(entries(dir) == 1);
}

TEST_CASE("HDF5 without support in the build fails with a clear message", "[io]") {
  if (hepcat::hdf5_available()) return;
  const fs::path dir = fresh_dir("io_nohdf5");
  const std::string path = (dir / "t.h5").string();
  CHECK_THAT(error_of([&] { hepcat::write_table(path, awkward_table(3)); }),
             Contains(path) && Contains("no HDF5"));
  CHECK_THAT(error_of([&] { hepcat::read_table(path); }), Contains("no HDF5"));
  CHECK_THAT(error_of([&] { hepcat::read_hdf5_array(path, "edges"); }),
             Contains(path) && Contains("no HDF5"));
  CHECK(entries(dir) == 0);
}

#ifdef HEPCAT_HAVE_HDF5

namespace {

// Writes datasets the way other tools commonly do: no creation-order tracking, mixed types.
void write_foreign_h5(const fs::path& path, bool mismatched_lengths, bool two_d) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t group = H5Gcreate2(file, "/g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const std::int32_t ints[4] = {3, -1, 7, 1000000};
  const double doubles[4] = {0.1, -2.5, 1e-3, 12345.678};
  const hsize_t n = 4, n_short = 3, dims2[2] = {2, 2};
  const hid_t s4 = H5Screate_simple(1, &n, nullptr);
  const hid_t s3 = H5Screate_simple(1, &n_short, nullptr);
  const hid_t s22 = H5Screate_simple(2, dims2, nullptr);
  const hid_t zeta =
      H5Dcreate2(group, "zeta", H5T_STD_I32LE, s4, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(zeta, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints);
  const hid_t alpha = H5Dcreate2(group, "alpha", H5T_IEEE_F64LE,
                                 two_d                ? s22
                                 : mismatched_lengths ? s3
                                                      : s4,
                                 H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(alpha, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, doubles);
  const hid_t sub = H5Gcreate2(group, "nested", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  for (hid_t h : {zeta, alpha}) H5Dclose(h);
  for (hid_t h : {s4, s3, s22}) H5Sclose(h);
  H5Gclose(sub);
  H5Gclose(group);
  H5Fclose(file);
}

}  // namespace

TEST_CASE("HDF5 groups: files written into a group read back from that group only", "[io]") {
  const fs::path dir = fresh_dir("io_h5group");
  const EventTable t = awkward_table(2000);
  const std::string file = (dir / "t.hdf5").string();
  hepcat::write_table(file + ":/events/train", t);
  require_same_table(hepcat::read_table(file + ":/events/train"), t);
  require_same_table(hepcat::read_table(file + ":events/train/"), t);
  CHECK_THAT(error_of([&] { hepcat::read_table(file); }),
             Contains(file) && Contains("no datasets in group '/'"));
  CHECK_THAT(error_of([&] { hepcat::read_table(file + ":/events/test"); }),
             Contains(file) && Contains("no group '/events/test'"));
  CHECK_THAT(error_of([&] {
               hepcat::read_table(file + ":/events/train", {"alpha", "x"});
             }),
             Contains("no dataset '/events/train/x'") && Contains("alpha, beta, count"));
  CHECK(entries(dir) == 1);
}

TEST_CASE("HDF5 integer and double datasets read as float, untracked order is alphabetical",
          "[io]") {
  const fs::path dir = fresh_dir("io_h5foreign");
  write_foreign_h5(dir / "f.h5", false, false);
  const EventTable t = hepcat::read_table((dir / "f.h5").string() + ":/g");
  REQUIRE(t.names == std::vector<std::string>{"alpha", "zeta"});
  CHECK(t.column("zeta") == std::vector<float>{3.f, -1.f, 7.f, 1000000.f});
  CHECK(t.column("alpha") == std::vector<float>{0.1f, -2.5f, 1e-3f, 12345.678f});
  const EventTable z = hepcat::read_table((dir / "f.h5").string() + ":/g", {"zeta"});
  CHECK(z.names == std::vector<std::string>{"zeta"});
}

TEST_CASE("HDF5 read errors name the file, the dataset and the problem", "[io]") {
  const fs::path dir = fresh_dir("io_h5errors");
  const std::string missing = (dir / "missing.h5").string();
  CHECK_THAT(error_of([&] { hepcat::read_table(missing); }),
             Contains(missing) && Contains("no such file"));
  write_file(dir / "text.h5", "a,b\n1,2\n");
  CHECK_THAT(error_of([&] { hepcat::read_table((dir / "text.h5").string()); }),
             Contains("text.h5") && Contains("not an HDF5 file"));
  write_foreign_h5(dir / "short.h5", true, false);
  CHECK_THAT(
      error_of([&] { hepcat::read_table((dir / "short.h5").string() + ":/g"); }),
      Contains("short.h5") && Contains("'/g/zeta' has 4 rows") && Contains("'/g/alpha' has 3"));
  write_foreign_h5(dir / "square.h5", false, true);
  CHECK_THAT(error_of([&] { hepcat::read_table((dir / "square.h5").string() + ":/g"); }),
             Contains("square.h5") && Contains("'/g/alpha' is not one-dimensional"));
}

// Found by tests/fuzz/fuzz_hdf5: a dense link table whose B-tree node fails its checksum. Listing
// it in name order through libhdf5's temporary table freed uninitialised pointers inside libhdf5
// (1.10.8); hepcat walks the index in place and reports the corruption.
TEST_CASE("an HDF5 file with a corrupt link table is one error, not a crash", "[io]") {
  const std::string file = HEPCAT_FUZZ_CORPUS_DIR "/hdf5/corrupt_link_table.h5";
  CHECK_THAT(error_of([&] { hepcat::read_table(file); }),
             Contains(file) && Contains("link table is corrupt"));
  CHECK_THAT(error_of([&] { hepcat::list_hdf5_datasets(file); }), Contains("corrupt"));
}

TEST_CASE("HDF5 arrays read back with their shape, in row-major order, converted to double",
          "[io]") {
  if (!hepcat::hdf5_available()) return;
  const fs::path dir = fresh_dir("io_h5array");
  const std::string file = (dir / "a.h5").string();
  const std::vector<double> row{0.1, -2.5, 1e-300, 12345.678901234567};
  const std::vector<double> grid{1, 2, 3, 4, 5, 6};
  hepcat::test::write_h5(file, "/g",
                         {{"row", {4}, row},
                          {"grid", {2, 3}, grid},
                          {"counts", {3}, {3, -1, 1000000}, H5T_STD_I32LE}});
  REQUIRE(hepcat::list_hdf5_datasets(file + ":/g") ==
          std::vector<std::string>{"counts", "grid", "row"});
  const hepcat::Array a = hepcat::read_hdf5_array(file + ":/g", "row", 1);
  CHECK(a.shape == std::vector<std::size_t>{4});
  CHECK(a.values == row);  // float64 on disk and in memory: exact
  const hepcat::Array b = hepcat::read_hdf5_array(file + ":g", "grid");
  CHECK(b.shape == std::vector<std::size_t>{2, 3});
  CHECK(b.values == grid);
  CHECK(hepcat::read_hdf5_array(file + ":/g", "counts").values ==
        std::vector<double>{3, -1, 1000000});
  CHECK(hepcat::is_hdf5_path(file + ":/g"));
  CHECK(hepcat::is_hdf5_path("x.HDF5"));
  CHECK_FALSE(hepcat::is_hdf5_path("x.json"));
}

TEST_CASE("HDF5 array errors name the file and the dataset", "[io]") {
  if (!hepcat::hdf5_available()) return;
  const fs::path dir = fresh_dir("io_h5arrayerrors");
  const std::string file = (dir / "a.h5").string();
  hepcat::test::write_h5(file, "/", {{"edges", {3}, {0, 1, 2}}, {"grid", {1, 2}, {1, 2}}});
  CHECK_THAT(
      error_of([&] { hepcat::read_hdf5_array(file, "histograms"); }),
      Contains(file) && Contains("no dataset '/histograms'") && Contains("available: edges, grid"));
  CHECK_THAT(error_of([&] { hepcat::read_hdf5_array(file, "grid", 1); }),
             Contains(file) && Contains("'/grid' is 2-D, expected 1-D"));
  CHECK_THAT(error_of([&] { hepcat::read_hdf5_array(file, "edges", 2); }),
             Contains(file) && Contains("'/edges' is 1-D, expected 2-D"));
  CHECK_THAT(error_of([&] { hepcat::read_hdf5_array(file + ":/g", "edges"); }),
             Contains(file) && Contains("no group '/g'"));
  CHECK_THAT(error_of([&] { hepcat::read_hdf5_array((dir / "a.json").string(), "edges"); }),
             Contains("a.json") && Contains("not an HDF5 file name"));
}

#endif
