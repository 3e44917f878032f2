// A program outside the hepcat tree: histogram a few events through the installed library.
#include <hepcat/hepcat.hpp>

#include <cstdio>

int main() {
  hepcat::Context ctx("cpu");
  hepcat::EventSet events(ctx, {"x"}, {{0.1f, 0.6f, 0.7f}}, {1.f, 2.f, -0.5f}, {});
  const hepcat::BinSums sums = hepcat::weighted_bin_sums(ctx, events, 0, 2, 0.f, 1.f);
  std::printf("%g %g\n", sums.sum_w[0], sums.sum_w[1]);
  return sums.sum_w[0] == 1.0 && sums.sum_w[1] == 1.5 ? 0 : 1;
}
