// AssignEngine on the CPU (the checks the GPU suite runs on CUDA, tests/assign/gpu_test_model.cpp):
// the engine's float forward, gradients and training step against the host network in double.
#include <catch2/catch.hpp>

#include "hepcat/context.hpp"
#include "tests/assign/engine_checks.hpp"

TEST_CASE("ABC engine on the CPU: soft intermediates and hard outputs against double",
          "[assign][engine]") {
  hepcat::Context cpu("cpu");
  for (int t : {2, 3}) {
    hepcat::test::check_soft_intermediates(cpu, t, 128, 60);
    hepcat::test::check_hard_outputs(cpu, t, 128);
  }
}

TEST_CASE("ABC engine on the CPU: gradients, training step, batch independence",
          "[assign][engine]") {
  hepcat::Context cpu("cpu");
  hepcat::test::check_gradients(cpu, 2, 64);
  hepcat::test::check_gradients(cpu, 3, 64);
  hepcat::test::check_training_step(cpu, 64);
  hepcat::test::check_batch_independence(cpu, 64, 8);
}
