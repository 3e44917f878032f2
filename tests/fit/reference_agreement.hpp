// How far a hepcat fit is from an iminuit reference case (tests/reference/fit_reference.py):
// parameter shifts in units of the error, and covariance differences from the central-difference
// Hessian ("covariance_fd") and from HESSE ("covariance"), relative to sqrt(W_ii W_jj) of the
// central differences. Fixed parameters are skipped.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "hepcat/fit.hpp"

namespace hepcat::test {

struct ReferenceAgreement {
  int compared = 0;
  double param = 0, fd = 0, hesse = 0;  ///< worst over the cases added

  void add(const FitResults& r, const nlohmann::json& c, const std::vector<bool>& fixed) {
    ++compared;
    const int np = r.n_params;
    const auto p = c["parameters"].get<std::vector<double>>();
    const auto& V = c["covariance"];
    const auto& W = c["covariance_fd"];
    const auto free = [&](int i) { return fixed.empty() || !fixed[i]; };
    for (int i = 0; i < np; ++i) {
      if (!free(i)) continue;
      const double e = std::sqrt(W[i][i].get<double>());
      param = std::max(param, std::abs(r.parameters[i] - p[i]) / e);
      for (int j = 0; j < np; ++j) {
        if (!free(j)) continue;
        const double scale = e * std::sqrt(W[j][j].get<double>());
        const double v = r.covariance[i * np + j];
        fd = std::max(fd, std::abs(v - W[i][j].get<double>()) / scale);
        hesse = std::max(hesse, std::abs(v - V[i][j].get<double>()) / scale);
      }
    }
  }

  /// At least `min_compared` cases, parameters within 1e-3 of an error, the covariance within
  /// 2e-4 of central differences and `hesse_limit` of HESSE (the figures are printed on failure).
  void check(int min_compared, double hesse_limit) const {
    INFO("compared " << compared << "; worst parameter shift / error " << param
                     << ", covariance vs central differences " << fd << ", vs HESSE " << hesse);
    CHECK(compared >= min_compared);
    CHECK(param < 1e-3);
    CHECK(fd < 2e-4);
    CHECK(hesse < hesse_limit);
  }
};

}  // namespace hepcat::test
