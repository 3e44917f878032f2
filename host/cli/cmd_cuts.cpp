// hepcat cuts: rectangular cuts at a series of signal-efficiency working points (CABIN), optionally
// as a grid over bins of an event property. Writes the cuts, their hard-cut efficiencies on the
// training and test rows, and the ROC AUC as JSON.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hepcat/checkpoint.hpp"
#include "hepcat/communicator.hpp"
#include "hepcat/context.hpp"
#include "hepcat/cuts.hpp"
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "hepcat/optim.hpp"
#include "host/cli/checkpoint_options.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/progress.hpp"

namespace hepcat::cli {

namespace {

struct CutsOptions {
  CommonOptions common;
  std::string input;
  std::vector<std::string> features;
  std::string label;
  std::string process;
  std::vector<int> signals;
  std::string weight;
  std::vector<double> targets{0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.93, 0.95};
  double train_fraction = 0.8;
  std::string directions = "auto";
  bool learn_directions = false;
  double steepness = 15;
  int epochs = 1000;
  std::string optimizer = "sgd";
  std::string lr = "0.5";
  CutLossWeights loss;
  bool weighted_standardisation = false;
  std::string grid_variable;
  std::vector<double> grid_edges;
  std::string out = "cuts.json";
  std::string plot;
  CheckpointOptions checkpoints;
};

// Everything the trained cuts depend on; a resume must match it exactly.
std::vector<std::pair<std::string, std::string>> run_settings(
    const CutsOptions& o, const std::vector<std::string>& features) {
  return {
      {"input", input_setting(o.input)},
      {"--features", setting_text(features)},
      {"--label", o.label},
      {"--process", o.process},
      {"--signals", setting_text(o.signals)},
      {"--weight", o.weight},
      {"--targets", setting_text(o.targets)},
      {"--train-fraction", setting_text(o.train_fraction)},
      {"--directions", o.directions},
      {"--learn-directions", o.learn_directions ? "yes" : "no"},
      {"--steepness", setting_text(o.steepness)},
      {"--epochs", std::to_string(o.epochs)},
      {"--optimizer", o.optimizer},
      {"--lr", o.lr},
      {"loss weights", setting_text(std::vector<double>{o.loss.alpha, o.loss.beta, o.loss.gamma,
                                                        o.loss.delta, o.loss.epsilon, o.loss.rho})},
      {"--weighted-standardisation", o.weighted_standardisation ? "yes" : "no"},
      {"--grid-variable", o.grid_variable},
      {"--grid-edges", setting_text(o.grid_edges)}};
}

// Columns that describe events rather than measure them: the ones named by --label, --process,
// --weight and --grid-variable, and, when those options are not given, columns with the usual
// names "label", "process" and "weight". They are never default features.
bool is_bookkeeping_column(const std::string& name, const CutsOptions& o) {
  return name == o.label || name == o.process || name == o.weight || name == o.grid_variable ||
         name == "label" || name == "process" || name == "weight";
}

std::vector<int> parse_directions(const std::string& text, std::size_t n_features) {
  if (text == "auto") return {};
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item == "+" || item == "+1" || item == "1")
      out.push_back(1);
    else if (item == "-" || item == "-1")
      out.push_back(-1);
    else if (item == "auto" || item == "0")
      out.push_back(0);
    else
      throw Error("--directions: '" + item + "' is not +, - or auto (in '" + text + "')");
  }
  if (out.size() != n_features)
    throw Error("--directions: " + std::to_string(out.size()) + " directions for " +
                std::to_string(n_features) + " features");
  return out;
}

nlohmann::json efficiency_json(double sig, double bkg) {
  return {{"sig_eff", sig}, {"bkg_eff", bkg}};
}

bool monotonic(const std::vector<double>& v) {
  int rising = 0, falling = 0;
  for (std::size_t j = 1; j < v.size(); ++j) (v[j] >= v[j - 1] ? rising : falling)++;
  return rising == 0 || falling == 0;
}

