// Checkpoint and resume: a run killed with SIGKILL and resumed ends exactly as an uninterrupted
// run, and a resume with other inputs or settings is refused.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "hepcat/checkpoint.hpp"
#include "hepcat/error.hpp"
#include "tests/cli/cli_run.hpp"

#ifdef HEPCAT_CLI

using namespace hepcat_test;

namespace {

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Without its timing fields (at any depth) and the names in `drop`.
nlohmann::json without(nlohmann::json j, const std::vector<std::string>& drop) {
  if (j.is_object()) {
    j.erase("seconds");
    for (const std::string& key : drop) j.erase(key);
  }
  if (j.is_structured())
    for (nlohmann::json& item : j) item = without(item, {});
  return j;
}

std::string bytes(const fs::path& file) {
  std::ostringstream s;
  s << std::ifstream(file, std::ios::binary).rdbuf();
  return s.str();
}

// The outputs of a run: a JSON result `stem`.json, or with `model` (an extension) a model file
// `stem`.model and its JSON summary `stem`.json.
struct Outputs {
  std::string model;
  std::string args(const std::string& stem) const {
    return model.empty() ? " --out " + stem + ".json"
                         : " --out " + stem + "." + model + " --summary " + stem + ".json";
  }
  // The result of run `stem` without timing fields (and the model file's name).
  nlohmann::json result(const fs::path& out, const std::string& stem) const {
    nlohmann::json j;
    std::ifstream(out / (stem + ".json")) >> j;
    return without(j,
                   model.empty() ? std::vector<std::string>{} : std::vector<std::string>{"model"});
  }
};

// Runs `args` with outputs part.* and checkpoints every `every` epochs to ck.json (in dir/out),
// and kills it with SIGKILL (no chance to clean up) as soon as the first checkpoint is there.
// Returns the epochs that checkpoint holds.
long killed_after_first_checkpoint(const fs::path& dir, const std::string& args, int every,
                                   const Outputs& outputs) {
  const fs::path ck = dir / "out" / "ck.json";
  std::vector<std::string> argv_text =
      words(args + outputs.args("part") + " --checkpoint ck.json --checkpoint-every " +
            std::to_string(every));
  std::vector<char*> argv{const_cast<char*>(HEPCAT_CLI)};
  for (std::string& w : argv_text) argv.push_back(w.data());
  argv.push_back(nullptr);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (chdir((dir / "out").c_str()) != 0) _exit(127);
    execv(HEPCAT_CLI, argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(ck) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(!fs::exists(dir / "out" / "part.json"));
  return hepcat::read_checkpoint(ck.string()).epoch;
}

// In scratch folder `name` with the input made by `toy` (written to ../events.`input`): the
// uninterrupted run of `args` (outputs full.*) against one killed after its first checkpoint and
// resumed; on the way a resume that adds `other` is refused with `refusal`, leaving nothing.
// Returns the folder.
fs::path check_killed_and_resumed(const std::string& name, const std::string& toy,
                                  const std::string& args, long epochs, int every,
                                  const std::string& other, const std::string& refusal,
                                  const std::string& input = "csv", const Outputs& outputs = {}) {
  const fs::path dir = scratch_dir(name);
  REQUIRE(run_cli(dir, toy + " --out ../events." + input).status == 0);
  REQUIRE(run_cli(dir, args + outputs.args("full")).status == 0);
  const long epoch = killed_after_first_checkpoint(dir, args, every, outputs);
  INFO("killed after epoch " << epoch);
  CHECK((epoch >= every && epoch < epochs));

  const CliRun refused = run_cli(dir, args + " " + other + outputs.args("x") + " --resume ck.json");
  CHECK(refused.status != 0);
  REQUIRE(refused.err_lines.size() == 1);
  CHECK(refused.err_lines.front().find(refusal) != std::string::npos);
  CHECK(!fs::exists(dir / "out" / "x.json"));

  // Resumed: byte-identical apart from the timing fields.
  const fs::path ck = dir / "out" / "ck.json";
  const CliRun resumed =
      run_cli(dir, args + outputs.args("part") + " --resume ck.json --checkpoint ck.json");
  REQUIRE(resumed.status == 0);
  CHECK(outputs.result(dir / "out", "part").dump() == outputs.result(dir / "out", "full").dump());
  if (!outputs.model.empty()) {
    CHECK(!fs::exists(dir / "out" / ("x." + outputs.model)));
    CHECK(bytes(dir / "out" / ("part." + outputs.model)) ==
          bytes(dir / "out" / ("full." + outputs.model)));
  }
  CHECK(hepcat::read_checkpoint(ck.string()).epoch == epochs);
  return dir;
}

}  // namespace

TEST_CASE("checkpoints hold exact values and refuse other settings", "[checkpoint]") {
  const fs::path dir = scratch_dir("checkpoint_format");
  hepcat::Checkpoint c;
  c.command = "cuts";
  c.settings = {{"input", "x.csv 0123/10"}, {"--epochs", "10"}};
  c.epoch = 7;
  c.parameters = {0.1f, -3.4028235e38f, 1.17549435e-38f, 1e-45f, 0.0f};
  c.optimizer_steps = 7;
  c.optimizer_state = {1.0f / 3.0f, 2.5e-7f};
  c.rng_counter = 18446744073709551615ull;
  c.last_loss = {0.1, 1.0 / 3.0, 5e-324};
  const std::string path = (dir / "out" / "c.json").string();
  hepcat::write_checkpoint(path, c);
  const hepcat::Checkpoint r = hepcat::read_checkpoint(path);
  CHECK(r.parameters == c.parameters);  // bit-exact, subnormals included
  CHECK(r.optimizer_state == c.optimizer_state);
  CHECK(r.last_loss == c.last_loss);
  CHECK(r.rng_counter == c.rng_counter);
  CHECK(r.epoch == 7);
  CHECK_NOTHROW(hepcat::check_resumable(r, path, "cuts", c.settings));
  CHECK_THROWS_WITH(
      hepcat::check_resumable(r, path, "cuts", {{"input", "x.csv 0123/10"}, {"--epochs", "20"}}),
      Catch::Contains("--epochs was '10' in the interrupted run and is '20' now"));
  CHECK_THROWS_WITH(hepcat::check_resumable(r, path, "splitfit", c.settings),
                    Catch::Contains("written by hepcat cuts"));
  write_text(dir / "bad.json", "{\"counts\": []}");
  CHECK_THROWS_WITH(hepcat::read_checkpoint((dir / "bad.json").string()),
                    Catch::Contains("is not a hepcat checkpoint"));
}

TEST_CASE("hepcat cuts killed with SIGKILL and resumed gives the uninterrupted result",
          "[checkpoint][cli][cuts]") {
  const std::string args =
      "cuts --device cpu --input ../events.csv --process process --signals 0,1 "
      "--features s1,s2,sb --targets 0.3,0.6 --epochs 400 --optimizer adam "
      "--lr cosine:0.1:0.001";
  const fs::path dir =
      check_killed_and_resumed("checkpoint_cuts", "toy --events 3000 --seed 5", args, 400, 5,
                               "--steepness 10", "--steepness was '15' in the interrupted run");

  // Other inputs are refused, and leave nothing behind.
  { std::ofstream(dir / "events.csv", std::ios::app) << "0,0,0,0,0,0,0,1,2\n"; }
  const CliRun changed = run_cli(dir, args + " --out x.json --resume ck.json");
  CHECK(changed.status != 0);
  REQUIRE(changed.err_lines.size() == 1);
  CHECK(changed.err_lines.front().find("cannot resume from 'ck.json': input was") !=
        std::string::npos);
  CHECK(!fs::exists(dir / "out" / "x.json"));
}

TEST_CASE("hepcat bin killed with SIGKILL and resumed gives the uninterrupted result",
          "[checkpoint][cli][bin]") {
  check_killed_and_resumed("checkpoint_bin", "toy --events 20000 --seed 3",
                           "bin --device cpu --input ../events.csv --features s1,s2 "
                           "--signals 0,1 --bins 3 --epochs 300",
                           300, 5, "--model sigmoid",
                           "--model was 'gmm' in the interrupted run and is 'sigmoid' now");
}

TEST_CASE("hepcat splitfit killed with SIGKILL and resumed gives the uninterrupted result",
          "[checkpoint][cli][splitfit]") {
  check_killed_and_resumed("checkpoint_splitfit", "toy --study splitfit --events 20000 --seed 2",
                           "splitfit --device cpu -i ../events.csv --features f0,f1,f2,f3 "
                           "--toys 20 --steps 120 --lr 0.02",
                           120, 2, "--bins 30",
                           "--bins was '40' in the interrupted run and is '30' now");
}

#ifdef HEPCAT_HAVE_HDF5  // jet files and model files are HDF5
TEST_CASE("hepcat assign train killed with SIGKILL and resumed gives the uninterrupted model",
          "[checkpoint][cli][assign]") {
  const std::string toy = "assign toy --events 600 --seed 3";
  const std::string args =
      "assign train --device cpu -i ../events.h5 --embed-dim 8 --heads 2 --blocks 1 "
      "--epochs 30 --batch-size 64 --patience 2 --lr 0.1";
  const Outputs model{"h5"};

  // The uninterrupted run stops early by the patience rule: two epochs after its best, none
  // better (the learning rate is high enough for that to happen within a few epochs whatever
  // the compiler's rounding). Killed after the epoch between, the resumed run must carry the best
  // loss and the epochs since it to stop at the same epoch.
  const fs::path probe = scratch_dir("checkpoint_assign_probe");
  REQUIRE(run_cli(probe, toy + " --out ../events.h5").status == 0);
  REQUIRE(run_cli(probe, args + model.args("full")).status == 0);
  nlohmann::json summary;
  std::ifstream(probe / "out" / "full.json") >> summary;
  REQUIRE(summary["stopped_early"] == true);
  const int best = summary["best_epoch"];
  REQUIRE(summary["epochs"].size() == static_cast<std::size_t>(best + 2));
  for (int e = best; e < best + 2; ++e)
    CHECK(summary["epochs"][e]["validation_loss"].get<double>() >=
          summary["best_validation_loss"].get<double>());

  const fs::path dir =
      check_killed_and_resumed("checkpoint_assign", toy, args, best + 2, best + 1, "--seed 4",
                               "--seed was '1' in the interrupted run and is '4' now", "h5", model);
  // Resumed from the last checkpoint (after the stop): no further epoch, the best epoch's model.
  REQUIRE(run_cli(dir, args + model.args("again") + " --resume ck.json").status == 0);
  CHECK(bytes(dir / "out" / "again.h5") == bytes(dir / "out" / "full.h5"));
  CHECK(model.result(dir / "out", "again") == model.result(dir / "out", "full"));
}

#endif  // HEPCAT_HAVE_HDF5

#endif
