// The one exception type of the library.
#pragma once

#include <stdexcept>
#include <string>

#include "hepcat/api.hpp"

namespace hepcat {

/// Thrown for every failure the library detects: bad input (the message names the input and
/// what is wrong), CUDA or cuBLAS errors (the message names the expression, file and line),
/// IO failures. The library never calls exit().
class HEPCAT_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace hepcat
