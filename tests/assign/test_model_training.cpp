// Unsupervised training of the ABC model: the published schedule, a short training that lowers
// the validation loss, determinism for a seed, bad settings.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/jets.hpp"

namespace {

const std::string kEvents = std::string(HEPCAT_FIXTURES_DIR) + "/assign/ttbar_allhad_a.h5";

std::vector<float> first_events(std::size_t n, std::size_t* jets) {
  const hepcat::JetTable t = hepcat::read_jets(kEvents);
  *jets = t.max_jets;
  std::vector<float> x = hepcat::assign_inputs(t.pt.data(), t.eta.data(), t.phi.data(), t.e.data(),
                                               t.n_events, t.max_jets);
  x.resize(n * t.max_jets * 5);
  return x;
}

hepcat::AssignConfig small_model() {
  hepcat::AssignConfig c;
  c.embed_dim = 16;
  c.heads = 2;
  c.blocks = 2;
  return c;
}

}  // namespace

TEST_CASE("ABC learning rate follows the published warm-up and step decay", "[assign][train]") {
  // The published learning_rate_scheduler, written out: N = int(0.02 total).
  const double lr = 1e-3;
  const long total = 1000, n = 20;
  for (long step : {0L, 1L, 10L, 19L, 20L, 39L, 40L, 45L, 999L}) {
    const double want = step < n ? lr * double(step + 1) / n : lr * std::pow(0.95, step / n);
    CHECK(hepcat::assign_learning_rate(lr, step, total) == Approx(want).epsilon(1e-14));
  }
  CHECK(hepcat::assign_learning_rate(lr, 3, 10) == lr);  // N = 0: constant
}

TEST_CASE("ABC training lowers the validation loss and is reproducible", "[assign][train]") {
  std::size_t jets = 0;
  const std::size_t events = 400;
  const std::vector<float> x = first_events(events, &jets);
  hepcat::Context ctx("cpu");
  hepcat::AssignTrainConfig cfg;
  cfg.epochs = 3;
  cfg.batch_size = 64;
  cfg.seed = 5;
  const auto train = [&](std::uint64_t seed) {
    hepcat::AssignModel model(small_model());
    model.initialise(seed);
    cfg.seed = seed;
    const hepcat::AssignTrainResult r = hepcat::assign_train(model, x, events, jets, cfg, ctx);
    return std::make_pair(r, model.parameters());
  };
  const auto [r1, p1] = train(5);
  REQUIRE(r1.epochs.size() >= 1);
  CHECK(r1.steps == long(r1.epochs.size()) * 5);  // 300 training events in batches of 64
  CHECK(r1.best_validation_loss < 0.9 * r1.initial_validation_loss);
  const auto [r2, p2] = train(5);
  CHECK(p1 == p2);
  CHECK(r2.best_validation_loss == r1.best_validation_loss);
  const auto [r3, p3] = train(6);
  CHECK(p1 != p3);
}

TEST_CASE("ABC training rejects bad settings with one clear error", "[assign][train]") {
  hepcat::Context ctx("cpu");
  hepcat::AssignModel model(small_model());
  std::vector<float> x(10 * 10 * 5, 0.0f);
  hepcat::AssignTrainConfig cfg;
  cfg.epochs = 0;
  CHECK_THROWS_WITH(hepcat::assign_train(model, x, 10, 10, cfg, ctx),
                    Catch::Contains("epochs must be positive"));
  cfg = hepcat::AssignTrainConfig();
  cfg.validation_fraction = 1.5;
  CHECK_THROWS_WITH(hepcat::assign_train(model, x, 10, 10, cfg, ctx),
                    Catch::Contains("validation fraction"));
  cfg = hepcat::AssignTrainConfig();
  CHECK_THROWS_WITH(hepcat::assign_train(model, x, 10, 9, cfg, ctx),
                    Catch::Contains("expected events x jets x 5"));
  CHECK_THROWS_WITH(hepcat::AssignLoss::parse("three-term"), Catch::Contains("three-term"));
  hepcat::AssignConfig bad;
  bad.categories = 4;
  CHECK_THROWS_WITH(hepcat::AssignModel(bad), Catch::Contains("categories"));
}
