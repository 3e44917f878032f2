// A whole binning job as `hepcat bin` runs it: split a table into train and test samples, train a
// soft-binning model on the train sample, and evaluate the learned hard categories and a
// conventional baseline with the same number of bins on both samples.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/binning.hpp"
#include "hepcat/communicator.hpp"
#include "hepcat/context.hpp"
#include "hepcat/event_table.hpp"
#include "hepcat/ops.hpp"

namespace hepcat {

struct HEPCAT_API BinningJobConfig {
  std::vector<std::string> features;  ///< one (1D discriminant) or several (scores, observables)
  std::string weight = "weight";      ///< empty: unit weights
  std::string process = "process";
  std::vector<int> signals{0};
  std::string model = "gmm";  ///< "gmm" or "sigmoid"
  int bins = 5;               ///< GMM components, or bins per variable for the sigmoid model
  /// GMM means: "simplex" (features are class scores: non-negative, summing to at most 1),
  /// "box" (the features' training range), or "auto" (simplex when there are at least two
  /// features and every training event lies in the simplex, box otherwise).
  std::string means = "auto";
  double sigma_base = 0.1;  ///< in units of the widest feature range
  BinningObjectiveSettings objective;
  BinningTrainingConfig training;
  /// The last `test_fraction` of the rows (file order) form the test sample.
  double test_fraction = 0.5;
};

/// Yields and significances of one binning on one sample.
struct HEPCAT_API SampleReport {
  BinSums yields;  ///< per process and bin: sum of weights and of squared weights
  BinningEvaluation significance;
};

struct HEPCAT_API BinningJobResult {
  BinningModel model = BinningModel::sigmoid({1}, {0.0}, {1.0});
  std::vector<double> parameters;  ///< raw, final
  std::vector<std::string> features;
  SampleReport train, test;
  std::string baseline_name;
  std::vector<std::vector<double>> baseline_edges;  ///< per baseline region: bin edges
  SampleReport baseline_train, baseline_test;
  std::vector<EpochRecord> history;
  std::size_t n_train = 0, n_test = 0;
  double seconds = 0;  ///< training and evaluation, without reading the input
  std::string device;
};

/// Runs the job. Throws Error for an empty sample, unknown columns, or bad settings. Under an
/// MPI world (hepcat::world()) every rank passes the whole table and works on its shards.
HEPCAT_API BinningJobResult
run_binning_job(Context& ctx, const EventTable& table, const BinningJobConfig& config,
                const std::function<void(const EpochRecord&)>& progress = {});

/// The rows of a `rows`-row table that this rank of hepcat::world() works on: its shards of the
/// train sample (the first rows) and of the test sample (the last `test_fraction` of the rows),
/// in whole reduction chunks of each sample. Throws Error for a fraction outside (0, 1), an empty
/// sample, or a sample with fewer chunks than there are ranks.
struct HEPCAT_API BinningJobShards {
  RowRange train, test;
};
HEPCAT_API BinningJobShards binning_job_shards(std::size_t rows, double test_fraction);

/// The job on this rank's rows only, `train` and `test` holding the rows binning_job_shards
/// names (with one process: the whole samples). Every sum over events is taken over all ranks in
/// the order one process uses, so every rank gets the result of one process, byte for byte.
HEPCAT_API BinningJobResult run_binning_job(
    Context& ctx, const EventTable& train, const EventTable& test, const BinningJobConfig& config,
    const std::function<void(const EpochRecord&)>& progress = {});

/// The baseline binning of `scores` (host columns, one per feature) with `n_bins` bins in all:
/// one feature: equidistant bins over [lo, hi]; several: the argmax class (the features, plus the
/// remainder 1 - sum as a last class when `remainder_class`), then equidistant bins of the
/// winning score over [1/classes, 1], the bins shared out as evenly as possible, the earlier
/// classes getting the extra ones. Returns per event its bin; `edges` receives each region's edges.
HEPCAT_API std::vector<int> baseline_bins(const std::vector<const float*>& scores, std::size_t n,
                                          int n_bins, double lo, double hi, bool remainder_class,
                                          std::vector<std::vector<double>>* edges);

/// The toy study of SCIENCE.md section 1: for each scenario, task and bin count, train a GMM
/// binning on the first half of a generated toy and compare its test-sample significance with the
/// baseline's. Tasks: "1D" (discriminant d, signal 1 against everything else, box means) and
/// "3-class" (scores s1, s2 in the simplex, signals 1 and 2 combined by the geometric mean).
struct HEPCAT_API GatoStudyConfig {
  std::int64_t events = 50000;  ///< per scenario, train and test together
  std::vector<int> scenarios{1, 2};
  std::vector<std::string> tasks{"1D", "3-class"};
  std::vector<int> bins{3, 5, 10};
  double test_fraction = 0.5;
  /// The combination is set per task; the default P_low (B_min 10, lambda 0.01) keeps bins
  /// from emptying their background on the train sample.
  BinningObjectiveSettings objective = [] {
    BinningObjectiveSettings s;
    s.background_min = 10.0;
    s.lambda_low = 0.01;
    return s;
  }();
  BinningTrainingConfig training;
};

struct HEPCAT_API GatoStudyRow {
  int scenario = 1;
  std::string task;
  int bins = 0;
  std::string baseline;
  double train_z = 0, test_z = 0;                    ///< optimised binning, combined Z
  double baseline_train_z = 0, baseline_test_z = 0;  ///< baseline, combined Z
  double seconds = 0;
};

/// Throws Error naming the size and the memory it needs when the study's events cannot fit in
/// the host memory available (run_gato_study checks this first).
HEPCAT_API void check_gato_study_memory(const GatoStudyConfig& config);

/// Runs the study; `on_row` is called after each row (for progress).
HEPCAT_API std::vector<GatoStudyRow> run_gato_study(
    Context& ctx, const GatoStudyConfig& config,
    const std::function<void(const GatoStudyRow&)>& on_row = {},
    const std::function<void(const EpochRecord&)>& progress = {});

/// The rows as a Markdown table.
HEPCAT_API std::string format_study_table(const std::vector<GatoStudyRow>& rows);

}  // namespace hepcat
