// Test cases run on every backend this machine has: GENERATE(from_range(test_devices())).
#pragma once

#include <string>
#include <vector>

#include "hepcat/context.hpp"

namespace hepcat::test {

inline std::vector<std::string> test_devices() {
  std::vector<std::string> devices{"cpu"};
  if (!cuda_devices().empty()) devices.push_back("cuda");
  return devices;
}

}  // namespace hepcat::test
