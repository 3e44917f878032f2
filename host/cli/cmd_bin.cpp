// hepcat bin: differentiable binning (GATO). With --input it optimises the categories of one
// table; without it runs the toy study of SCIENCE.md section 1 and prints its table.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hepcat/binning_job.hpp"
#include "hepcat/communicator.hpp"
#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "host/cli/checkpoint_options.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/progress.hpp"

namespace hepcat::cli {

namespace {

struct BinOptions {
  CommonOptions common;
  std::string input;
  std::vector<std::string> features{"s1", "s2"};
  std::string weight = "weight";
  std::string process = "process";
  std::vector<int> signals{0, 1};
  std::string model = "gmm";
  int bins = 5;
  std::string means = "auto";
  double sigma_base = 0.1;
  int epochs = 100;
  std::string optimizer = "adam";
  std::string lr = "cosine:0.1:0.001";
  std::string temperature = "cosine:1.0:0.05";
  std::string steepness = "cosine:50:10000";
  std::string combination = "geometric";
  double b_min = 10.0;
  double lambda_low = 0.01;
  double max_rel_unc = 0.2;
  double lambda_unc = 0.0;
  double test_fraction = 0.5;
  int patience = 0;
  std::int64_t study_events = 50000;
  std::string out;
  CheckpointOptions checkpoints;
};

std::vector<int> check_ids(const std::vector<int>& ids) {
  for (int v : ids)
    if (v < 0)
      throw Error("--signals: " + std::to_string(v) + " is not a process id (ids are >= 0)");
  if (ids.empty()) throw Error("--signals: at least one signal process id is needed");
  return ids;
}

BinningTrainingConfig training_config(const BinOptions& o) {
  if (o.epochs < 1) throw Error("--epochs must be at least 1, got " + std::to_string(o.epochs));
  BinningTrainingConfig t;
  t.epochs = o.epochs;
  t.optimizer = OptimizerConfig::parse(o.optimizer);
  const long steps = o.epochs > 1 ? o.epochs - 1 : 1;
  t.lr = Schedule::parse(o.lr, steps);
  t.temperature = Schedule::parse(o.temperature, steps);
  t.steepness = Schedule::parse(o.steepness, steps);
  t.patience = o.patience;
  t.seed = o.common.seed;
  return t;
}

// Everything the trained binning depends on; a resume must match it exactly.
std::vector<std::pair<std::string, std::string>> run_settings(const BinOptions& o) {
  return {{"input", input_setting(o.input)},
          {"--features", setting_text(o.features)},
          {"--weight", o.weight},
          {"--process", o.process},
          {"--signals", setting_text(o.signals)},
          {"--model", o.model},
          {"--bins", std::to_string(o.bins)},
          {"--means", o.means},
          {"--sigma-base", setting_text(o.sigma_base)},
          {"--epochs", std::to_string(o.epochs)},
          {"--optimizer", o.optimizer},
          {"--lr", o.lr},
          {"--temperature", o.temperature},
          {"--steepness", o.steepness},
          {"--combination", o.combination},
          {"penalties",
           setting_text(std::vector<double>{o.b_min, o.lambda_low, o.max_rel_unc, o.lambda_unc})},
          {"--test-fraction", setting_text(o.test_fraction)},
          {"--patience", std::to_string(o.patience)},
          {"--seed", std::to_string(o.common.seed)}};
}

BinningObjectiveSettings objective_settings(const BinOptions& o) {
  BinningObjectiveSettings s;
  s.combination = parse_signal_combination(o.combination);
  s.background_min = o.b_min;
  s.lambda_low = o.lambda_low;
  s.max_rel_unc = o.max_rel_unc;
  s.lambda_unc = o.lambda_unc;
  return s;
}

// The progress line (terminals only): epoch, loss and Z, one line per training run.
std::function<void(const EpochRecord&)> progress_printer(int epochs) {
  if (!stderr_is_terminal()) return {};
  auto line = std::make_shared<std::unique_ptr<Progress>>();
  return [=](const EpochRecord& r) {
    // A resumed run starts at a later epoch.
    if (!*line || r.epoch == 0) *line = std::make_unique<Progress>("epoch", epochs, false, r.epoch);
    char measure[64];
    std::snprintf(measure, sizeof measure, "loss %.5g  Z %.4f", r.loss, r.combined);
    (*line)->update(r.epoch + 1, measure);
    if (r.epoch + 1 == epochs) line->reset();
  };
}

nlohmann::json significance_json(const BinningEvaluation& e) {
  return {{"combined", e.combined}, {"per_signal", e.per_signal}};
}

nlohmann::json sample_json(const SampleReport& s, const std::vector<int>& signals) {
  nlohmann::json bins = nlohmann::json::array();
  const int nb = s.yields.n_bins;
  for (int k = 0; k < nb; ++k) {
    std::vector<double> w(s.yields.n_processes), w2(s.yields.n_processes);
    double b = 0, b_var = 0;
    for (int p = 0; p < s.yields.n_processes; ++p) {
      w[p] = s.yields.sum_w[p * nb + k];
      w2[p] = s.yields.sum_w2[p * nb + k];
      bool is_signal = false;
      for (int sig : signals) is_signal = is_signal || sig == p;
      if (!is_signal) {
        b += w[p];
        b_var += w2[p];
      }
    }
    bins.push_back({{"bin", k},
                    {"per_process", w},
                    {"per_process_sumw2", w2},
                    {"background", b},
                    {"background_uncertainty", std::sqrt(b_var)}});
  }
  return {{"yields", bins}, {"significance", significance_json(s.significance)}};
}

nlohmann::json result_json(const BinningJobResult& r, const BinOptions& o,
                           const std::vector<int>& signals) {
  nlohmann::json params;
  if (r.model.is_gmm()) {
    nlohmann::json comps = nlohmann::json::array();
    for (const auto& c : r.model.components(r.parameters))
      comps.push_back({{"mean", c.mean}, {"covariance", c.covariance}, {"weight", c.weight}});
    params = {{"components", comps},
              {"means",
               r.model.mean_parametrisation() == MeanParametrisation::simplex ? "simplex" : "box"}};
  } else {
    params = {{"boundaries", r.model.boundaries(r.parameters)}};
  }
  params["raw"] = r.parameters;
  nlohmann::json history = nlohmann::json::array();
  for (const EpochRecord& e : r.history)
    history.push_back({{"epoch", e.epoch},
                       {"loss", e.loss},
                       {"z", e.combined},
                       {"z_per_signal", e.per_signal},
                       {"lr", e.lr},
                       {r.model.is_gmm() ? "temperature" : "steepness", e.temperature}});
  return {{"model", r.model.name()},
          {"bins", r.model.n_bins()},
          {"features", r.features},
          {"signals", signals},
          {"input", o.input},
          {"weight", o.weight},
          {"process", o.process},
          {"test_fraction", o.test_fraction},
          {"n_train", r.n_train},
          {"n_test", r.n_test},
          {"parameters", params},
          {"train", sample_json(r.train, signals)},
          {"test", sample_json(r.test, signals)},
          {"baseline",
           {{"name", r.baseline_name},
            {"edges", r.baseline_edges},
            {"train", sample_json(r.baseline_train, signals)},
            {"test", sample_json(r.baseline_test, signals)}}},
          {"history", history},
          {"seconds", r.seconds},
          {"device", r.device}};
}

void run_study(const BinOptions& o, Context& ctx) {
  GatoStudyConfig c;
  c.events = o.study_events;
  c.objective = objective_settings(o);
  c.training = training_config(o);
  c.test_fraction = o.test_fraction;
  check_gato_study_memory(c);
  std::cout << "GATO toy study: " << c.events << " events per scenario, " << o.epochs
            << " epochs, GMM, test fraction " << o.test_fraction << ", device " << ctx.device_name()
            << "\n";
  const std::vector<GatoStudyRow> rows = run_gato_study(
      ctx, c,
      [](const GatoStudyRow& r) {
        if (stderr_is_terminal())
          std::fprintf(stderr, "scenario %d %s %d bins: Z test %.4f (baseline %.4f)\n", r.scenario,
                       r.task.c_str(), r.bins, r.test_z, r.baseline_test_z);
      },
      progress_printer(o.epochs));
  std::cout << format_study_table(rows);
  if (!o.out.empty()) {
    nlohmann::json j = nlohmann::json::array();
    for (const GatoStudyRow& r : rows)
      j.push_back({{"scenario", r.scenario},
                   {"task", r.task},
                   {"bins", r.bins},
                   {"baseline", r.baseline},
                   {"z_test", r.test_z},
                   {"z_train", r.train_z},
                   {"baseline_z_test", r.baseline_test_z},
                   {"baseline_z_train", r.baseline_train_z},
                   {"seconds", r.seconds}});
    if (output_rank())
      write_text_atomic(o.out, nlohmann::json{{"study", "gato toy"},
                                              {"events", c.events},
                                              {"epochs", o.epochs},
                                              {"device", ctx.device_name()},
                                              {"rows", j}}
                                       .dump(2) +
                                   "\n");
  }
}

void run_bin(const BinOptions& o) {
  Context ctx(o.common.device, o.common.verbose);
  if (!o.out.empty() && output_rank()) check_output(o.out);
  if (o.input.empty()) {
    if (!o.checkpoints.checkpoint.empty() || !o.checkpoints.resume.empty())
      throw Error("--checkpoint and --resume need --input (the toy study trains many models)");
    run_study(o, ctx);
    return;
  }
  BinningJobConfig job;
  job.features = o.features;
  job.weight = o.weight;
  job.process = o.process;
  job.signals = check_ids(o.signals);
  job.model = o.model;
  job.bins = o.bins;
  job.means = o.means;
  job.sigma_base = o.sigma_base;
  job.objective = objective_settings(o);
  job.training = training_config(o);
  job.training.checkpoints = checkpoint_plan(o.checkpoints, "bin", run_settings(o));
  job.test_fraction = o.test_fraction;
  std::vector<std::string> columns = job.features;
  if (!job.weight.empty()) columns.push_back(job.weight);
  if (!job.process.empty()) columns.push_back(job.process);
  BinningJobResult r;
  if (world().size() == 1) {
    const EventTable table = read_checked_table(o.input, columns);
    r = run_binning_job(ctx, table, job, progress_printer(o.epochs));
  } else {
    // Each rank reads only its shards of the train and test samples; the checks name rows of
    // the whole file.
    const std::size_t rows = count_table_rows(o.input, columns);
    require_rows(rows, o.input);
    const BinningJobShards s = binning_job_shards(rows, job.test_fraction);
    const EventTable train = read_table_rows(o.input, columns, s.train.begin, s.train.end);
    const EventTable test = read_table_rows(o.input, columns, s.test.begin, s.test.end);
    for (const std::string& c : columns) {
      require_finite(train, o.input, c, s.train.begin);
      require_finite(test, o.input, c, s.test.begin);
    }
    r = run_binning_job(ctx, train, test, job, progress_printer(o.epochs));
  }
  std::printf(
      "%s with %d bins on %s: test Z %.4f (train %.4f); %s baseline: test Z %.4f (train %.4f); "
      "%.2f s on %s\n",
      r.model.name(), r.model.n_bins(), o.input.c_str(), r.test.significance.combined,
      r.train.significance.combined, r.baseline_name.c_str(), r.baseline_test.significance.combined,
      r.baseline_train.significance.combined, r.seconds, r.device.c_str());
  if (o.common.verbose && world().size() > 1)
    std::fprintf(stderr, "hepcat: rank %d of %d received %zu bytes from the other ranks\n",
                 world().rank(), world().size(), world().bytes_received());
  if (!o.out.empty() && output_rank())
    write_text_atomic(o.out, result_json(r, o, job.signals).dump(2) + "\n");
}

}  // namespace

void add_bin_command(CLI::App& app) {
  auto o = std::make_shared<BinOptions>();
  CLI::App* cmd = add_command(
      app, "bin",
      "optimise categories (GMM or sigmoid boundaries) for signal significance; without --input "
      "run the toy study and print its table",
      o, run_bin);
  cmd->add_option("--input", o->input, "events: CSV or HDF5 (file.h5[:/group])");
  add_list_option(*cmd, "--features", o->features, "feature columns")->capture_default_str();
  cmd->add_option("--weight", o->weight, "weight column (empty: unit weights)")
      ->capture_default_str();
  cmd->add_option("--process", o->process, "process-id column")->capture_default_str();
  add_list_option(*cmd, "--signals", o->signals, "signal process ids")->capture_default_str();
  cmd->add_option("--model", o->model, "gmm or sigmoid")->capture_default_str();
  cmd->add_option("--bins", o->bins, "GMM components, or bins per variable (sigmoid)")
      ->capture_default_str();
  cmd->add_option("--means", o->means, "GMM means: simplex, box or auto")->capture_default_str();
  cmd->add_option("--sigma-base", o->sigma_base,
                  "initial GMM width, in units of the widest feature range")
      ->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "full-batch epochs")->capture_default_str();
  cmd->add_option("--optimizer", o->optimizer, "adam, adamw, rmsprop or sgd")
      ->capture_default_str();
  cmd->add_option("--lr", o->lr, "learning rate: value or kind:start:end (cosine, linear, ...)")
      ->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "GMM softmax temperature schedule")
      ->capture_default_str();
  cmd->add_option("--steepness", o->steepness,
                  "sigmoid steepness schedule, per unit of the variable's range")
      ->capture_default_str();
  cmd->add_option("--combination", o->combination,
                  "signals combined by: geometric, quadrature, harmonic or minimum")
      ->capture_default_str();
  cmd->add_option("--b-min", o->b_min, "P_low: minimum background per bin")->capture_default_str();
  cmd->add_option("--lambda-low", o->lambda_low, "weight of P_low")->capture_default_str();
  cmd->add_option("--max-rel-unc", o->max_rel_unc,
                  "P_unc: largest relative MC uncertainty of the background per bin")
      ->capture_default_str();
  cmd->add_option("--lambda-unc", o->lambda_unc, "weight of P_unc")->capture_default_str();
  cmd->add_option("--test-fraction", o->test_fraction,
                  "last fraction of the rows (file order) kept for testing")
      ->capture_default_str();
  cmd->add_option("--patience", o->patience,
                  "stop after this many epochs without improvement (0: never)")
      ->capture_default_str();
  cmd->add_option("--study-events", o->study_events,
                  "toy events per scenario of the default study (no --input)")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "result JSON (written atomically)");
  add_checkpoint_options(*cmd, o->checkpoints, "epochs");
}

}  // namespace hepcat::cli
