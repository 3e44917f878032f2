// hepcat assign train / eval: the ABC model (SCIENCE.md section 5) trained unsupervised on jet
// events, and evaluated per event (categories, probabilities, candidates, masses, loss as an
// anomaly score; purity against the truth when the file has it).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "hepcat/jets.hpp"
#include "hepcat/math/assign_kinematics.hpp"
#include "host/cli/checkpoint_options.hpp"
#include "host/cli/commands.hpp"

namespace hepcat::cli {

namespace {

struct Selection {
  std::size_t skip = 0, first = 0;  // events [skip, skip + first), first 0 = all the rest
};

void add_selection(CLI::App& cmd, Selection& s) {
  cmd.add_option("--skip", s.skip, "ignore the first N events of the file")->capture_default_str();
  cmd.add_option("--events", s.first, "use at most N events after --skip (0: all)")
      ->capture_default_str();
}

// The selected events of a jet file, as a table of those events only.
JetTable select(const JetTable& all, const Selection& s, const std::string& path) {
  if (s.skip >= all.n_events)
    throw Error("--skip " + std::to_string(s.skip) + " leaves no events of the " +
                std::to_string(all.n_events) + " in '" + path + "'");
  const std::size_t n = s.first ? std::min(s.first, all.n_events - s.skip) : all.n_events - s.skip;
  JetTable t = all;
  t.n_events = n;
  const std::size_t j = all.max_jets;
  auto cut = [&](auto& v, std::size_t per) {
    if (v.empty()) return;
    std::remove_reference_t<decltype(v)> out(v.begin() + s.skip * per,
                                             v.begin() + (s.skip + n) * per);
    v.swap(out);
  };
  cut(t.pt, j);
  cut(t.eta, j);
  cut(t.phi, j);
  cut(t.e, j);
  cut(t.mask, j);
  cut(t.weight, 1);
  cut(t.truth, all.parents.size() * all.daughters.size());
  return t;
}

std::vector<float> inputs_of(const JetTable& t) {
  return assign_inputs(t.pt.data(), t.eta.data(), t.phi.data(), t.e.data(), t.n_events, t.max_jets);
}

struct TrainOptions {
  CommonOptions common;
  std::string input, out = "abc_model.h5", summary, loss = "published", init;
  Selection selection;
  AssignConfig model;
  AssignTrainConfig train;
  CheckpointOptions checkpoints;
  bool progress = false;
};

void run_train(TrainOptions& o) {
  require_one_process("assign train");
  o.train.loss = AssignLoss::parse(o.loss);
  o.train.seed = o.common.seed;
  o.train.checkpoints =
      checkpoint_plan(o.checkpoints, "assign train",
                      {{"input", input_setting(o.input)},
                       {"--init", input_setting(o.init)},
                       {"--skip", setting_text(o.selection.skip)},
                       {"--events", setting_text(o.selection.first)},
                       {"--categories", setting_text(o.model.categories)},
                       {"--embed-dim", setting_text(o.model.embed_dim)},
                       {"--heads", setting_text(o.model.heads)},
                       {"--blocks", setting_text(o.model.blocks)},
                       {"--loss", o.loss},
                       {"--epochs", setting_text(o.train.epochs)},
                       {"--batch-size", setting_text(o.train.batch_size)},
                       {"--lr", setting_text(o.train.learning_rate)},
                       {"--validation", setting_text(o.train.validation_fraction)},
                       {"--patience", setting_text(o.train.patience)},
                       {"--seed", setting_text(o.train.seed)}});
  AssignModel model = o.init.empty() ? AssignModel(o.model) : AssignModel::load(o.init);
  Context ctx(o.common.device, o.common.verbose);
  check_table_output(o.out);
  const JetTable table = select(read_jets(o.input), o.selection, o.input);
  const std::vector<float> x = inputs_of(table);
  if (o.init.empty()) model.initialise(o.common.seed);
  const bool show = o.progress || stderr_is_terminal();
  const AssignTrainResult r = assign_train(
      model, x, table.n_events, table.max_jets, o.train, ctx, [&](const AssignEpoch& e) {
        if (show)
          std::fprintf(stderr, "epoch %3d  train %.5f  validation %.5f  lr %.2e  %.1f s\n", e.epoch,
                       e.train_loss, e.validation_loss, e.learning_rate, e.seconds);
      });
  model.save(o.out);
  nlohmann::json j;
  j["model"] = o.out;
  j["events"] = table.n_events;
  j["loss"] = o.loss;
  j["initial_validation_loss"] = r.initial_validation_loss;
  j["best_epoch"] = r.best_epoch;
  j["best_validation_loss"] = r.best_validation_loss;
  j["steps"] = r.steps;
  j["stopped_early"] = r.stopped_early;
  nlohmann::json epochs = nlohmann::json::array();
  for (const AssignEpoch& e : r.epochs)
    epochs.push_back({{"epoch", e.epoch},
                      {"train_loss", e.train_loss},
                      {"validation_loss", e.validation_loss},
                      {"learning_rate", e.learning_rate},
                      {"seconds", e.seconds}});
  j["epochs"] = epochs;
  j["device"] = ctx.device_name();
  if (!o.summary.empty()) write_text_atomic(o.summary, j.dump(1) + "\n");
  std::cout << "best validation loss " << r.best_validation_loss << " at epoch " << r.best_epoch
            << " (initial " << r.initial_validation_loss << "); wrote " << o.out << "\n";
}

struct EvalOptions {
  CommonOptions common;
  std::string model, input, out = "assign_eval.h5", summary = "assign_eval.json";
  Selection selection;
  std::size_t batch = 2048;
};

// Median and quartiles of the finite values.
nlohmann::json quantiles(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  auto q = [&](double f) {
    const double pos = f * static_cast<double>(v.size() - 1);
    const std::size_t i = static_cast<std::size_t>(pos);
    const double w = pos - static_cast<double>(i);
    return i + 1 < v.size() ? v[i] * (1 - w) + v[i + 1] * w : v[i];
  };
  return {{"median", q(0.5)}, {"q25", q(0.25)}, {"q75", q(0.75)}, {"n", v.size()}};
}

void run_eval(EvalOptions& o) {
  require_one_process("assign eval");
  const AssignModel model = AssignModel::load(o.model);
  const Context ctx(o.common.device, o.common.verbose);
  check_table_output(o.out);
  const JetTable table = select(read_jets(o.input), o.selection, o.input);
  const std::vector<float> x = inputs_of(table);
  const std::size_t n = table.n_events, jets = table.max_jets;
  const int t = model.config().categories;
  AssignEngine engine(ctx, model);
  const AssignOutput<float> all =
      assign_forward_batches(engine, x.data(), n, jets, AssignChoice::hard, o.batch);
  nlohmann::json j;
  j["model"] = o.model;
  j["input"] = o.input;
  j["events"] = n;
  j["categories"] = t;
  std::vector<double> m_avg(n), loss(all.loss.begin(), all.loss.end());
  for (std::size_t b = 0; b < n; ++b) m_avg[b] = 0.5 * (all.mass[b * t] + all.mass[b * t + 1]);
  j["m_avg"] = quantiles(m_avg);
  j["loss"] = quantiles(loss);
  std::vector<std::int8_t> correct;
  if (table.has_truth()) {
    // Categories 0 and 1 are the parent candidates; an ISR category (T = 3) is none.
    std::vector<std::int8_t> cat(all.category.size());
    for (std::size_t i = 0; i < cat.size(); ++i)
      cat[i] = all.category[i] == 0 || all.category[i] == 1 ? std::int8_t(all.category[i]) : -1;
    const AssignmentScore s = score_assignment(table, cat);
    correct = s.event_correct;
    const AssignmentScore s6 = score_assignment(table, cat, 6);
    j["purity"] = {
        {"events_scored", s.events},           {"event_purity", s.event_purity()},
        {"parents_scored", s.parents},         {"parent_purity", s.parent_purity()},
        {"events_scored_leading6", s6.events}, {"event_purity_leading6", s6.event_purity()}};
    // m_avg of the correctly assigned events, and of the truth triplets themselves.
    std::vector<double> m_correct, m_truth;
    for (std::size_t b = 0; b < n; ++b)
      if (correct[b] == 1) m_correct.push_back(m_avg[b]);
    if (table.parents.size() == 2)
      for (std::size_t b = 0; b < n; ++b) {
        double m[2];
        bool complete = true;
        for (std::size_t p = 0; p < 2 && complete; ++p) {
          math::P4<double> sum{};
          for (std::size_t d = 0; d < table.daughters.size(); ++d) {
            const std::int32_t jet = table.truth_jet(b, p, d);
            if (jet < 0) {
              complete = false;
              break;
            }
            const std::size_t i = table.slot(b, static_cast<std::size_t>(jet));
            sum = sum + math::jet_p4<double>(table.pt[i], table.eta[i], table.phi[i], table.e[i]);
          }
          m[p] = math::invariant_mass(sum);
        }
        if (complete) m_truth.push_back(0.5 * (m[0] + m[1]));
      }
    j["m_avg_correct"] = quantiles(m_correct);
    j["m_avg_truth"] = quantiles(m_truth);
  }
  j["device"] = ctx.device_name();
  write_assign_output(o.out, all, correct);
  write_text_atomic(o.summary, j.dump(1) + "\n");
  std::cout << "evaluated " << n << " events";
  if (j.contains("purity"))
    std::cout << "; event purity " << j["purity"]["event_purity"].get<double>() << " of "
              << j["purity"]["events_scored"].get<std::size_t>() << " fully matched";
  std::cout << "; wrote " << o.out << " and " << o.summary << "\n";
}

}  // namespace

void add_assign_model_commands(CLI::App& assign) {
  auto t = std::make_shared<TrainOptions>();
  CLI::App* train = add_command(
      assign, "train", "train the ABC model unsupervised on jet events (SCIENCE.md section 5)", t,
      run_train);
  train->add_option("--input,-i", t->input, "jet events (SPANet or ABC HDF5 layout)")->required();
  train->add_option("--out,-o", t->out, "model file to write (HDF5)")->capture_default_str();
  train->add_option("--summary", t->summary, "JSON summary of the training (optional)");
  train->add_option("--init", t->init, "start from this model file instead of a fresh one");
  add_selection(*train, t->selection);
  train->add_option("--categories,-T", t->model.categories, "2, or 3 with an ISR category")
      ->capture_default_str();
  train->add_option("--embed-dim", t->model.embed_dim, "embedding size E")->capture_default_str();
  train->add_option("--heads", t->model.heads, "attention heads")->capture_default_str();
  train->add_option("--blocks", t->model.blocks, "ABC blocks")->capture_default_str();
  train->add_option("--loss", t->loss, "published or four-term")->capture_default_str();
  train->add_option("--epochs", t->train.epochs, "maximum epochs")->capture_default_str();
  train->add_option("--batch-size", t->train.batch_size, "events per step")->capture_default_str();
  train->add_option("--lr", t->train.learning_rate, "Adam learning rate (peak)")
      ->capture_default_str();
  train
      ->add_option("--validation", t->train.validation_fraction,
                   "fraction of the events held out for early stopping")
      ->capture_default_str();
  train->add_option("--patience", t->train.patience, "epochs without improvement before stopping")
      ->capture_default_str();
  train->add_option("--best-model", t->train.best_model,
                    "also save the best model so far here whenever it improves (HDF5)");
  add_checkpoint_options(*train, t->checkpoints, "epochs");
  train->add_flag("--progress", t->progress, "print one line per epoch on stderr");

  auto e = std::make_shared<EvalOptions>();
  CLI::App* eval = add_command(
      assign, "eval", "assign the jets of every event with a trained model; purity with truth", e,
      run_eval);
  eval->add_option("--model,-m", e->model, "model file (HDF5, weights/<name>)")->required();
  eval->add_option("--input,-i", e->input, "jet events (SPANet or ABC HDF5 layout)")->required();
  eval->add_option("--out,-o", e->out, "per-event results (HDF5)")->capture_default_str();
  eval->add_option("--summary", e->summary, "JSON summary")->capture_default_str();
  eval->add_option("--batch-size", e->batch, "events per forward pass")->capture_default_str();
  add_selection(*eval, e->selection);
}

}  // namespace hepcat::cli
