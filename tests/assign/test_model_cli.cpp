// hepcat assign train and eval from the command line: the published weights' purity through the
// CLI, a short training whose model eval reads back, and bad input as one error line, no file.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#if defined(HEPCAT_CLI) && defined(HEPCAT_HAVE_HDF5)

namespace fs = std::filesystem;

namespace {

const std::string kDir = std::string(HEPCAT_FIXTURES_DIR) + "/assign/";

struct Run {
  int status = -1;
  std::vector<std::string> err_lines;
};

Run run(const fs::path& dir, const std::string& args) {
  const fs::path err = dir / "stderr.txt";
  const std::string cmd = "cd \"" + (dir / "out").string() + "\" && \"" + HEPCAT_CLI +
                          "\" assign " + args + " > /dev/null 2> \"" + err.string() + "\"";
  Run r;
  const int raw = std::system(cmd.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream in(err);
  for (std::string line; std::getline(in, line);) r.err_lines.push_back(line);
  return r;
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(HEPCAT_TEST_TMP) / ("cli_assign_model_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir / "out");
  return dir;
}

}  // namespace

TEST_CASE("hepcat assign eval with the published weights gives the published purity",
          "[cli][assign]") {
  const fs::path dir = scratch("eval");
  const Run r = run(dir, "eval --device cpu --model " + kDir + "abc_published_T2.h5 --input " +
                             kDir + "ttbar_allhad_a.h5 --out e.h5 --summary e.json");
  INFO((r.err_lines.empty() ? "" : r.err_lines.front()));
  REQUIRE(r.status == 0);
  nlohmann::json j;
  std::ifstream(dir / "out" / "e.json") >> j;
  CHECK(j["purity"]["events_scored"] == 1168);
  CHECK(j["purity"]["event_purity"].get<double>() == Approx(324.0 / 1168));
  CHECK(j["m_avg"]["median"].get<double>() == Approx(228.4).margin(0.1));
  CHECK(fs::exists(dir / "out" / "e.h5"));
}

TEST_CASE("hepcat assign train writes a model that eval reads", "[cli][assign]") {
  const fs::path dir = scratch("train");
  Run r = run(dir, "train --device cpu -i " + kDir +
                       "ttbar_allhad_a.h5 --events 200 --embed-dim 16 --heads 2 --blocks 1 "
                       "--epochs 2 --batch-size 50 --out m.h5 --summary t.json");
  INFO((r.err_lines.empty() ? "" : r.err_lines.front()));
  REQUIRE(r.status == 0);
  nlohmann::json j;
  std::ifstream(dir / "out" / "t.json") >> j;
  CHECK(j["best_validation_loss"].get<double>() < j["initial_validation_loss"].get<double>());
  r = run(dir, "eval --device cpu -m m.h5 -i " + kDir + "ttbar_allhad_a.h5 --skip 4900 --out e.h5");
  REQUIRE(r.status == 0);
  CHECK(fs::exists(dir / "out" / "e.h5"));
}

TEST_CASE("hepcat assign train and eval reject bad input with one line and no file",
          "[cli][assign]") {
  const fs::path dir = scratch("bad");
  const std::vector<std::string> cases{
      "eval --device cpu -m missing.h5 -i " + kDir + "ttbar_allhad_a.h5 --out e.h5",
      "eval --device cpu -m " + kDir + "ttbar_allhad_a.h5 -i " + kDir +
          "ttbar_allhad_a.h5 --out e.h5",
      "eval --device cpu -m " + kDir + "abc_published_T2.h5 -i " + kDir +
          "ttbar_allhad_a.h5 --skip 6000 --out e.h5",
      "train --device cpu -i " + kDir + "ttbar_allhad_a.h5 --loss three-term --out m.h5",
      "train --device cpu -i " + kDir + "ttbar_allhad_a.h5 --categories 4 --out m.h5",
      "train --device cpu -i " + kDir + "ttbar_allhad_a.h5 --epochs 0 --out m.h5"};
  for (const std::string& args : cases) {
    INFO(args);
    const Run r = run(dir, args);
    CHECK(r.status != 0);
    REQUIRE(r.err_lines.size() == 1);
    CHECK(r.err_lines[0].rfind("hepcat: error: ", 0) == 0);
    CHECK(fs::is_empty(dir / "out"));
  }
}

#endif
