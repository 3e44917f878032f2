// Batched binned fits: many independent histograms fitted by one model in one call, on the
// CPU (OpenMP over fits) or on CUDA (one thread per fit, the whole Levenberg-Marquardt loop in
// one launch, nothing crossing to the host until the results). SCIENCE.md section 4.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/context.hpp"
#include "hepcat/fit_settings.hpp"

namespace hepcat {

HEPCAT_API const char* to_string(FitState state);
HEPCAT_API const char* to_string(Estimator estimator);
HEPCAT_API Estimator
parse_estimator(const std::string& text);  ///< neyman, pearson, variance, poisson

/// Parses a model name: a background "poly<k>", "bernstein<k>" (k = 0..5), "exp", "powerlaw",
/// "dijet" or "none", optionally followed by "+gauss" or "+cb" (Crystal Ball), then by one
/// "+template" per template component; "gauss", "cb" and "template" may also start the name
/// (no background). x_lo/x_hi/scale are left at their defaults.
HEPCAT_API ModelSpec parse_model(const std::string& text);
HEPCAT_API std::string model_name(const ModelSpec& model);
/// Parameter names in order, e.g. {"b0", "b1", "b2", "yield", "mean", "width"}; template
/// yields are "template0", "template1", ...
HEPCAT_API std::vector<std::string> parameter_names(const ModelSpec& model);

/// The settings shared by every fit of a batch.
struct HEPCAT_API FitConfig {
  ModelSpec model;  ///< x_lo/x_hi default to the first and last edge when left equal
  Estimator estimator = Estimator::neyman;
  Evaluation evaluation = Evaluation::bin_integral;
  std::vector<double> edges;  ///< n_bins + 1 increasing values, 1 <= n_bins <= 512
  std::vector<double> lower;  ///< per parameter; empty means unbounded
  std::vector<double> upper;  ///< per parameter; empty means unbounded
  std::vector<bool> fixed;    ///< per parameter; empty means all free
  /// model.templates rows of n_bins entries: the template histograms (finite, >= 0, a positive
  /// sum; only their shape matters, each yield is its template's events in the fit range).
  std::vector<double> templates;
  /// Empty, or as many values as `templates`: their per-bin variances (sum of squared weights
  /// of the simulation). The chi2 estimators add them, scaled to the fitted yields, to each
  /// bin's variance; the Poisson deviance takes Barlow-Beeston-lite (math/lm.hpp).
  std::vector<double> template_variances;
  int max_iterations = 100;
  double tolerance = 1e-8;  ///< stop when the objective is within this of its minimum
  /// Objective change that defines one standard deviation: 1 on hepcat's chi2 scale (the
  /// Poisson estimator is the deviance 2 (lnL_sat - lnL), so 1 here is MINUIT's 0.5 on -lnL).
  double errordef = 1;
  int starts = 1;             ///< starting points per fit (the signal's mean spread over its range)
  std::vector<int> minos;     ///< free parameters (indices) given profile-likelihood intervals
  bool significance = false;  ///< likelihood-ratio significance of the signal (needs one)
  int n_bins() const { return static_cast<int>(edges.size()) - 1; }
};

/// Per-fit results, fits in order; parameters and errors are n_fits x n_params row-major.
/// H is the exact Hessian of the objective at the fitted point, over the free parameters.
struct HEPCAT_API FitResults {
  std::size_t n_fits = 0;
  int n_params = 0;
  std::vector<double> parameters;
  std::vector<double> errors;     ///< sqrt(diag V); 0 for fixed, NaN when H is singular
  std::vector<double> objective;  ///< chi2 (or Poisson deviance) at the fitted parameters
  std::vector<FitState> states;
  std::vector<int> iterations;
  /// V = 2 errordef H^-1, n_fits x n_params x n_params (fixed rows and columns 0)
  std::vector<double> covariance;
  std::vector<double> edm;             ///< g^T H^-1 g / 2, MINUIT's estimated distance
  std::vector<int> evaluations;        ///< objective evaluations, final Hessian included
  std::vector<std::uint8_t> valid;     ///< converged, EDM <= 2e-4 errordef, H positive definite
  std::vector<std::uint8_t> at_limit;  ///< n_fits x n_params: free parameter ends on a bound
  /// Profile-likelihood intervals, n_fits x minos.size() x (lower, upper) as offsets from the
  /// fitted value (lower <= 0 <= upper), in the order of FitConfig::minos; NaN where not found.
  std::vector<double> minos;
  /// sign(yield) sqrt(objective with the signal's yield at 0 - objective), per fit when asked.
  std::vector<double> significance;
  double errordef = 1;  ///< as in the configuration
  int ndf = 0;          ///< bins minus free parameters
  /// Correlation matrix of fit f (n_params x n_params; 0 rows for fixed parameters).
  HEPCAT_API std::vector<double> correlation(std::size_t f) const;
};

/// Fits n_fits histograms (n_fits x n_bins, row-major) on the host. `initial` holds n_params
/// values shared by all fits or n_fits x n_params. `variances` (same shape as histograms) is
/// required by Estimator::variance and ignored otherwise.
HEPCAT_API FitResults fit_histograms(Context& ctx, const FitConfig& config,
                                     const std::vector<double>& histograms,
                                     const std::vector<double>& initial,
                                     const std::vector<double>& variances = {});

/// The same on arrays already on the context's backend (device pointers on CUDA).
/// d_params holds the initial values (n_fits x n_params) and receives the fitted ones;
/// d_variances may be null unless the estimator needs it. d_state receives FitState values.
HEPCAT_API void fit_histograms_on_backend(Context& ctx, const FitConfig& config, std::size_t n_fits,
                                          const double* d_histograms, const double* d_variances,
                                          double* d_params, double* d_errors, double* d_objective,
                                          int* d_state, int* d_iterations);

/// Writes a batch's results by the extension of `path`, atomically. ".h5"/".hdf5": one dataset
/// per quantity with one row per fit (parameters, errors, covariance, correlation, minimum, ndf,
/// edm, iterations, evaluations, valid, at_limit, state, and minos and significance when asked),
/// the parameter names as attributes (docs/fits.md). Anything else: JSON with one object per fit,
/// including its histogram and fitted expectations (for small batches). `histograms` are the
/// fitted ones (n_fits x n_bins), `device` the context's name.
HEPCAT_API void write_fit_results(const std::string& path, const FitConfig& config,
                                  const FitResults& results, const std::vector<double>& histograms,
                                  const std::string& device);

/// The model's expectation in every bin for `params` (n_params values), as the fit computes it.
HEPCAT_API std::vector<double> bin_expectations(const FitConfig& config,
                                                const std::vector<double>& params);

/// Starting values when none are given (what `hepcat fit` and hepcat.fit use): a flat
/// background at the histogram's mean density, a signal yield of 5% of its entries (zero would
/// leave the peak's position without effect), the peak at the centre of the range with a width
/// of 1/20 of it. Throws Error for the power-law and dijet shapes, which need explicit values.
HEPCAT_API std::vector<double> default_initial_parameters(const FitConfig& config,
                                                          const std::vector<double>& histogram);

}  // namespace hepcat
