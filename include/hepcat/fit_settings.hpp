// Plain settings of the batched fits, shared by the public API (hepcat/fit.hpp) and the formulas
// that read them (hepcat/math/fit_models.hpp, hepcat/math/lm.hpp).
#pragma once

namespace hepcat {

enum class Background : int {
  none = 0,
  polynomial = 1,   ///< sum_k p_k t^k, order 0..5
  bernstein = 2,    ///< sum_k p_k C(n,k) t^k (1-t)^(n-k), order 0..5
  exponential = 3,  ///< p0 exp(p1 t)
  power_law = 4,    ///< p0 z^(-p1)
  dijet = 5,        ///< p0 (1-z)^p1 / z^(p2 + p3 ln z)
};

enum class Signal : int {
  none = 0,
  gaussian = 1,      ///< (yield, mean, width): integral over x equals the yield
  crystal_ball = 2,  ///< (yield, mean, width, alpha, n): power-law tail below mean - alpha width
};

/// How a bin's expectation is computed from the density.
enum class Evaluation : int {
  bin_integral = 0,  ///< Simpson's rule over the bin: (b-a)/6 (f(a) + 4 f(m) + f(b))
  bin_centre = 1,    ///< (b-a) f(m)
};

/// Which model, and the fixed coordinates its shapes are written in. Polynomial, Bernstein and
/// exponential shapes use t = (x - x_lo) / (x_hi - x_lo), so their parameters stay of the same
/// magnitude whatever the units of x; power law and dijet use z = x / scale.
struct ModelSpec {
  Background background = Background::polynomial;
  int order = 2;  ///< polynomial and Bernstein order
  Signal signal = Signal::none;
  double x_lo = 0, x_hi = 0;  ///< equal: the fit takes them from the first and last edge
  double scale = 1;
  int templates = 0;  ///< template components, after the signal (0..math::kMaxTemplates)
};

enum class Estimator : int {
  neyman = 0,    ///< (h - mu)^2 / max(h, 1): empty bins get variance 1
  pearson = 1,   ///< (h - mu)^2 / mu
  variance = 2,  ///< (h - mu)^2 / var, var given per bin; bins with var <= 0 are left out
  poisson = 3,   ///< 2 (mu - h + h ln(h / mu)): the Poisson deviance
};

enum class FitState : int {
  converged = 0,       ///< objective within tolerance of its minimum
  max_iterations = 1,  ///< iteration limit reached before convergence
  singular = 2,        ///< Hessian of the free parameters not positive definite at the end
  stalled = 3,         ///< no step decreases the objective, at the precision of the scalar
};

}  // namespace hepcat