void run_cuts(const CutsOptions& o) {
  if (o.label.empty() == o.process.empty())
    throw Error("give exactly one of --label (1 = signal) or --process with --signals");
  if (!o.process.empty() && o.signals.empty())
    throw Error("--process needs --signals (the process ids that are signal)");
  if (!(o.train_fraction > 0 && o.train_fraction <= 1))
    throw Error("--train-fraction must be in (0, 1], got " + std::to_string(o.train_fraction));
  if (o.grid_variable.empty() != o.grid_edges.empty())
    throw Error("--grid-variable and --grid-edges go together");
  if (o.epochs < 1) throw Error("--epochs must be at least 1, got " + std::to_string(o.epochs));
  Context ctx(o.common.device, o.common.verbose);
  if (output_rank()) check_output(o.out);
  if (!o.plot.empty() && output_rank()) check_plot("plot_cuts.py", o.plot);

  // The first rows (file order) train, the rest test. Under mpirun each rank reads only its
  // shard of each sample, whole reduction chunks, and the checks name rows of the whole file.
  const std::size_t rows = count_table_rows(o.input);
  require_rows(rows, o.input);
  const std::size_t n_train =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(o.train_fraction * rows)));
  const std::size_t n_test = rows - n_train;
  RowRange train_rows{0, n_train}, test_rows{n_train, rows};
  if (world().size() > 1) {
    train_rows = my_rows(n_train);
    if (n_test > 0) {
      test_rows = my_rows(n_test);
      test_rows.begin += n_train;
      test_rows.end += n_train;
    }
  }
  const EventTable train_table = read_table_rows(o.input, {}, train_rows.begin, train_rows.end);
  const EventTable test_table = read_table_rows(o.input, {}, test_rows.begin, test_rows.end);
  std::vector<std::string> features = o.features;
  if (features.empty())
    for (const std::string& name : train_table.names)
      if (!is_bookkeeping_column(name, o)) features.push_back(name);
  if (features.empty()) throw Error("'" + o.input + "': no feature columns left");

  const std::string& class_column = o.label.empty() ? o.process : o.label;
  auto sample_of = [&](const EventTable& table, std::size_t first_row) {
    std::vector<std::string> checked = features;
    checked.push_back(class_column);
    if (!o.weight.empty()) checked.push_back(o.weight);
    if (!o.grid_variable.empty()) checked.push_back(o.grid_variable);
    for (const std::string& c : checked) require_finite(table, o.input, c, first_row);
    if (!o.label.empty()) require_binary(table, o.input, o.label, first_row);
    CutSample sample;
    for (const std::string& f : features) sample.features.push_back(table.column(f));
    for (float v : table.column(class_column)) {
      const bool sig = !o.label.empty()
                           ? v == 1.f
                           : std::find(o.signals.begin(), o.signals.end(),
                                       static_cast<int>(std::lround(v))) != o.signals.end();
      sample.signal.push_back(sig ? 1 : 0);
    }
    if (!o.weight.empty()) sample.weights = table.column(o.weight);
    if (!o.grid_variable.empty()) sample.grid_values = table.column(o.grid_variable);
    return sample;
  };
  const CutSample train = sample_of(train_table, train_rows.begin);
  const CutSample test = sample_of(test_table, test_rows.begin);

  CutScanConfig cfg;
  cfg.targets = o.targets;
  cfg.directions = parse_directions(o.directions, features.size());
  cfg.learn_directions = o.learn_directions;
  cfg.steepness = o.steepness;
  cfg.loss = o.loss;
  cfg.weighted_standardisation = o.weighted_standardisation;
  cfg.grid_edges = o.grid_edges;
  const OptimizerConfig opt = OptimizerConfig::parse(o.optimizer);
  const Schedule lr = Schedule::parse(o.lr, o.epochs);

  CutScan scan(ctx, cfg, train);
  const auto t0 = std::chrono::steady_clock::now();
  // The loop of CutScan::train, with checkpoints: a resumed run takes exactly the steps the
  // interrupted one had left.
  Optimizer optimizer(ctx, opt, scan.layout().size());
  CutLossTerms loss;
  int first_epoch = 0;
  const CheckpointPlan plan = checkpoint_plan(o.checkpoints, "cuts", run_settings(o, features));
  Checkpoint resumed;
  if (plan.load(resumed)) {
    if (resumed.parameters.size() != scan.params().size() || resumed.last_loss.size() != 5 ||
        resumed.epoch > o.epochs)
      throw Error("checkpoint '" + plan.resume + "' does not fit this cut scan");
    scan.params().upload(ctx, resumed.parameters);
    optimizer.restore(resumed.optimizer_state, resumed.optimizer_steps);
    first_epoch = static_cast<int>(resumed.epoch);
    const std::vector<double>& l = resumed.last_loss;
    loss = {l[0], l[1], l[2], l[3], l[4]};
  }
  {
    Progress progress("epoch", o.epochs, o.common.verbose, first_epoch);
    for (int e = first_epoch; e < o.epochs; ++e) {
      loss = scan.step(optimizer, lr.at(e));
      progress.update(e + 1, "loss " + std::to_string(loss.total()));
      plan.save_if_due(e + 1, o.epochs, [&] {
        Checkpoint c;
        c.parameters = scan.params().to_host(ctx);
        c.optimizer_steps = optimizer.steps();
        c.optimizer_state = optimizer.state();
        c.last_loss = {loss.efficiency, loss.background, loss.cut_size, loss.bce, loss.smoothness};
        return c;
      });
    }
  }
  ctx.synchronize();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const std::vector<CutSet> cuts = scan.cuts();
  const CutEfficiencies on_train = scan.evaluate(train);
  const bool has_test = n_test > 0;
  const CutEfficiencies on_test = has_test ? scan.evaluate(test) : CutEfficiencies{};

  nlohmann::json j;
  j["command"] = "cuts";
  j["input"] = o.input;
  j["features"] = features;
  j["targets"] = scan.targets();
  j["n_train"] = n_train;
  j["n_test"] = n_test;
  j["epochs"] = o.epochs;
  j["optimizer"] = o.optimizer;
  j["lr"] = lr.to_string();
  j["steepness"] = o.steepness;
  j["loss_weights"] = {{"alpha", o.loss.alpha},     {"beta", o.loss.beta},
                       {"gamma", o.loss.gamma},     {"delta", o.loss.delta},
                       {"epsilon", o.loss.epsilon}, {"rho", o.loss.rho}};
  j["final_loss"] = {{"efficiency", loss.efficiency}, {"background", loss.background},
                     {"cut_size", loss.cut_size},     {"bce", loss.bce},
                     {"smoothness", loss.smoothness}, {"total", loss.total()}};
  nlohmann::json results = nlohmann::json::array();
  for (std::size_t s = 0; s < cuts.size(); ++s) {
    nlohmann::json r;
    r["target"] = cuts[s].target;
    if (!o.grid_edges.empty()) {
      r["cell"] = cuts[s].cell;
      r["grid_range"] = {o.grid_edges[cuts[s].cell], o.grid_edges[cuts[s].cell + 1]};
    }
    r["cuts"] = cuts[s].cuts;
    r["directions"] = cuts[s].directions;
    r["train"] = efficiency_json(on_train.sig_eff[s], on_train.bkg_eff[s]);
    if (has_test) r["test"] = efficiency_json(on_test.sig_eff[s], on_test.bkg_eff[s]);
    results.push_back(r);
  }
  j["results"] = results;
  if (!o.grid_edges.empty()) {
    j["grid_variable"] = o.grid_variable;
    j["grid_edges"] = o.grid_edges;
    nlohmann::json per_target = nlohmann::json::array();
    for (std::size_t t = 0; t < scan.targets().size(); ++t) {
      nlohmann::json r{
          {"target", scan.targets()[t]},
          {"train", efficiency_json(on_train.target_sig_eff[t], on_train.target_bkg_eff[t])}};
      if (has_test)
        r["test"] = efficiency_json(on_test.target_sig_eff[t], on_test.target_bkg_eff[t]);
      per_target.push_back(r);
    }
    j["per_target"] = per_target;
  }
  const CutEfficiencies& roc = has_test ? on_test : on_train;
  j["auc"] = hard_cut_auc(roc.target_sig_eff, roc.target_bkg_eff);
  j["auc_sample"] = has_test ? "test" : "train";
  j["auc_train"] = hard_cut_auc(on_train.target_sig_eff, on_train.target_bkg_eff);
  // Whether each feature's cut moves one way as the target rises, per grid cell.
  nlohmann::json mono = nlohmann::json::array();
  for (int c = 0; c < scan.n_cells(); ++c) {
    nlohmann::json cell = nlohmann::json::array();
    for (int k = 0; k < scan.n_features(); ++k) {
      std::vector<double> v;
      for (const CutSet& s : cuts)
        if (s.cell == c) v.push_back(s.cuts[k]);
      cell.push_back(monotonic(v));
    }
    mono.push_back(cell);
  }
  j["monotonic_in_target"] = o.grid_edges.empty() ? mono[0] : mono;
  j["seconds"] = seconds;
  j["device"] = ctx.device_name();
  j["backend"] = to_string(ctx.backend());
  if (output_rank()) write_text_atomic(o.out, j.dump(1) + "\n");
  std::cout << "features: ";
  for (std::size_t k = 0; k < features.size(); ++k) std::cout << (k ? ", " : "") << features[k];
  std::cout << "\n";
  std::cout << "trained " << cuts.size() << " cut sets on " << n_train << " events in " << seconds
            << " s on " << ctx.device_name() << "; hard-cut AUC " << j["auc"].get<double>() << " ("
            << j["auc_sample"].get<std::string>() << "); wrote " << o.out << "\n";
  if (!o.plot.empty() && output_rank()) {
    run_plot("plot_cuts.py", o.out, o.plot);
    std::cout << "plotted cuts and ROC points to " << o.plot << "\n";
  }
}

}  // namespace

