#include "host/binning/binning_cpu.hpp"

#include "hepcat/math/significance.hpp"
#include "host/engine/reduce.hpp"

namespace hepcat::cpu {
namespace {

template <class T>
void gather(const SoftBinningEvents<T>& ev, int dim, std::size_t i, T* x) {
  for (int j = 0; j < dim; ++j) x[j] = ev.cols[j][i];
}

}  // namespace

template <class T>
void soft_bin_sums(const math::SoftModel<T>& m, const SoftBinningEvents<T>& ev, int n_groups,
                   double* sums) {
  const int nb = m.n_bins;
  math::with_model_dim(m, [&](auto dim_constant) {
    constexpr int kDim = decltype(dim_constant)::value;
    reduce_events(ev.n, 2 * static_cast<std::size_t>(n_groups) * nb, sums,
                  [&](std::size_t i, double* local) {
                    T x[math::kMaxGmmDim], gamma[math::kMaxSoftBins], work[math::kSoftBinningWork];
                    gather(ev, math::model_dim<kDim>(m), i, x);
                    math::soft_memberships<kDim>(m, x, gamma, work);
                    const int g = ev.group[ev.process[i]];
                    const T w = ev.weights[i];
                    double* s = local + math::bin_sum_index(g, 0, 0, nb);
                    double* v = local + math::bin_sum_index(g, 1, 0, nb);
                    for (int k = 0; k < nb; ++k) {
                      s[k] += gamma[k] * w;
                      v[k] += gamma[k] * w * w;
                    }
                  });
  });
}

template <class T>
void soft_bin_gradient(const math::SoftModel<T>& m, const SoftBinningEvents<T>& ev, int n_groups,
                       const double* d_sums, double* grad) {
  const int nb = m.n_bins;
  const int width = m.gradient_size();
  const std::vector<T> ds(d_sums, d_sums + 2 * n_groups * nb);
  math::with_model_dim(m, [&](auto dim_constant) {
    constexpr int kDim = decltype(dim_constant)::value;
    reduce_events(ev.n, width, grad, [&](std::size_t i, double* local) {
      T x[math::kMaxGmmDim], gamma[math::kMaxSoftBins], g[math::kMaxSoftBins],
          work[math::kSoftBinningWork];
      gather(ev, math::model_dim<kDim>(m), i, x);
      math::soft_memberships<kDim>(m, x, gamma, work);
      const int grp = ev.group[ev.process[i]];
      const T w = ev.weights[i];
      const T* dsw = ds.data() + math::bin_sum_index(grp, 0, 0, nb);
      const T* dsv = ds.data() + math::bin_sum_index(grp, 1, 0, nb);
      for (int k = 0; k < nb; ++k) g[k] = w * dsw[k] + w * w * dsv[k];
      math::soft_memberships_backward<kDim>(m, x, gamma, g, work, local);
    });
  });
}

template <class T>
void soft_memberships(const math::SoftModel<T>& m, const SoftBinningEvents<T>& ev, T* out) {
  for_each_index(ev.n, [&](std::size_t i) {
    T x[math::kMaxGmmDim], work[math::kSoftBinningWork];
    gather(ev, m.dim, i, x);
    math::soft_memberships(m, x, out + i * m.n_bins, work);
  });
}

template <class T>
void hard_bin_sums(const math::SoftModel<T>& m, const SoftBinningEvents<T>& ev, int n_processes,
                   double* out) {
  const std::size_t cells = static_cast<std::size_t>(n_processes) * m.n_bins;
  reduce_events(ev.n, 2 * cells, out, [&](std::size_t i, double* local) {
    T x[math::kMaxGmmDim];
    gather(ev, m.dim, i, x);
    const std::size_t c =
        static_cast<std::size_t>(ev.process[i]) * m.n_bins + math::hard_category(m, x);
    const double w = ev.weights[i];
    local[c] += w;
    local[cells + c] += w * w;
  });
}

// T is a template argument here, where parentheses are not allowed.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define HEPCAT_INSTANTIATE(T)                                                                     \
  template void soft_bin_sums<T>(const math::SoftModel<T>&, const SoftBinningEvents<T>&, int,     \
                                 double*);                                                        \
  template void soft_bin_gradient<T>(const math::SoftModel<T>&, const SoftBinningEvents<T>&, int, \
                                     const double*, double*);                                     \
  template void soft_memberships<T>(const math::SoftModel<T>&, const SoftBinningEvents<T>&, T*);  \
  template void hard_bin_sums<T>(const math::SoftModel<T>&, const SoftBinningEvents<T>&, int,     \
                                 double*);
// NOLINTEND(bugprone-macro-parentheses)
HEPCAT_INSTANTIATE(float)
HEPCAT_INSTANTIATE(double)
#undef HEPCAT_INSTANTIATE

}  // namespace hepcat::cpu
