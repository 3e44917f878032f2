// The deterministic reduction (host/engine/reduce.hpp): the same run gives the same bytes on any
// thread count. Each command runs with 1, 2 and 3 OpenMP threads on inputs of several reduction
// chunks; the JSON it writes must be identical apart from the wall-clock time and the device
// name (which states the thread count).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli_run.hpp"

#ifdef HEPCAT_CLI

namespace fs = std::filesystem;

namespace {

// The file's JSON, flattened, without its timing fields and device name.
nlohmann::json without_timing(const fs::path& file) {
  std::ifstream in(file);
  nlohmann::json j = nlohmann::json::parse(in);
  nlohmann::json flat = j.flatten();
  for (auto it = flat.begin(); it != flat.end();) {
    const std::string& key = it.key();
    const bool timing = key.size() >= 8 && key.compare(key.size() - 8, 8, "/seconds") == 0;
    if (timing || key == "/device")
      it = flat.erase(it);
    else
      ++it;
  }
  return flat;
}

void check_thread_independent(const fs::path& dir, const std::string& name,
                              const std::string& args) {
  nlohmann::json first;
  for (int threads : {1, 2, 3}) {
    const std::string out = (dir / (name + std::to_string(threads) + ".json")).string();
    const hepcat::test::Run r = hepcat::test::run(dir, args + " --device cpu --out \"" + out + "\"",
                                                  "OMP_NUM_THREADS=" + std::to_string(threads));
    INFO(name << " on " << threads
              << " threads: " << (r.err_lines.empty() ? "" : r.err_lines.front()));
    REQUIRE(r.status == 0);
    const nlohmann::json j = without_timing(out);
    if (threads == 1) {
      first = j;
      CHECK(j.size() > 10);
    } else {
      CHECK(j == first);
    }
  }
}

}  // namespace

TEST_CASE("bin, cuts and splitfit write the same JSON on 1, 2 and 3 threads",
          "[cli][determinism]") {
  const fs::path dir = hepcat::test::scratch("determinism");
  const std::string toy = (dir / "toy.csv").string(), sf = (dir / "sf.csv").string();
  // 60000 events: four reduction chunks, so that every thread count splits them differently.
  REQUIRE(hepcat::test::run(dir, "toy --events 60000 --device cpu --out \"" + toy + "\"").status ==
          0);
  REQUIRE(hepcat::test::run(dir,
                            "toy --study splitfit --events 40000 --device cpu --out \"" + sf + "\"")
              .status == 0);
  check_thread_independent(dir, "bin", "bin --input \"" + toy + "\" --features s1,s2 --epochs 5");
  check_thread_independent(
      dir, "cuts",
      "cuts --input \"" + toy + "\" --features x y z --process process --signals 0 1 --epochs 20");
  check_thread_independent(
      dir, "splitfit",
      "splitfit -i \"" + sf + "\" --features f0 f1 f2 f3 --mass mass --steps 20 --toys 200");
}

#endif
