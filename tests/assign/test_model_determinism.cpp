// The ABC model gives the same bytes on any thread count: a batch is computed in parts of a
// fixed size whatever the threads, and the parts' gradients are added in order. A few training
// steps (dropout on), a gradient and a forward on 1, 2 and 3 OpenMP threads must agree byte for
// byte.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/context.hpp"
#include "hepcat/jets.hpp"

#ifdef _OPENMP
#include <omp.h>

namespace {

template <class T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

struct Results {
  std::vector<float> trained, grad, probability, mass, loss;
  double batch_loss = 0;
};

// Runs on `threads` threads: 200 ttbar events, batches of 96 (three parts and a short one).
Results run(int threads) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  const hepcat::JetTable t =
      hepcat::read_jets(std::string(HEPCAT_FIXTURES_DIR) + "/assign/ttbar_allhad_a.h5");
  const std::size_t events = 200, jets = t.max_jets;
  std::vector<float> x = hepcat::assign_inputs(t.pt.data(), t.eta.data(), t.phi.data(), t.e.data(),
                                               t.n_events, t.max_jets);
  x.resize(events * jets * 5);
  hepcat::AssignConfig small;
  small.embed_dim = 16;
  small.heads = 2;
  small.blocks = 2;
  Results r;
  hepcat::Context ctx("cpu");
  hepcat::AssignModel model(small);
  model.initialise(3);
  hepcat::AssignTrainConfig cfg;
  cfg.epochs = 2;
  cfg.batch_size = 96;
  cfg.seed = 11;
  hepcat::assign_train(model, x, events, jets, cfg, ctx);
  r.trained = model.parameters();
  hepcat::AssignLoss four;
  four.kind = hepcat::AssignLoss::Kind::four_term;
  r.batch_loss = hepcat::assign_gradient(model, x.data(), events, jets, four, r.grad, 9, true);
  const auto out =
      hepcat::assign_forward(model, x.data(), events, jets, hepcat::AssignChoice::hard);
  r.probability = out.probability;
  r.mass = out.mass;
  r.loss = out.loss;
  omp_set_num_threads(saved);
  return r;
}

}  // namespace

TEST_CASE("ABC training, gradient and forward give the same bytes on 1, 2 and 3 threads",
          "[assign][determinism]") {
  const Results one = run(1);
  REQUIRE(one.trained.size() > 1000);
  for (int threads : {2, 3}) {
    INFO(threads << " threads");
    const Results r = run(threads);
    CHECK(same_bytes(r.trained, one.trained));
    CHECK(same_bytes(r.grad, one.grad));
    CHECK(std::memcmp(&r.batch_loss, &one.batch_loss, sizeof(double)) == 0);
    CHECK(same_bytes(r.probability, one.probability));
    CHECK(same_bytes(r.mass, one.mass));
    CHECK(same_bytes(r.loss, one.loss));
  }
}

#endif
