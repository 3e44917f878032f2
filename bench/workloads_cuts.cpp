// One training epoch of the cut scan (CABIN): the fused pass over all events for every target,
// the objective on the host and an SGD step. 10 features and 13 targets as in the paper's scan.
#include <memory>
#include <random>

#include "bench/bench.hpp"
#include "hepcat/cuts.hpp"
#include "hepcat/optim.hpp"

namespace hepcat::bench {

Workload cut_scan_workload() {
  constexpr int kFeatures = 10;
  // Reads every feature, the weight (float) and the label (byte) of each event once per epoch.
  return {"cut_scan_epoch", "events", kFeatures * 4.0 + 4.0 + 1.0, [](Context& ctx, std::size_t n) {
            std::mt19937 rng(2);
            std::normal_distribution<float> g(0.f, 1.f);
            CutSample s;
            s.features.assign(kFeatures, std::vector<float>(n));
            s.signal.resize(n);
            for (std::size_t i = 0; i < n; ++i) {
              s.signal[i] = static_cast<std::uint8_t>(i % 2);
              for (int k = 0; k < kFeatures; ++k)
                s.features[k][i] = g(rng) + (s.signal[i] ? (k % 2 ? 0.5f : -0.5f) : 0.f);
            }
            CutScanConfig cfg;
            cfg.targets = {0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.93, 0.95};
            auto scan = std::make_shared<CutScan>(ctx, cfg, s);
            auto opt = std::make_shared<Optimizer>(ctx, OptimizerConfig::parse("sgd"),
                                                   scan->layout().size());
            return std::function<void()>([scan, opt] { scan->step(*opt, 0.5); });
          }};
}

}  // namespace hepcat::bench
