// The ABC model on the GPU (cuBLAS GEMMs, the batched attention kernels and the rest of
// kernels/assign.cu) against the host network in double: every intermediate of the soft forward
// within the fixture README's float32 tolerances, hard outputs away from near ties, gradients
// with and without attention dropout, one training step against the CPU's, batch independence.
#include <catch2/catch.hpp>

#include "hepcat/context.hpp"
#include "tests/assign/engine_checks.hpp"
#include "tests/gpu/sizes.hpp"

using hepcat::test::sized;

TEST_CASE("ABC on the GPU: every soft intermediate and the hard outputs", "[assign][gpu]") {
  hepcat::Context gpu("cuda");
  for (int t : {2, 3}) {
    hepcat::test::check_soft_intermediates(gpu, t, sized<std::size_t>(1024, 64), 60);
    hepcat::test::check_hard_outputs(gpu, t, sized<std::size_t>(1024, 64));
  }
}

TEST_CASE("ABC on the GPU: gradients with and without dropout", "[assign][gpu]") {
  hepcat::Context gpu("cuda");
  hepcat::test::check_gradients(gpu, 2, sized<std::size_t>(512, 32));
  hepcat::test::check_gradients(gpu, 3, sized<std::size_t>(512, 32));
}

TEST_CASE("ABC on the GPU: one training step equals the CPU's", "[assign][gpu]") {
  hepcat::Context gpu("cuda");
  hepcat::test::check_training_step(gpu, sized<std::size_t>(512, 32));
}

TEST_CASE("ABC on the GPU: an event's outputs do not depend on its batch", "[assign][gpu]") {
  hepcat::Context gpu("cuda");
  hepcat::test::check_batch_independence(gpu, sized<std::size_t>(256, 32), 16);
}
