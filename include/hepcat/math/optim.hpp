// Per-element optimiser updates (SGD, Adam/AdamW, RMSprop) and scalar annealing curves, shared by
// the CUDA kernel, the CPU loop and the tests (which run them in double).
//
// The updates follow torch.optim (PyTorch 1.13) operation by operation, so a model trained here
// and one trained with torch see the same parameter trajectory up to float rounding:
//
//   SGD      d = g + wd p;  with momentum mu: b = d on the first step, else
//            b = mu b + (1 - dampening) d;  d = nesterov ? d + mu b : b;  p -= lr d.
//   Adam     g += wd p (L2, coupled), or AdamW: p *= 1 - lr wd (decoupled, before the moments);
//            m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  (amsgrad: vmax = max(vmax, v))
//            p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
//            eps is added to the bias-corrected sqrt(v), outside the square root. Both bias
//            corrections use the step count t starting at 1; they are per-step scalars that the
//            host computes once in double (StepScalars::step_size and ::bias2_sqrt).
//   RMSprop  g += wd p;  s = alpha s + (1 - alpha) g^2 (alpha, torch's name for the decay rate,
//            defaults to 0.99);  centered: a = alpha a + (1 - alpha) g, den = sqrt(s - a^2) + eps,
//            else den = sqrt(s) + eps (eps outside the square root);  with momentum mu:
//            b = mu b + g / den, p -= lr b;  else p -= lr g / den.  s, a and b start at zero.
//
// TensorFlow/Keras RMSprop, which the published GATO code used, differs: its decay rate is called
// rho and defaults to 0.9 (not 0.99), eps defaults to 1e-7 and sits inside the square root,
// den = sqrt(s + eps), and with momentum the learning rate goes into the buffer (b = mu b + lr g /
// den, p -= b), so a changing learning rate acts differently. Keras Adam also adds its eps (1e-7)
// to sqrt(v) before bias correction. To reproduce a Keras run, set alpha = rho and expect small
// differences from eps; the optimisers here do not emulate Keras.
//
// `maximize` negates the gradient first, as torch's option of that name does. The one deliberate
// departure from torch: the centered RMSprop variance s - a^2 is clamped at zero, where rounding
// could otherwise make the square root NaN (torch would return NaN there).
#pragma once

#include <cmath>
#include <cstddef>

#include "hepcat/math/hd.hpp"

namespace hepcat::math {

enum class UpdateRule : int { sgd = 0, adam = 1, rmsprop = 2 };

/// Everything one optimiser step needs besides the per-element values. Built once per step on the
/// host (in double, then converted to T) and passed by value to the kernel or the CPU loop.
template <class T>
struct StepScalars {
  UpdateRule rule = UpdateRule::sgd;
  bool maximize = false;
  T lr = 0;
  T weight_decay = 0;
  T momentum = 0;   ///< SGD and RMSprop
  T dampening = 0;  ///< SGD
  bool nesterov = false;
  bool first_step = false;  ///< SGD: the momentum buffer is set to the first gradient
  T beta1 = 0, beta2 = 0;   ///< Adam
  T eps = 0;                ///< Adam and RMSprop
  T step_size = 0;          ///< Adam: lr / (1 - beta1^t)
  T bias2_sqrt = 1;         ///< Adam: sqrt(1 - beta2^t)
  T decay_factor = 1;       ///< AdamW: 1 - lr * weight_decay
  bool decoupled = false;   ///< AdamW
  T alpha = 0;              ///< RMSprop
};

/// SGD update of one parameter; `buf` is the momentum buffer, null without momentum.
template <class T>
HEPCAT_HD T sgd_update(const StepScalars<T>& s, T p, T g, T* buf) {
  if (s.maximize) g = -g;
  T d = s.weight_decay != T(0) ? g + s.weight_decay * p : g;
  if (buf) {
    const T b = s.first_step ? d : s.momentum * *buf + (T(1) - s.dampening) * d;
    *buf = b;
    d = s.nesterov ? d + s.momentum * b : b;
  }
  return p - s.lr * d;
}

/// Adam/AdamW update of one parameter; `vmax` is the amsgrad running maximum, null without it.
template <class T>
HEPCAT_HD T adam_update(const StepScalars<T>& s, T p, T g, T& m, T& v, T* vmax) {
  if (s.maximize) g = -g;
  if (s.decoupled)
    p *= s.decay_factor;
  else if (s.weight_decay != T(0))
    g += s.weight_decay * p;
  m = s.beta1 * m + (T(1) - s.beta1) * g;
  v = s.beta2 * v + (T(1) - s.beta2) * g * g;
  T v_used = v;
  if (vmax) {
    *vmax = *vmax > v ? *vmax : v;
    v_used = *vmax;
  }
  const T denom = std::sqrt(v_used) / s.bias2_sqrt + s.eps;
  return p - s.step_size * (m / denom);
}

/// RMSprop update of one parameter; `buf` (momentum) and `grad_avg` (centered) may be null.
template <class T>
HEPCAT_HD T rmsprop_update(const StepScalars<T>& s, T p, T g, T& square_avg, T* buf, T* grad_avg) {
  if (s.maximize) g = -g;
  if (s.weight_decay != T(0)) g += s.weight_decay * p;
  square_avg = s.alpha * square_avg + (T(1) - s.alpha) * g * g;
  T variance = square_avg;
  if (grad_avg) {
    *grad_avg = s.alpha * *grad_avg + (T(1) - s.alpha) * g;
    variance -= *grad_avg * *grad_avg;
    if (variance < T(0)) variance = T(0);
  }
  const T denom = std::sqrt(variance) + s.eps;
  if (buf) {
    *buf = s.momentum * *buf + g / denom;
    return p - s.lr * *buf;
  }
  return p - s.lr * (g / denom);
}

/// Updates parameter i in place. State slots by rule (a slot is null when its option is off):
///   sgd:     slot0 momentum buffer
///   adam:    slot0 first moment, slot1 second moment, slot2 amsgrad maximum
///   rmsprop: slot0 square average, slot1 momentum buffer, slot2 gradient average (centered)
template <class T>
HEPCAT_HD void optimizer_update(const StepScalars<T>& s, std::size_t i, T* params, const T* grads,
                                T* slot0, T* slot1, T* slot2) {
  T* const a = slot0 ? slot0 + i : nullptr;
  T* const b = slot1 ? slot1 + i : nullptr;
  T* const c = slot2 ? slot2 + i : nullptr;
  switch (s.rule) {
    case UpdateRule::sgd:
      params[i] = sgd_update(s, params[i], grads[i], a);
      break;
    case UpdateRule::adam:
      params[i] = adam_update(s, params[i], grads[i], *a, *b, c);
      break;
    case UpdateRule::rmsprop:
      params[i] = rmsprop_update(s, params[i], grads[i], *a, b, c);
      break;
  }
}

/// Annealing curves from `start` (progress 0) to `end` (progress 1); progress = min(t, T) / T.
template <class T>
HEPCAT_HD T anneal_linear(T start, T end, T progress) {
  return start + (end - start) * progress;
}

template <class T>
HEPCAT_HD T anneal_cosine(T start, T end, T progress) {
  const T pi = T(3.14159265358979323846);
  return end + (start - end) * (T(1) + std::cos(pi * progress)) / T(2);
}

/// Geometric interpolation; start and end must be positive.
template <class T>
HEPCAT_HD T anneal_exponential(T start, T end, T progress) {
  return start * std::pow(end / start, progress);
}

}  // namespace hepcat::math
