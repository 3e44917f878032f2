// hepcat assign train and eval from the command line: the published weights' purity through the
// CLI, a short training whose model eval reads back, and bad input as one error line, no file.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/cli_run.hpp"

#if defined(HEPCAT_CLI) && defined(HEPCAT_HAVE_HDF5)

using namespace hepcat_test;

namespace {

const std::string kDir = std::string(HEPCAT_FIXTURES_DIR) + "/assign/";

// Runs `hepcat assign <args>` in dir/out.
CliRun run(const fs::path& dir, const std::string& args) {
  return run_cli(dir, "assign " + args);
}

fs::path scratch(const std::string& name) {
  return scratch_dir("cli_assign_model_" + name);
}

}  // namespace

TEST_CASE("hepcat assign eval with the published weights gives the published purity",
          "[cli][assign]") {
  const fs::path dir = scratch("eval");
  const CliRun r = run(dir, "eval --device cpu --model " + kDir + "abc_published_T2.h5 --input " +
                                kDir + "ttbar_allhad_a.h5 --out e.h5 --summary e.json");
  INFO(first_error(r));
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
  CliRun r = run(dir, "train --device cpu -i " + kDir +
                          "ttbar_allhad_a.h5 --events 200 --embed-dim 16 --heads 2 --blocks 1 "
                          "--epochs 2 --batch-size 50 --out m.h5 --summary t.json");
  INFO(first_error(r));
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
    const CliRun r = run(dir, args);
    check_rejected(r, dir);
  }
}

#endif
