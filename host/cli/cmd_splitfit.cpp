// hepcat splitfit: trains a logistic score over features with the Split-N-Fit loss on unlabelled
// events (or by cross-entropy with --supervised), and reports the median pseudo-experiment
// significance of the score > 0 selection before and after. Also evaluates a score column.
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "hepcat/communicator.hpp"
#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "hepcat/splitfit.hpp"
#include "host/cli/checkpoint_options.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/progress.hpp"

namespace hepcat::cli {

namespace {

struct SplitFitOptions {
  CommonOptions common;
  std::string input, test, out = "splitfit.json", init_model, score_column;
  std::vector<std::string> features;
  std::string mass = "mass", weight, label = "label";
  bool supervised = false;
  ScoreTraining training;
  SplitFitConfig config;
  std::string estimator = "neyman", relu = "softplus";
  int toys = 1000;
  CheckpointOptions checkpoints;
};

// Everything the trained score depends on; a resume must match it exactly.
std::vector<std::pair<std::string, std::string>> run_settings(const SplitFitOptions& o) {
  const SplitFitConfig& c = o.config;
  return {{"input", input_setting(o.input)},
          {"--test", input_setting(o.test)},
          {"--init-model", input_setting(o.init_model)},
          {"--features", setting_text(o.features)},
          {"--mass", o.mass},
          {"--weight", o.weight},
          {"--label", o.label},
          {"--supervised", o.supervised ? "yes" : "no"},
          {"--steps", std::to_string(o.training.steps)},
          {"--lr", setting_text(o.training.learning_rate)},
          {"--optimizer", o.training.optimizer},
          {"--bins", std::to_string(c.n_bins)},
          {"fit range", setting_text(std::vector<double>{c.lo, c.hi})},
          {"--background", c.background},
          {"signal", setting_text(std::vector<double>{c.signal_mean, c.signal_width})},
          {"--estimator", o.estimator},
          {"penalty", setting_text(std::vector<double>{c.lambda, c.kappa, c.delta})},
          {"--relu", o.relu},
          {"--toys", std::to_string(o.toys)},
          {"--seed", std::to_string(o.common.seed)}};
}

nlohmann::json model_json(const LinearScore& m, const std::vector<std::string>& names) {
  return {{"features", names},
          {"weights", m.weights},
          {"centre", m.centre},
          {"spread", m.spread},
          {"bias", m.bias}};
}

LinearScore read_model(const std::string& path, const std::vector<std::string>& names) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open score model '" + path + "'");
  nlohmann::json j;
  try {
    in >> j;
    if (j.contains("model")) j = j["model"];
    LinearScore m;
    m.weights = j.at("weights").get<std::vector<double>>();
    m.centre = j.at("centre").get<std::vector<double>>();
    m.spread = j.at("spread").get<std::vector<double>>();
    m.bias = j.at("bias").get<double>();
    if (j.at("features").get<std::vector<std::string>>() != names)
      throw Error("score model '" + path + "' was trained on other features");
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error("score model '" + path + "' is not a hepcat splitfit model: " + e.what());
  }
}

nlohmann::json significance_json(const PseudoExperiments& p) {
  return {{"median", p.median},    {"q16", p.q16},   {"q84", p.q84},
          {"q025", p.q025},        {"q975", p.q975}, {"unconverged_fits", p.unconverged_fits},
          {"toys", p.significance}};
}

void run_splitfit(SplitFitOptions& o) {
  SplitFitConfig& c = o.config;
  c.estimator = parse_estimator(o.estimator);
  if (o.relu != "softplus" && o.relu != "silu")
    throw Error("--relu must be softplus or silu, got '" + o.relu + "'");
  c.relu = o.relu == "silu" ? SmoothRelu::silu : SmoothRelu::softplus;
  splitfit_fit_config(c, true);  // validates the fit settings before reading anything
  if (o.score_column.empty() && o.features.empty())
    throw Error("give --features to train a score, or --score-column to evaluate one");
  Context ctx(o.common.device, o.common.verbose);
  if (output_rank()) check_output(o.out);
  if (!o.score_column.empty() &&
      (!o.checkpoints.checkpoint.empty() || !o.checkpoints.resume.empty()))
    throw Error("--checkpoint and --resume go with training, not with --score-column");
  o.training.checkpoints = checkpoint_plan(o.checkpoints, "splitfit", run_settings(o));
  // Under mpirun each rank reads only its shard of each table; `first` is the row of the file
  // that the shard starts at, `rows` the whole file's row count.
  struct Shard {
    EventTable table;
    std::size_t first = 0, rows = 0;
  };
  auto read = [](const std::string& path) {
    Shard s;
    if (world().size() == 1) {
      s.table = read_table(path);
      s.rows = s.table.rows();
      return s;
    }
    s.rows = count_table_rows(path);
    const RowRange mine = my_rows(s.rows);
    s.table = read_table_rows(path, {}, mine.begin, mine.end);
    s.first = mine.begin;
    return s;
  };
  const Shard input = read(o.input);
  const Shard test_input = o.test.empty() ? Shard{} : read(o.test);
  const EventTable& table = input.table;
  const EventTable& test_table = test_input.table;
  const EventTable& test = o.test.empty() ? table : test_table;
  // Every column used is checked where it is read, naming the file line.
  const bool training = o.score_column.empty();
  auto validate = [&](const Shard& shard, const std::string& path, bool trains) {
    const EventTable& t = shard.table;
    require_rows(shard.rows, path);
    std::vector<std::string> used{o.mass};
    if (training)
      used.insert(used.end(), o.features.begin(), o.features.end());
    else
      used.push_back(o.score_column);
    if (!o.weight.empty()) used.push_back(o.weight);
    for (const std::string& c : used) require_finite(t, path, c, shard.first);
    if (trains && o.supervised) require_binary(t, path, o.label, shard.first);
  };
  validate(input, o.input, training);
  if (!o.test.empty()) validate(test_input, o.test, false);
  auto columns = [&](const EventTable& t) {
    std::vector<std::vector<float>> x;
    for (const auto& f : o.features) x.push_back(t.column(f));
    return x;
  };
  auto weights_of = [&](const EventTable& t) {
    return o.weight.empty() ? std::vector<float>{} : t.column(o.weight);
  };
  nlohmann::json out;
  if (!o.score_column.empty()) {
    const auto& s = test.column(o.score_column);
    const SplitFitResult r =
        splitfit_loss(ctx, c, test.column(o.mass), weights_of(test), s, nullptr);
    out["loss"] = r.loss;
    out["significance"] = significance_json(
        cut_significance(ctx, c, test.column(o.mass), weights_of(test), s, o.toys, o.common.seed));
  } else {
    const auto x = columns(table);
    LinearScore m =
        o.init_model.empty() ? standardised_linear_score(x) : read_model(o.init_model, o.features);
    const auto test_x = columns(test);
    auto evaluate = [&](const LinearScore& model) {
      return significance_json(cut_significance(ctx, c, test.column(o.mass), weights_of(test),
                                                linear_scores(model, test_x), o.toys,
                                                o.common.seed));
    };
    if (!o.init_model.empty()) out["significance_before"] = evaluate(m);
    Progress line("step", o.training.steps);
    o.training.progress = [&line](int step, double loss) {
      line.update(step, "loss " + std::to_string(loss));
    };
    const std::vector<double> history =
        o.supervised
            ? train_supervised(ctx, m, x, table.column(o.label), weights_of(table), o.training)
            : train_splitfit(ctx, m, x, table.column(o.mass), weights_of(table), c, o.training);
    out["training"] = o.supervised ? "supervised" : "splitfit";
    out["loss_history"] = history;
    out["model"] = model_json(m, o.features);
    out["significance"] = evaluate(m);
  }
  out["device"] = ctx.device_name();
  if (output_rank()) write_text_atomic(o.out, out.dump(1) + "\n");
  std::cout << "median significance " << out["significance"]["median"].get<double>();
  if (out.contains("significance_before"))
    std::cout << " (before: " << out["significance_before"]["median"].get<double>() << ")";
  std::cout << "; wrote " << o.out << "\n";
}

}  // namespace

