// CPU twin of kernels/binning.cu: OpenMP loops over the soft-binning math. Templated on the
// scalar type so the tests run the same loops in double for finite-difference checks; the engine
// uses float.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hepcat/math/soft_binning.hpp"

namespace hepcat::cpu {

template <class T>
using SoftBinningEvents = math::SoftBinningEvents<T>;

/// Pass 1: sums[2 * n_groups * K] of membership * w and membership * w^2 per group and bin.
template <class T>
void soft_bin_sums(const math::SoftModel<T>& m, const SoftBinningEvents<T>& ev, int n_groups,
                   double* sums);

/// Pass 2: grad[m.gradient_size()] = sum over events of (dgamma/dvalues)^T dL/dgamma, where
/// dL/dgamma_k = w d_sums[group, 0, k] + w^2 d_sums[group, 1, k].
template <class T>
void soft_bin_gradient(const math::SoftModel<T>& m, const SoftBinningEvents<T>& ev, int n_groups,
                       const double* d_sums, double* grad);

/// out[i * K + k] = soft membership of event i in category k.
template <class T>
void soft_memberships(const math::SoftModel<T>& m, const SoftBinningEvents<T>& ev, T* out);

/// Hard assignment: out[2 * n_processes * K], sum of w (then w^2) per (process, category) at
/// index process * K + k.
template <class T>
void hard_bin_sums(const math::SoftModel<T>& m, const SoftBinningEvents<T>& ev, int n_processes,
                   double* out);

}  // namespace hepcat::cpu
