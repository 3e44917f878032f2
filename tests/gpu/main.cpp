// GPU-only tests: without a CUDA device the binary exits 77, which CTest reports as skipped.
// HEPCAT_TEST_SIZE=small runs them at reduced sizes (tests/gpu/sizes.hpp).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <iostream>

#include "hepcat/context.hpp"
#include "tests/gpu/sizes.hpp"

int main(int argc, char** argv) {
  const std::string size = hepcat::test::test_size_setting();
  if (size != "full" && size != "small") {
    std::cerr << "hepcat_gpu_tests: HEPCAT_TEST_SIZE must be full or small, got '" << size << "'\n";
    return 2;
  }
  if (hepcat::cuda_devices().empty()) {
    std::cout << "no CUDA device present: GPU tests skipped\n";
    return 77;
  }
  std::cout << "GPU tests at " << size << " sizes\n";
  return Catch::Session().run(argc, argv);
}