void add_splitfit_command(CLI::App& app) {
  auto o = std::make_shared<SplitFitOptions>();
  CLI::App* cmd = add_command(app, "splitfit",
                              "train a logistic score with the Split-N-Fit loss and report the "
                              "median pseudo-experiment significance of the score > 0 selection",
                              o, run_splitfit);
  cmd->add_option("--input,-i", o->input, "events table (.csv or .h5)")->required();
  cmd->add_option("--test", o->test, "independent table for the significance (default: input)");
  cmd->add_option("--out,-o", o->out, "output JSON")->capture_default_str();
  add_list_option(*cmd, "--features", o->features, "feature columns of the score");
  cmd->add_option("--mass", o->mass, "fit variable column")->capture_default_str();
  cmd->add_option("--weight", o->weight, "weight column (default: unit weights)");
  cmd->add_option("--label", o->label, "label column for --supervised")->capture_default_str();
  cmd->add_flag("--supervised", o->supervised, "train by cross-entropy against --label instead");
  cmd->add_option("--init-model", o->init_model, "start from a model JSON written by splitfit");
  cmd->add_option("--score-column", o->score_column, "evaluate this score column, no training");
  cmd->add_option("--steps", o->training.steps, "full-batch optimiser steps")
      ->capture_default_str();
  cmd->add_option("--lr", o->training.learning_rate, "learning rate")->capture_default_str();
  cmd->add_option("--optimizer", o->training.optimizer, "adam, adamw, sgd or rmsprop")
      ->capture_default_str();
  cmd->add_option("--bins", o->config.n_bins, "bins of the fit variable")->capture_default_str();
  cmd->add_option("--lo", o->config.lo, "fit range low edge")->capture_default_str();
  cmd->add_option("--hi", o->config.hi, "fit range high edge")->capture_default_str();
  cmd->add_option("--background", o->config.background, "poly<k>, bernstein<k> or exp")
      ->capture_default_str();
  cmd->add_option("--signal-mean", o->config.signal_mean,
                  "mean of the Gaussian signal in the S+B fits (held fixed)")
      ->capture_default_str();
  cmd->add_option("--signal-width", o->config.signal_width,
                  "width of the Gaussian signal in the S+B fits (held fixed)")
      ->capture_default_str();
  cmd->add_option("--estimator", o->estimator, "neyman, pearson or poisson")->capture_default_str();
  cmd->add_option("--lambda", o->config.lambda, "fit-quality penalty weight")
      ->capture_default_str();
  cmd->add_option("--kappa", o->config.kappa, "penalty threshold (negative: n + 3 sqrt(2n))")
      ->capture_default_str();
  cmd->add_option("--delta", o->config.delta, "offset of the fail term")->capture_default_str();
  cmd->add_option("--relu", o->relu, "smooth ReLU of the penalty: softplus or silu")
      ->capture_default_str();
  cmd->add_option("--toys", o->toys, "pseudo-experiments for the significance")
      ->capture_default_str();
  add_checkpoint_options(*cmd, o->checkpoints, "steps");
}

}  // namespace hepcat::cli
