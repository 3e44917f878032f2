// Checks of the backend limits declared in hepcat/math/limits.hpp, made when an object is built
// and before any backend runs, with one message for every backend.
#pragma once

#include <cstddef>
#include <string>

#include "hepcat/error.hpp"
#include "hepcat/math/limits.hpp"

namespace hepcat::detail {

/// Throws when a pass accumulating `width` values per event chunk exceeds the declared table;
/// `what` names the pass and `counts` says what sets the width (e.g. "3 processes x 40 bins").
inline void require_accumulators(const char* what, std::size_t width, const std::string& counts) {
  if (width > math::kMaxAccumulators)
    throw Error(std::string(what) + ": " + counts + " need " + std::to_string(width) +
                " accumulators, more than the " + std::to_string(math::kMaxAccumulators) +
                " one reduction pass holds");
}

}  // namespace hepcat::detail
