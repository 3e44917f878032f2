// CPU twin of kernels/splitfit.cu: the pass/fail histograms of Split-N-Fit and their backward
// pass to the per-event scores.
#pragma once

#include <cstddef>

namespace hepcat::cpu {

/// out[0, nb): sum p_i w_i per bin (pass); out[nb, 2nb): sum (1 - p_i) w_i (fail);
/// out[2nb]: sum over all events of (1 - p_i). p_i = sigmoid(score_i); w null means 1.
void soft_split_histograms(const float* x, const float* w, const float* score, std::size_t n,
                           int n_bins, double lo, double hi, double* out);

/// grad[i] = dL/ds_i from dL/dh (pass, fail) and dL/dq / n.
void soft_split_backward(const float* x, const float* w, const float* score, std::size_t n,
                         int n_bins, double lo, double hi, const double* dpass, const double* dfail,
                         double dq_per_event, float* grad);

}  // namespace hepcat::cpu
