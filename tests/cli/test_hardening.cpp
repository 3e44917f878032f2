// The defects of issue #11, one test each: silent wrong results, files left behind or written
// too late, and unclear messages.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/cli/cli_run.hpp"

#ifdef HEPCAT_CLI

using namespace hepcat_test;

namespace {

// A small labelled table: signal (label 1) shifted in a and b; `bad` replaces the value of
// column `column` in data row `row` (0-based).
std::string labelled_csv(int rows, const std::string& column = "", int row = -1,
                         const std::string& bad = "") {
  std::string text = "a,b,mass,weight,label\n";
  for (int i = 0; i < rows; ++i) {
    const int y = i % 3 == 0;
    std::string cells[5] = {std::to_string(0.01 * (i % 17) + y),
                            std::to_string(0.02 * (i % 11) - y),
                            std::to_string(95 + (i * 7919 % 6000) / 100.0),
                            std::to_string(1 + (i % 5) * 0.1), std::to_string(y)};
    const char* names[5] = {"a", "b", "mass", "weight", "label"};
    for (int k = 0; k < 5; ++k)
      if (i == row && column == names[k]) cells[k] = bad;
    text += cells[0] + "," + cells[1] + "," + cells[2] + "," + cells[3] + "," + cells[4] + "\n";
  }
  return text;
}

void require_one_error(const CliRun& r, const std::string& needle) {
  INFO((r.err_lines.empty() ? std::string("(no stderr)") : r.err_lines.front()));
  CHECK(r.status != 0);
  REQUIRE(r.err_lines.size() == 1);
  CHECK(r.err_lines.front().rfind("hepcat: error: ", 0) == 0);
  CHECK(r.err_lines.front().find(needle) != std::string::npos);
}

// Runs `hepcat args` in dir/out with stdout and stderr on a pseudo-terminal (util-linux
// `script`); returns everything the terminal showed.
std::string run_on_terminal(const fs::path& dir, const std::string& args) {
  const fs::path shown = dir / "terminal.txt";
  const std::string cmd = "cd \"" + (dir / "out").string() +
                          "\" && script -qec '\"" HEPCAT_CLI "\" " + args + "' /dev/null > \"" +
                          shown.string() + "\" 2>&1";
  CHECK(std::system(cmd.c_str()) == 0);
  std::ifstream in(shown);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("splitfit refuses non-finite values and labels other than 0/1, naming column and line",
          "[cli][hardening]") {
  const fs::path dir = scratch_dir("harden_splitfit");
  const std::string base = "splitfit --device cpu --steps 2 --toys 10 --features a,b --out s.json";
  struct Case {
    std::string column, value, extra, needle;
  };
  // Data row 4 is file line 6 (the header is line 1).
  const std::vector<Case> cases = {
      {"a", "nan", "--supervised", "line 6: column 'a' holds nan"},
      {"a", "nan", "", "line 6: column 'a' holds nan"},
      {"b", "inf", "", "line 6: column 'b' holds inf"},
      {"weight", "-inf", "--weight weight", "line 6: column 'weight' holds -inf"},
      {"mass", "nan", "", "line 6: column 'mass' holds nan"},
      {"label", "2", "--supervised", "line 6: label column 'label' holds 2"},
      {"label", "0.5", "--supervised", "line 6: label column 'label' holds 0.5"},
  };
  for (const Case& c : cases) {
    write_text(dir / "in.csv", labelled_csv(60, c.column, 4, c.value));
    INFO(c.column << "=" << c.value << " " << c.extra);
    require_one_error(run_cli(dir, base + " --input ../in.csv " + c.extra), c.needle);
    CHECK(listing(dir / "out").empty());
  }
  // The --test file is checked too.
  write_text(dir / "in.csv", labelled_csv(60));
  write_text(dir / "test.csv", labelled_csv(30, "mass", 2, "nan"));
  require_one_error(run_cli(dir, base + " --input ../in.csv --test ../test.csv"),
                    "test.csv' line 4: column 'mass' holds nan");
  CHECK(listing(dir / "out").empty());
}

TEST_CASE("absurd sizes are refused before allocating, naming the size and the memory",
          "[cli][hardening]") {
  const fs::path dir = scratch_dir("harden_sizes");
  for (const std::string args :
       {"toy --events 1000000000000 --out t.csv", "toy --events 3000000000 --out t.csv",
        "toy --events 2147483647 --out t.csv",
        "toy --study splitfit --events 1000000000000 --out t.csv",
        "bin --study-events 1000000000000 --device cpu"}) {
    INFO(args);
    const CliRun r = run_cli(dir, args);
    require_one_error(r, "GiB of memory");
    CHECK(r.out_lines.empty());
    CHECK(listing(dir / "out").empty());
  }
}

TEST_CASE("cuts' default features leave out label, process and weight, and are reported",
          "[cli][hardening][cuts]") {
  const fs::path dir = scratch_dir("harden_cuts_features");
  write_text(dir / "in.csv", labelled_csv(200));
  const CliRun r = run_cli(
      dir,
      "cuts --device cpu --input ../in.csv --label label --epochs 5 --targets 0.5 --out c.json");
  REQUIRE(r.status == 0);
  nlohmann::json j;
  std::ifstream(dir / "out" / "c.json") >> j;
  CHECK(j.at("features").get<std::vector<std::string>>() ==
        std::vector<std::string>{"a", "b", "mass"});
  REQUIRE(!r.out_lines.empty());
  CHECK(r.out_lines.front() == "features: a, b, mass");
}

TEST_CASE("cuts names the column and file line of a NaN, and refuses a header-only file",
          "[cli][hardening][cuts]") {
  const fs::path dir = scratch_dir("harden_cuts_input");
  write_text(dir / "nan.csv", labelled_csv(50, "b", 9, "nan"));
  require_one_error(run_cli(dir, "cuts --device cpu --input ../nan.csv --label label --out c.json"),
                    "nan.csv' line 11: column 'b' holds nan");
  write_text(dir / "header.csv", "a,b,label\n");
  require_one_error(
      run_cli(dir, "cuts --device cpu --input ../header.csv --label label --out c.json"),
      "has no events");
  CHECK(listing(dir / "out").empty());
}

TEST_CASE("merge accepts negative counts as signed entries and says so",
          "[cli][hardening][merge]") {
  const fs::path dir = scratch_dir("harden_merge_negative");
  write_text(dir / "h.json", R"({"counts": [[1, -2, 3, 4], [4, 3, -2, 1]]})");
  const CliRun r = run_cli(dir, "merge --device cpu --input ../h.json --target 2 --out m.json");
  REQUIRE(r.status == 0);
  REQUIRE(r.err_lines.size() == 1);
  CHECK(r.err_lines.front().rfind("hepcat: note: 2 negative counts", 0) == 0);
  nlohmann::json j;
  std::ifstream(dir / "out" / "m.json") >> j;
  CHECK(j.at("negative_counts") == 2);
  CHECK(j.at("loc").at("separation_retained").is_null());
  // Merged bins hold the signed sums of their entries.
  double total0 = 0;
  for (double c : j.at("counts")[0].get<std::vector<double>>()) total0 += c;
  CHECK(total0 == Approx(6.0));
  // LOC with the sum-|counts| normalisation, by hand: bins (1,4)/10, (-2,3)/10, (3,-2)/10,
  // (4,1)/10.
  const double before = (2 * std::hypot(1.0, 4.0) + 2 * std::hypot(2.0, 3.0)) / 10;
  CHECK(j.at("loc").at("before").get<double>() == Approx(before));
  // Without negative entries the separation share is reported.
  write_text(dir / "p.json", R"({"counts": [[1, 2, 3, 4], [4, 3, 2, 1]]})");
  const CliRun p = run_cli(dir, "merge --device cpu --input ../p.json --target 2 --out p.json");
  REQUIRE(p.status == 0);
  CHECK(p.err_lines.empty());
  std::ifstream(dir / "out" / "p.json") >> j;
  CHECK(j.at("negative_counts") == 0);
  CHECK(j.at("loc").at("separation_retained").is_number());
}

TEST_CASE("a signal during a write removes the temporary file", "[cli][hardening][signals]") {
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    const fs::path dir = scratch_dir("harden_signal");
    const std::string out = (dir / "out" / "big.csv").string();
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // Fresh dispositions: a test runner's ignored SIGINT/SIGHUP would otherwise be inherited.
      signal(sig, SIG_DFL);
      execl(HEPCAT_CLI, HEPCAT_CLI, "toy", "--events", "6000000", "--out", out.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until the writer has created its temporary, then interrupt it.
    bool seen = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!seen && std::chrono::steady_clock::now() < deadline) {
      seen = !listing(dir / "out").empty();
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    kill(child, sig);
    int status = 0;
    waitpid(child, &status, 0);
    INFO("signal " << sig);
    REQUIRE(seen);
    CHECK(WIFSIGNALED(status));  // the signal still ends the process
    CHECK(WTERMSIG(status) == sig);
    CHECK(listing(dir / "out").empty());
  }
}

TEST_CASE("unusable outputs are reported before any work", "[cli][hardening]") {
  const fs::path dir = scratch_dir("harden_outputs");
  write_text(dir / "in.csv", labelled_csv(200));
  fs::create_directories(dir / "out" / "adir");
  require_one_error(run_cli(dir, "toy --events 100 --out adir"), "'adir': it is a directory");
  struct Case {
    std::string args, needle;
  };
  const std::vector<Case> cases = {
      {"bin --device cpu --input ../in.csv --features a,b --process label --signals 1 "
       "--weight weight --epochs 2 --out missing/b.json",
       "directory 'missing' does not exist"},
      {"bin --device cpu --input ../in.csv --features a,b --process label --signals 1 "
       "--weight weight --epochs 2 --out adir",
       "it is a directory"},
      {"cuts --device cpu --input ../in.csv --label label --out missing/c.json",
       "directory 'missing' does not exist"},
      {"cuts --device cpu --input ../in.csv --label label --out c.json --plot missing/c.png",
       "directory 'missing' does not exist"},
      {"splitfit --device cpu --input ../in.csv --features a,b --out adir", "it is a directory"},
      {"merge --device cpu --events ../in.csv --features a --edges 0:1:4 --process label "
       "--target 2 --out missing/m.json",
       "directory 'missing' does not exist"},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    const CliRun r = run_cli(dir, c.args);
    require_one_error(r, c.needle);
    CHECK(r.out_lines.empty());  // nothing computed or reported first
    CHECK(listing(dir / "out") == std::vector<std::string>{"adir"});
  }
  if (geteuid() != 0) {  // root may write anywhere
    fs::create_directories(dir / "out" / "locked");
    fs::permissions(dir / "out" / "locked", fs::perms::owner_read | fs::perms::owner_exec);
    require_one_error(run_cli(dir, "toy --events 100 --out locked/t.csv"), "no permission");
    fs::permissions(dir / "out" / "locked", fs::perms::owner_all);
  }
}

TEST_CASE("a scalar option given twice is named; list options take commas and repeats",
          "[cli][hardening]") {
  const fs::path dir = scratch_dir("harden_options");
  require_one_error(run_cli(dir, "bin --epochs 10 --epochs 20"), "--epochs was given 2 times");
  require_one_error(run_cli(dir, "cuts --input x.csv --out=a.json --out b.json"),
                    "--out was given 2 times");
  // A value that looks like a short option is not a repeat of it.
  const CliRun value = run_cli(dir, "splitfit -i x.csv --features a --lo -inf --out s.json");
  REQUIRE(!value.err_lines.empty());
  CHECK(value.err_lines.front().find("was given") == std::string::npos);
  write_text(dir / "h.json", R"({"counts": [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1]]})");
  for (const std::string targets : {"--target 3,2", "--target 3 2", "--target 3 --target 2"}) {
    INFO(targets);
    const CliRun r = run_cli(dir, "merge --device cpu --input ../h.json --out m.json " + targets);
    REQUIRE(r.status == 0);
    nlohmann::json j;
    std::ifstream(dir / "out" / "m.json") >> j;
    CHECK(j.at("n_bins") == 3);
    CHECK(j.at("binnings").size() == 2);
  }
  write_text(dir / "in.csv", labelled_csv(200));
  for (const std::string lists : {"--features a,b --signals 0,1", "--features a b --signals 0 1",
                                  "--features a --features b --signals 0 --signals 1"}) {
    INFO(lists);
    const CliRun r = run_cli(dir,
                             "bin --device cpu --input ../in.csv --process label "
                             "--weight weight --epochs 2 --out b.json " +
                                 lists);
    REQUIRE(r.status == 0);
    nlohmann::json j;
    std::ifstream(dir / "out" / "b.json") >> j;
    CHECK(j.at("features") == std::vector<std::string>{"a", "b"});
    CHECK(j.at("signals") == std::vector<int>{0, 1});
  }
}

TEST_CASE("every long command shows one progress line on a terminal and nothing in a pipe",
          "[cli][hardening][progress]") {
  const fs::path dir = scratch_dir("hardening_progress");
  write_text(dir / "out" / "h.json", R"({"counts": [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]]})");
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"toy --events 3000 --out t.csv", "stage 2/2"},
      {"toy --study splitfit --events 3000 --out s.csv", "stage 2/2"},
      {"bin --device cpu --input t.csv --features s1,s2 --epochs 3 --out b.json", "epoch 3/3"},
      {"cuts --device cpu --input s.csv --label label --features f0,f1 --epochs 4 --targets 0.5 "
       "--out c.json",
       "epoch 4/4"},
      {"merge --device cpu --input h.json --target 2 --out m.json", "merge "},
      {"splitfit --device cpu --input s.csv --features f0,f1 --steps 3 --toys 5 --out f.json",
       "step 3/3"},
#ifdef HEPCAT_HAVE_HDF5
      {"assign toy --events 300 --out a.h5", "stage 2/2"},
#endif
  };
  for (const auto& [args, step] : commands) {
    INFO("hepcat " << args);
    const std::string shown = run_on_terminal(dir, args);
    INFO(shown);
    CHECK(shown.find(step) != std::string::npos);
    CHECK(shown.find("ETA 0 s") != std::string::npos);
    const CliRun piped = run_cli(dir, args);
    CHECK(piped.status == 0);
    CHECK(piped.err_lines.empty());
  }
}

#endif
