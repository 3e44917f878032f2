// Four-vector kinematics for jet assignment: energies, invariant masses, Lorentz boosts, the
// massless three-body decay at a Dalitz point and the mass asymmetry of two candidates.
// Four-vectors are (E, px, py, pz) in GeV.
#pragma once

#include <cmath>

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

template <class T>
struct P4 {
  T e, px, py, pz;
};

template <class T>
HEPCAT_HD P4<T> operator+(const P4<T>& a, const P4<T>& b) {
  return {a.e + b.e, a.px + b.px, a.py + b.py, a.pz + b.pz};
}

/// E = sqrt((pt cosh eta)^2 + m^2): a jet's energy from (pt, eta, mass).
template <class T>
HEPCAT_HD T jet_energy(T pt, T eta, T mass) {
  const T p = pt * std::cosh(eta);
  return std::sqrt(p * p + mass * mass);
}

/// m = sqrt(max(E^2 - |p|^2, 0)) from (pt, eta, E).
template <class T>
HEPCAT_HD T jet_mass(T pt, T eta, T e) {
  const T p = pt * std::cosh(eta);
  const T m2 = e * e - p * p;
  return m2 > T(0) ? std::sqrt(m2) : T(0);
}

/// The four-vector of a jet given (pt, eta, phi, E).
template <class T>
HEPCAT_HD P4<T> jet_p4(T pt, T eta, T phi, T e) {
  return {e, pt * std::cos(phi), pt * std::sin(phi), pt * std::sinh(eta)};
}

/// Invariant mass sqrt(max(E^2 - |p|^2, 0)).
template <class T>
HEPCAT_HD T invariant_mass(const P4<T>& p) {
  const T m2 = p.e * p.e - p.px * p.px - p.py * p.py - p.pz * p.pz;
  return m2 > T(0) ? std::sqrt(m2) : T(0);
}

template <class T>
HEPCAT_HD T transverse_momentum(const P4<T>& p) {
  return std::sqrt(p.px * p.px + p.py * p.py);
}

/// Pseudorapidity asinh(pz / pt); a vector along the beam gets +-inf.
template <class T>
HEPCAT_HD T pseudorapidity(const P4<T>& p) {
  return std::asinh(p.pz / transverse_momentum(p));
}

template <class T>
HEPCAT_HD T azimuth(const P4<T>& p) {
  return std::atan2(p.py, p.px);
}

/// `p`, given in the rest frame of `frame`, boosted to the frame in which `frame` is measured.
/// `frame` must be time-like.
template <class T>
HEPCAT_HD P4<T> boost_from_rest(const P4<T>& p, const P4<T>& frame) {
  const T m = invariant_mass(frame);
  const T bx = frame.px / m, by = frame.py / m, bz = frame.pz / m;  // gamma * beta
  const T gamma = frame.e / m;
  const T bp = bx * p.px + by * p.py + bz * p.pz;
  const T k = bp / (gamma + T(1)) + p.e;
  return {gamma * p.e + bp, p.px + k * bx, p.py + k * by, p.pz + k * bz};
}

/// Massless three-body decay of a particle of mass M at rest, at the Dalitz point
/// (s12, s23) = (m12^2, m23^2) inside the triangle s12, s23 >= 0, s12 + s23 <= M^2. Parton 1
/// flies along (theta, phi); parton 2 lies at angle psi around it; parton 3 balances.
/// E_i = (M^2 - s_jk) / (2M) and cos(theta_12) = 1 - s12 / (2 E1 E2).
template <class T>
HEPCAT_HD void massless_three_body(T M, T s12, T s23, T cos_theta, T phi, T psi, P4<T>* p1,
                                   P4<T>* p2, P4<T>* p3) {
  const T s13 = M * M - s12 - s23;
  const T e1 = (M * M - s23) / (T(2) * M), e2 = (M * M - s13) / (T(2) * M);
  const T sin_theta = std::sqrt(T(1) - cos_theta * cos_theta);
  const T cp = std::cos(phi), sp = std::sin(phi);
  // n along parton 1, (a, b) an orthonormal basis of the plane perpendicular to it.
  const T n[3] = {sin_theta * cp, sin_theta * sp, cos_theta};
  const T a[3] = {cos_theta * cp, cos_theta * sp, -sin_theta};
  const T b[3] = {-sp, cp, T(0)};
  T c12 = (e1 > T(0) && e2 > T(0)) ? T(1) - s12 / (T(2) * e1 * e2) : T(1);
  c12 = c12 > T(1) ? T(1) : (c12 < T(-1) ? T(-1) : c12);
  const T s12a = std::sqrt(T(1) - c12 * c12);
  const T cpsi = std::cos(psi), spsi = std::sin(psi);
  T d2[3];
  for (int i = 0; i < 3; ++i) d2[i] = c12 * n[i] + s12a * (cpsi * a[i] + spsi * b[i]);
  *p1 = {e1, e1 * n[0], e1 * n[1], e1 * n[2]};
  *p2 = {e2, e2 * d2[0], e2 * d2[1], e2 * d2[2]};
  *p3 = {M - e1 - e2, -p1->px - p2->px, -p1->py - p2->py, -p1->pz - p2->pz};
}

/// |m1 - m2| / (m1 + m2), 0 when both masses are 0.
template <class T>
HEPCAT_HD T mass_asymmetry(T m1, T m2) {
  const T sum = m1 + m2;
  return sum > T(0) ? std::fabs(m1 - m2) / sum : T(0);
}

/// Relative energy resolution sqrt((a / sqrt(E))^2 + b^2) (E in GeV).
template <class T>
HEPCAT_HD T energy_resolution(T e, T stochastic, T constant) {
  return std::sqrt(stochastic * stochastic / e + constant * constant);
}

/// A standard normal from two uniforms in (0, 1] (Box-Muller, first of the pair).
template <class T>
HEPCAT_HD T box_muller(T u1, T u2) {
  return std::sqrt(T(-2) * std::log(u1)) * std::cos(T(6.283185307179586) * u2);
}

/// Inverse CDF of a power law p(x) ~ x^-n on [x_min, inf), n > 1, at u in (0, 1].
template <class T>
HEPCAT_HD T power_law(T x_min, T n, T u) {
  return x_min * std::pow(u, T(-1) / (n - T(1)));
}

}  // namespace hepcat::math
