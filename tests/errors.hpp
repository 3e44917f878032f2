// The message of the hepcat::Error a call throws (the test fails when it throws none).
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "hepcat/error.hpp"

namespace hepcat::test {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const hepcat::Error& e) {
    return e.what();
  }
  FAIL("no hepcat::Error thrown");
  return "";
}

}  // namespace hepcat::test