void add_cuts_command(CLI::App& app) {
  auto o = std::make_shared<CutsOptions>();
  CLI::App* cmd =
      add_command(app, "cuts",
                  "learn rectangular cuts at signal-efficiency working points by gradient (CABIN, "
                  "docs/cuts.md)",
                  o, run_cuts);
  cmd->add_option("--input", o->input, "events: .csv or .h5/.hdf5 (file.h5:/group)")->required();
  add_list_option(*cmd, "--features", o->features,
                  "feature columns (default: every column except the label, process, weight and "
                  "grid columns)");
  cmd->add_option("--label", o->label, "column with 1 for signal, 0 for background");
  cmd->add_option("--process", o->process, "process id column (with --signals)");
  add_list_option(*cmd, "--signals", o->signals, "process ids that are signal, e.g. 0,1");
  cmd->add_option("--weight", o->weight, "event weight column (default: unit weights)");
  add_list_option(*cmd, "--targets", o->targets, "target signal efficiencies")
      ->capture_default_str();
  cmd->add_option("--train-fraction", o->train_fraction,
                  "the first rows, in file order, that train; the rest test")
      ->capture_default_str();
  cmd->add_option("--directions", o->directions,
                  "auto (sign of the signal-minus-background mean difference) or one of "
                  "+,-,auto per feature, e.g. +,-,auto")
      ->capture_default_str();
  cmd->add_flag("--learn-directions", o->learn_directions,
                "learn the weights w_k too (direction = sign of w_k)");
  cmd->add_option("--steepness", o->steepness, "sigmoid steepness n")->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "full-batch training steps")->capture_default_str();
  cmd->add_option("--optimizer", o->optimizer, "sgd, adam, adamw or rmsprop")
      ->capture_default_str();
  cmd->add_option("--lr", o->lr, "learning rate: 0.5 or kind:start:end (cosine, linear, ...)")
      ->capture_default_str();
  cmd->add_option("--alpha", o->loss.alpha, "weight of (t - eps_S)^2")->capture_default_str();
  cmd->add_option("--beta", o->loss.beta, "weight of eps_B")->capture_default_str();
  cmd->add_option("--gamma", o->loss.gamma, "weight of the cut size")->capture_default_str();
  cmd->add_option("--delta", o->loss.delta, "weight of BCE")->capture_default_str();
  cmd->add_option("--epsilon", o->loss.epsilon, "weight of the smoothness term")
      ->capture_default_str();
  cmd->add_option("--rho", o->loss.rho, "smoothness regulariser")->capture_default_str();
  cmd->add_flag("--weighted-standardisation", o->weighted_standardisation,
                "standardise with weighted means and widths (default: unweighted)");
  cmd->add_option("--grid-variable", o->grid_variable,
                  "column whose bins each get their own scan (cut grid)");
  add_list_option(*cmd, "--grid-edges", o->grid_edges,
                  "bin edges of the grid variable, e.g. 0,50,100");
  cmd->add_option("--out", o->out, "output JSON")->capture_default_str();
  cmd->add_option("--plot", o->plot,
                  "also plot the cuts versus target efficiency and the ROC points to this image "
                  "(scripts/plot_cuts.py, matplotlib)");
  add_checkpoint_options(*cmd, o->checkpoints, "epochs");
}

}  // namespace hepcat::cli
