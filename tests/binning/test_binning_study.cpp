// End-to-end: the GATO toy study (SCIENCE.md section 1) and the `hepcat bin` command.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "hepcat/binning_job.hpp"
#include "hepcat/context.hpp"

TEST_CASE("optimised GMM binning beats the equidistant and argmax baselines on the test sample",
          "[binning][study]") {
  // Runtime budget (2 CPU cores, about a minute): 50k toy events per scenario (25k train,
  // 25k test), 100 full-batch Adam epochs per row; the README's table uses the same settings.
  hepcat::Context ctx("auto");
  hepcat::GatoStudyConfig c;
  c.events = 50000;
  c.training.epochs = 100;
  c.training.optimizer = hepcat::OptimizerConfig::parse("adam");
  c.training.lr = hepcat::Schedule(hepcat::Schedule::Kind::cosine, 0.1, 0.001, 99);
  c.training.temperature = hepcat::Schedule(hepcat::Schedule::Kind::cosine, 1.0, 0.05, 99);
  c.objective.lambda_low = 0.01;
  c.objective.background_min = 10.0;
  const auto rows = hepcat::run_gato_study(ctx, c);
  REQUIRE(rows.size() == 12);
  INFO(hepcat::format_study_table(rows));
  for (const auto& r : rows) {
    INFO("scenario " << r.scenario << " " << r.task << " " << r.bins << " bins");
    CHECK(r.test_z > r.baseline_test_z);
  }
}

#ifdef HEPCAT_CLI
TEST_CASE("hepcat bin writes the documented result fields", "[binning][cli]") {
  const std::string dir = HEPCAT_TEST_TMP;
  const std::string cli = HEPCAT_CLI;
  const std::string toy = dir + "/bin_toy.csv", out = dir + "/bin_result.json";
  REQUIRE(std::system((cli + " toy --events 6000 --out " + toy + " > /dev/null").c_str()) == 0);
  REQUIRE(std::system((cli + " bin --input " + toy +
                       " --features s1,s2 --signals 0,1 --bins 4 --epochs 5 --device cpu --out " +
                       out + " > /dev/null")
                          .c_str()) == 0);
  std::ifstream in(out);
  const nlohmann::json j = nlohmann::json::parse(in);
  for (const char* key :
       {"model", "bins", "parameters", "train", "test", "baseline", "history", "seconds", "device"})
    CHECK(j.contains(key));
  CHECK(j["bins"] == 4);
  CHECK(j["parameters"]["components"].size() == 4);
  CHECK(j["history"].size() == 5);
  for (const char* sample : {"train", "test"}) {
    CHECK(j[sample]["yields"].size() == 4);
    CHECK(j[sample]["significance"]["per_signal"].size() == 2);
    CHECK(j["baseline"][sample]["yields"].size() == 4);
  }
  CHECK(j["baseline"]["name"] == "argmax-equidistant");
  // An unknown feature is one error line and a non-zero exit, with no output left behind.
  const std::string bad = dir + "/bin_bad.json";
  CHECK(std::system(
            (cli + " bin --input " + toy + " --features nope --out " + bad + " > /dev/null 2>&1")
                .c_str()) != 0);
  CHECK(!std::ifstream(bad).good());
}
#endif
