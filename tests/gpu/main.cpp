// GPU-only tests: without a CUDA device the binary exits 77, which CTest reports as skipped.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <iostream>

#include "hepcat/context.hpp"

int main(int argc, char** argv) {
  if (hepcat::cuda_devices().empty()) {
    std::cout << "no CUDA device present: GPU tests skipped\n";
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
