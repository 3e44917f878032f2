// Validation of jet tables shared by the readers (which name datasets) and validate_jets.
#pragma once

#include <cstddef>
#include <string>

#include "hepcat/jets.hpp"

namespace hepcat::detail {

/// What each quantity is called in error messages (dataset paths for the readers).
struct JetFieldNames {
  std::string pt = "pt", eta = "eta", phi = "phi", e = "E", mask = "mask", weight = "weight",
              truth = "truth";
};

/// validate_jets with the quantities named by `names`; `source` prefixes every message.
void check_jets(const JetTable& table, const std::string& source, std::size_t min_jets,
                const JetFieldNames& names);

}  // namespace hepcat::detail
