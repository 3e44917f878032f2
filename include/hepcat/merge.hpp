// Minimal-loss bin merging (MiLoMerge, SCIENCE.md section 2): LOC metrics, the exact greedy
// nonlocal and local mergers, and placement of events into merged bins.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/context.hpp"
#include "hepcat/event_set.hpp"

namespace hepcat {

/// One histogram per hypothesis over the same bins. counts[h * n_bins + b]; entries may be
/// negative (interference terms). An nD histogram is flattened in C order (last dimension
/// fastest); `edges`, when given, holds each dimension's sorted bin edges and the product of
/// (edges[d].size() - 1) must equal n_bins.
struct HEPCAT_API Histogram {
  int n_hyp = 0;
  int n_bins = 0;
  std::vector<double> counts;
  std::vector<std::vector<double>> edges;

  double at(int h, int b) const { return counts[static_cast<std::size_t>(h) * n_bins + b]; }
  /// Throws Error naming `what` and the problem: sizes, non-finite entries, unsorted edges.
  void validate(const std::string& what = "histogram") const;
};

/// A histogram file as hepcat merge reads it: JSON with "counts" (hypotheses x bins), and
/// optionally "edges" (one list, or one per dimension), "pair_weights" (n_hyp x n_hyp),
/// "target" and "metric".
struct HistogramFile {
  Histogram histogram;
  std::vector<double> pair_weights;  ///< row-major, empty when absent
  std::optional<int> target;
  std::string metric;  ///< empty when absent
};

/// Reads and validates a histogram file. Throws Error naming `path` for an unreadable file,
/// invalid JSON, a missing or mistyped field, ragged or non-finite counts, edges that do not
/// match, or a hypothesis without a non-zero entry.
HEPCAT_API HistogramFile read_histogram_json(const std::string& path);

enum class MergeMetric { determinant, loc_length };
HEPCAT_API const char* to_string(MergeMetric metric);
HEPCAT_API MergeMetric
parse_merge_metric(const std::string& text);  ///< throws Error for unknown names

struct HEPCAT_API MergeOptions {
  MergeMetric metric = MergeMetric::loc_length;
  /// n_hyp x n_hyp, row-major, as it enters the formula (upper triangle read); empty: all ones.
  std::vector<double> pair_weights;
  /// Only the pairs (0, h): separate hypothesis 0 from each other one.
  bool comp_to_first = false;
  /// Called now and then with (merges done, merges to do); may be empty.
  std::function<void(long, long)> progress;
};

/// The binning at one requested number of bins.
struct HEPCAT_API MergedBinning {
  int n_bins = 0;
  std::vector<int> map;                  ///< original bin -> merged bin
  std::vector<std::vector<int>> groups;  ///< per merged bin, its sorted original bins;
                                         ///< merged bins numbered by their first original bin
  std::vector<double> counts;            ///< n_hyp x n_bins, as Histogram::counts
  std::vector<double> edges;             ///< merge_local only: edges along the merged axis
  double loc_before = 0;                 ///< LOC of the input (see loc_length)
  double loc_after = 0;                  ///< LOC of this binning, the input's normalisation
};

/// The exact greedy nonlocal merger: while more than the target bins remain, merge the two bins
/// (any two) with the smallest score, ties going to the pair whose lower bin id is lowest, then
/// to the lowest higher id (a bin's id is its lowest original bin). Returns one binning per
/// entry of `targets` (in that order) from a single run. Each bin keeps its best partner; a
/// merge rescores only against the merged bin and lazily rescans the bins whose partner
/// vanished, so in practice O(N^2) score evaluations and O(N n_hyp) memory.
/// The loop runs on the context's backend (OpenMP on the CPU, CUDA kernels on a GPU); both give
/// the same sequence of merges.
HEPCAT_API std::vector<MergedBinning> merge_nonlocal(Context& ctx, const Histogram& hist,
                                                     const std::vector<int>& targets,
                                                     const MergeOptions& options = {});

/// The exact greedy local merger: only neighbours along `axis` merge, the histogram being first
/// summed over the other dimensions (a 1D histogram has axis 0). A heap of neighbour pairs gives
/// O(N log N); ties go to the leftmost pair. Runs on the host whatever the context (the work is
/// tiny); each binning also carries the new edges along the axis (bin indices when the
/// histogram has no edges).
HEPCAT_API std::vector<MergedBinning> merge_local(Context& ctx, const Histogram& hist,
                                                  const std::vector<int>& targets,
                                                  const MergeOptions& options = {}, int axis = 0);

/// The histogram summed over all dimensions but `axis`; edges keep only that axis.
HEPCAT_API Histogram project_histogram(const Histogram& hist, int axis);

/// Per-hypothesis sum of |counts|: the normalisation LOC lengths use.
HEPCAT_API std::vector<double> loc_normalisation(const Histogram& hist);

/// LOC length: the sum over bins of the Euclidean norm of the bin's hypothesis vector, each
/// hypothesis divided by its entry of `normalisation` (empty: loc_normalisation(hist), so that
/// sum |h| = 1). sqrt(n_hyp) means no separation (all hypotheses alike), n_hyp full separation.
/// Compare a merged histogram with its original under the original's normalisation: merging
/// entries of opposite sign lowers sum |h|, and only a fixed normalisation makes LOC
/// non-increasing under merging.
HEPCAT_API double loc_length(const Histogram& hist, const std::vector<double>& normalisation = {});

struct HEPCAT_API LocSummary {
  double before = 0;      ///< LOC of the original binning
  double after = 0;       ///< LOC after merging
  double retained = 0;    ///< after / before
  double separation = 0;  ///< (after - sqrt(n)) / (before - sqrt(n)): share of the separation kept
};
HEPCAT_API LocSummary loc_summary(double before, double after, int n_hyp);

/// ROC curve of two hypotheses from binned counts: bins sorted by decreasing ratio
/// signal/background, accumulated as fractions of each total. Points start at (0, 0) and end at
/// (1, 1); auc is the trapezoid area. Defined for non-negative counts (throws Error otherwise).
struct HEPCAT_API RocCurve {
  std::vector<double> background_efficiency;  ///< false positive rate
  std::vector<double> signal_efficiency;      ///< true positive rate
  double auc = 0;
};
HEPCAT_API RocCurve roc_curve(const Histogram& hist, int signal = 1, int background = 0);

/// For each event, its bin in the original histogram (per-dimension edges, C order) mapped
/// through `map` (empty map: the original bin). features[d] is the EventSet feature index read
/// for dimension d. Values outside a dimension's edges are clamped into its first or last bin,
/// as weighted_bin_sums does, so every event gets a bin. Runs on the context's backend.
HEPCAT_API std::vector<std::int32_t> place_events(Context& ctx, const std::vector<int>& map,
                                                  const std::vector<std::vector<double>>& edges,
                                                  const EventSet& events,
                                                  const std::vector<int>& features);

/// The fine histogram of the events: one hypothesis per process id, weights summed in double,
/// bins as place_events with an identity map.
HEPCAT_API Histogram fill_histogram(Context& ctx, const EventSet& events,
                                    const std::vector<int>& features,
                                    const std::vector<std::vector<double>>& edges);

}  // namespace hepcat
