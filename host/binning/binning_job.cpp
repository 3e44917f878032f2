#include "hepcat/binning_job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "hepcat/buffer.hpp"
#include "hepcat/error.hpp"
#include "hepcat/event_set.hpp"
#include "hepcat/math/ops.hpp"
#include "hepcat/toy.hpp"
#include "host/engine/communicator_reduce.hpp"

namespace hepcat {

namespace {

// The rows [from, to) of the named columns.
EventTable slice(const EventTable& table, const std::vector<std::string>& names, std::size_t from,
                 std::size_t to) {
  EventTable out;
  for (const auto& name : names) {
    const std::vector<float>& c = table.column(name);
    out.add(name, std::vector<float>(c.begin() + from, c.begin() + to));
  }
  return out;
}

// Per process and bin sums of the weights of the binned events of this rank, over all ranks.
BinSums yields_of(const std::vector<int>& bin, const EventTable& sample, const std::string& weight,
                  const std::string& process, int n_processes, int n_bins) {
  BinSums y;
  y.n_bins = n_bins;
  y.n_processes = n_processes;
  const std::size_t cells = static_cast<std::size_t>(n_processes) * n_bins;
  const std::vector<float>* w = weight.empty() ? nullptr : &sample.column(weight);
  const std::vector<float>* p = process.empty() ? nullptr : &sample.column(process);
  std::vector<double> sums(2 * cells);
  cpu::reduce_events(bin.size(), 2 * cells, sums.data(), [&](std::size_t i, double* s) {
    const double wi = w ? (*w)[i] : 1.0;
    const std::size_t c = static_cast<std::size_t>(p ? (*p)[i] : 0.f) * n_bins + bin[i];
    s[c] += wi;
    s[cells + c] += wi * wi;
  });
  y.sum_w.assign(sums.begin(), sums.begin() + cells);
  y.sum_w2.assign(sums.begin() + cells, sums.end());
  return y;
}

}  // namespace

std::vector<int> baseline_bins(const std::vector<const float*>& scores, std::size_t n, int n_bins,
                               double lo, double hi, bool remainder_class,
                               std::vector<std::vector<double>>* edges) {
  std::vector<int> bin(n);
  if (scores.size() == 1 && !remainder_class) {
    const float inv = static_cast<float>(n_bins / (hi - lo));
    for (std::size_t i = 0; i < n; ++i)
      bin[i] = math::uniform_bin(scores[0][i], static_cast<float>(lo), inv, n_bins);
    if (edges) {
      edges->assign(1, {});
      for (int k = 0; k <= n_bins; ++k) (*edges)[0].push_back(lo + (hi - lo) * k / n_bins);
    }
    return bin;
  }
  const int classes = static_cast<int>(scores.size()) + (remainder_class ? 1 : 0);
  if (n_bins < classes)
    throw Error("argmax baseline: " + std::to_string(n_bins) + " bins cannot cover " +
                std::to_string(classes) + " classes");
  std::vector<int> per_class(classes, n_bins / classes), first(classes, 0);
  for (int c = 0; c < n_bins % classes; ++c) ++per_class[c];
  for (int c = 1; c < classes; ++c) first[c] = first[c - 1] + per_class[c - 1];
  // The winning score of `classes` scores summing to 1 is at least 1/classes.
  const double wlo = 1.0 / classes, whi = 1.0;
  for (std::size_t i = 0; i < n; ++i) {
    int best = 0;
    float top = scores[0][i], rest = 1.f - scores[0][i];
    for (std::size_t c = 1; c < scores.size(); ++c) {
      rest -= scores[c][i];
      if (scores[c][i] > top) {
        top = scores[c][i];
        best = static_cast<int>(c);
      }
    }
    if (remainder_class && rest > top) {
      top = rest;
      best = classes - 1;
    }
    const float inv = static_cast<float>(per_class[best] / (whi - wlo));
    bin[i] = first[best] + math::uniform_bin(top, static_cast<float>(wlo), inv, per_class[best]);
  }
  if (edges) {
    edges->assign(classes, {});
    for (int c = 0; c < classes; ++c)
      for (int k = 0; k <= per_class[c]; ++k)
        (*edges)[c].push_back(wlo + (whi - wlo) * k / per_class[c]);
  }
  return bin;
}

BinningJobShards binning_job_shards(std::size_t rows, double test_fraction) {
  if (!(test_fraction > 0 && test_fraction < 1))
    throw Error("bin: --test-fraction must lie in (0, 1), got " + std::to_string(test_fraction));
  const std::size_t n_test = static_cast<std::size_t>(std::llround(rows * test_fraction));
  const std::size_t n_train = rows - n_test;
  if (n_train == 0 || n_test == 0)
    throw Error("bin: " + std::to_string(rows) + " rows leave an empty train or test sample");
  const std::size_t chunks =
      (std::min(n_train, n_test) + cpu::kReductionChunk - 1) / cpu::kReductionChunk;
  if (chunks < static_cast<std::size_t>(world().size()))
    throw Error("bin: " + std::to_string(world().size()) + " ranks for a sample of " +
                std::to_string(std::min(n_train, n_test)) + " rows, fewer than one chunk of " +
                std::to_string(cpu::kReductionChunk) + " rows per rank");
  BinningJobShards s;
  s.train = detail::my_shard(n_train);
  s.test = detail::my_shard(n_test);
  s.test.begin += n_train;
  s.test.end += n_train;
  return s;
}

BinningJobResult run_binning_job(Context& ctx, const EventTable& table,
                                 const BinningJobConfig& config,
                                 const std::function<void(const EpochRecord&)>& progress) {
  std::vector<std::string> names = config.features;
  if (!config.weight.empty()) names.push_back(config.weight);
  if (!config.process.empty()) names.push_back(config.process);
  for (const auto& name : names) table.column(name);  // names an unknown column
  const BinningJobShards s = binning_job_shards(table.rows(), config.test_fraction);
  return run_binning_job(ctx, slice(table, names, s.train.begin, s.train.end),
                         slice(table, names, s.test.begin, s.test.end), config, progress);
}

BinningJobResult run_binning_job(Context& ctx, const EventTable& train, const EventTable& test,
                                 const BinningJobConfig& config,
                                 const std::function<void(const EpochRecord&)>& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const int d = static_cast<int>(config.features.size());
  if (d < 1) throw Error("bin: no features given");
  if (config.bins < 1) throw Error("bin: --bins must be at least 1");
  for (const auto* sample : {&train, &test}) {
    for (const auto& name : config.features) sample->column(name);  // names an unknown column
    if (!config.weight.empty()) sample->column(config.weight);
    if (!config.process.empty()) sample->column(config.process);
  }
  const std::size_t n_train = detail::rows_over_ranks(train.rows());
  const std::size_t n_test = detail::rows_over_ranks(test.rows());
  if (n_train == 0 || n_test == 0)
    throw Error("bin: " + std::to_string(n_train + n_test) +
                " rows leave an empty train or test sample");

  // Processes are counted on both samples of every rank so that they share the process ids.
  double largest_id = 0;
  if (!config.process.empty())
    for (const auto* sample : {&train, &test})
      for (float p : sample->column(config.process))
        largest_id = std::max(largest_id, static_cast<double>(p));
  world().max(&largest_id, 1);
  const int n_processes = static_cast<int>(largest_id) + 1;
  // Errors name rows of the whole table: this rank's shards start where binning_job_shards
  // puts them.
  EventColumns columns{config.features, config.weight, config.process, n_processes};
  columns.first_row = detail::my_shard(n_train).begin;
  const EventSet train_set(ctx, train, columns);
  columns.first_row = n_train + detail::my_shard(n_test).begin;
  const EventSet test_set(ctx, test, columns);

  // Feature ranges and whether the events lie in the simplex, from the train sample of every
  // rank (minima, maxima and "all" are exact in any order).
  std::vector<double> lo(d), hi(d);
  for (int a = 0; a < d; ++a) {
    const auto& c = train.column(config.features[a]);
    const auto [mn, mx] = std::minmax_element(c.begin(), c.end());
    lo[a] = *mn;
    hi[a] = *mx;
  }
  bool in_simplex = d >= 2;
  for (int a = 0; a < d; ++a) in_simplex = in_simplex && lo[a] >= 0.0;
  std::vector<const float*> train_features(d);
  for (int a = 0; a < d; ++a) train_features[a] = train.column(config.features[a]).data();
  if (in_simplex)
    for (std::size_t i = 0; i < train.rows() && in_simplex; ++i) {
      double s = 0;
      for (int a = 0; a < d; ++a) s += train_features[a][i];
      in_simplex = s <= 1.0 + 1e-4;
    }
  double simplex = in_simplex ? 1.0 : 0.0;
  world().min(lo.data(), lo.size());
  world().max(hi.data(), hi.size());
  world().min(&simplex, 1);
  in_simplex = simplex > 0;
  for (int a = 0; a < d; ++a) hi[a] = hi[a] > lo[a] ? hi[a] : lo[a] + 1.0;
  double widest = 0;
  for (int a = 0; a < d; ++a) widest = std::max(widest, hi[a] - lo[a]);

  BinningModel model = BinningModel::sigmoid({1}, {0.0}, {1.0});
  if (config.model == "gmm") {
    MeanParametrisation means;
    if (config.means == "simplex")
      means = MeanParametrisation::simplex;
    else if (config.means == "box")
      means = MeanParametrisation::box;
    else if (config.means == "auto")
      means = in_simplex ? MeanParametrisation::simplex : MeanParametrisation::box;
    else
      throw Error("bin: --means must be simplex, box or auto, got '" + config.means + "'");
    model = BinningModel::gmm(config.bins, d, means, lo, hi,
                              config.sigma_base * (means == MeanParametrisation::box ? widest : 1));
  } else if (config.model == "sigmoid") {
    model = BinningModel::sigmoid(std::vector<int>(d, config.bins), lo, hi);
  } else {
    throw Error("bin: --model must be gmm or sigmoid, got '" + config.model + "'");
  }
  BinningObjective objective{config.signals, config.objective};
  std::vector<int> feature_index(d);
  for (int a = 0; a < d; ++a) feature_index[a] = a;

  BinningTrainer trainer(ctx, train_set, feature_index, model, objective, config.training);
  trainer.run(progress);

  BinningJobResult r;
  r.model = model;
  r.features = config.features;
  const std::vector<float> p = trainer.parameters();
  r.parameters.assign(p.begin(), p.end());
  r.history = trainer.history();
  r.n_train = n_train;
  r.n_test = n_test;
  r.device = ctx.device_name();
  r.train.yields = trainer.binning().hard_yields(trainer.parameter_buffer());
  r.train.significance = evaluate_yields(r.train.yields, objective);
  SoftBinning test_binning(ctx, test_set, feature_index, model, objective);
  r.test.yields = test_binning.hard_yields(trainer.parameter_buffer());
  r.test.significance = evaluate_yields(r.test.yields, objective);

  // Baseline with the same total number of bins, on the same samples.
  const int n_bins = model.n_bins();
  const bool argmax = d >= 2;
  const bool remainder = argmax && in_simplex;
  r.baseline_name = argmax ? "argmax-equidistant" : "equidistant";
  for (const auto* sample : {&train, &test}) {
    std::vector<const float*> cols;
    for (int a = 0; a < d; ++a) cols.push_back(sample->column(config.features[a]).data());
    const std::vector<int> bins =
        baseline_bins(cols, sample->rows(), n_bins, lo[0], hi[0], remainder,
                      sample == &train ? &r.baseline_edges : nullptr);
    SampleReport& out = sample == &train ? r.baseline_train : r.baseline_test;
    out.yields = yields_of(bins, *sample, config.weight, config.process, n_processes, n_bins);
    out.significance = evaluate_yields(out.yields, objective);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

void check_gato_study_memory(const GatoStudyConfig& config) {
  // Per scenario: the toy table, the event set and the train/test copies of it.
  require_host_memory(
      "the toy study with " + std::to_string(config.events) + " events per scenario",
      3 * 9.0 * sizeof(float) * static_cast<double>(config.events));
}

std::vector<GatoStudyRow> run_gato_study(Context& ctx, const GatoStudyConfig& config,
                                         const std::function<void(const GatoStudyRow&)>& on_row,
                                         const std::function<void(const EpochRecord&)>& progress) {
  check_gato_study_memory(config);
  std::vector<GatoStudyRow> rows;
  for (int scenario : config.scenarios) {
    GatoToyConfig toy;
    toy.scenario = scenario;
    toy.events = config.events;
    toy.seed = config.training.seed;
    const EventTable table = generate_gato_toy(toy);
    for (const std::string& task : config.tasks) {
      for (int bins : config.bins) {
        BinningJobConfig job;
        job.bins = bins;
        job.model = "gmm";
        job.test_fraction = config.test_fraction;
        job.objective = config.objective;
        job.training = config.training;
        if (task == "1D") {
          job.features = {"d"};
          job.signals = {0};
        } else if (task == "3-class") {
          job.features = {"s1", "s2"};
          job.signals = {0, 1};
          job.objective.combination = SignalCombination::geometric_mean;
        } else {
          throw Error("gato study: unknown task '" + task + "' (1D or 3-class)");
        }
        const BinningJobResult r = run_binning_job(ctx, table, job, progress);
        GatoStudyRow row;
        row.scenario = scenario;
        row.task = task;
        row.bins = bins;
        row.baseline = r.baseline_name;
        row.train_z = r.train.significance.combined;
        row.test_z = r.test.significance.combined;
        row.baseline_train_z = r.baseline_train.significance.combined;
        row.baseline_test_z = r.baseline_test.significance.combined;
        row.seconds = r.seconds;
        rows.push_back(row);
        if (on_row) on_row(row);
      }
    }
  }
  return rows;
}

std::string format_study_table(const std::vector<GatoStudyRow>& rows) {
  std::string out =
      "| scenario | task | bins | baseline | Z baseline (test) | Z optimised (test) | gain | "
      "Z optimised (train) | seconds |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  char line[256];
  for (const GatoStudyRow& r : rows) {
    std::snprintf(line, sizeof line,
                  "| %d | %s | %d | %s | %.4f | %.4f | %+.1f %% | %.4f | %.1f |\n", r.scenario,
                  r.task.c_str(), r.bins, r.baseline.c_str(), r.baseline_test_z, r.test_z,
                  100.0 * (r.test_z / r.baseline_test_z - 1.0), r.train_z, r.seconds);
    out += line;
  }
  return out;
}

}  // namespace hepcat
