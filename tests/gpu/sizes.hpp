// Problem sizes of the GPU tests. HEPCAT_TEST_SIZE=small picks each test's small size, for the
// compute-sanitizer runs of scripts/device-check (the tools slow kernels down a hundredfold and
// more); unset or "full", the full size. The small sizes still leave partial warps and blocks.
#pragma once

#include <cstdlib>
#include <string>

namespace hepcat::test {

inline std::string test_size_setting() {
  const char* s = std::getenv("HEPCAT_TEST_SIZE");
  return s == nullptr ? std::string("full") : std::string(s);
}

template <class T>
T sized(T full, T small) {
  return test_size_setting() == "small" ? small : full;
}

}  // namespace hepcat::test
