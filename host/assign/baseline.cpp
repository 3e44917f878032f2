// The mass-asymmetry baseline: the per-event math over all events, on the context's backend.
#include <cstdint>

#include "hepcat/assign_baseline.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/assign_baseline.hpp"

#ifdef HEPCAT_HAVE_CUDA
#include "kernels/assign_baseline.hpp"
#endif

namespace hepcat {

BaselineResult mass_asymmetry_baseline(const Context& ctx, const JetSet& jets,
                                       const BaselineOptions& options) {
  constexpr auto kMax = static_cast<std::size_t>(math::kBaselineMaxJets);
  const std::size_t leading = options.leading == 0 ? jets.max_jets() : options.leading;
  if (options.leading > kMax)
    throw Error("the baseline considers at most " + std::to_string(kMax) + " jets, asked for " +
                std::to_string(options.leading));
  if (leading > kMax && options.leading == 0)
    throw Error("the baseline considers at most " + std::to_string(kMax) +
                " jets; the events have " + std::to_string(jets.max_jets()) +
                " slots: choose the leading " + std::to_string(kMax) + " or fewer");
  if (jets.backend() != ctx.backend())
    throw Error("the jets live on another backend than the context");
  const std::size_t n = jets.size(), J = jets.max_jets();
  const int lead = static_cast<int>(leading), slots = static_cast<int>(J);
  BaselineResult r;
  r.n_events = n;
  r.max_jets = J;
  r.triplets.resize(6 * n);
  r.m1.resize(n);
  r.m2.resize(n);
  r.asymmetry.resize(n);
#ifdef HEPCAT_HAVE_CUDA
  if (ctx.is_cuda()) {
    Buffer<std::int8_t> triplets(ctx, 6 * n);
    Buffer<float> m1(ctx, n), m2(ctx, n), asym(ctx, n);
    cuda::launch_mass_asymmetry_split(jets.pt(), jets.eta(), jets.phi(), jets.e(), jets.mask(), n,
                                      slots, lead, triplets.data(), m1.data(), m2.data(),
                                      asym.data(), static_cast<cudaStream_t>(ctx.stream()));
    r.triplets = triplets.to_host(ctx);
    r.m1 = m1.to_host(ctx);
    r.m2 = m2.to_host(ctx);
    r.asymmetry = asym.to_host(ctx);
  }
#endif
  if (!ctx.is_cuda()) {
#pragma omp parallel for schedule(dynamic, 256)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) {
      const std::size_t s = static_cast<std::size_t>(i) * J;
      math::mass_asymmetry_split<double>(
          jets.pt() + s, jets.eta() + s, jets.phi() + s, jets.e() + s, jets.mask() + s, slots, lead,
          r.triplets.data() + 6 * i, &r.m1[i], &r.m2[i], &r.asymmetry[i]);
    }
  }
  r.m_avg.resize(n);
  r.category.assign(n * J, -1);
  for (std::size_t i = 0; i < n; ++i) {
    r.m_avg[i] = 0.5f * (r.m1[i] + r.m2[i]);
    for (int k = 0; k < 6; ++k)
      if (r.triplets[6 * i + k] >= 0) r.category[i * J + r.triplets[6 * i + k]] = k < 3 ? 0 : 1;
  }
  return r;
}

}  // namespace hepcat
