// hepcat assign: jet assignment for pair-produced resonances (SCIENCE.md section 5).
// Subcommands: toy (generate jets with truth, or a multijet background) and baseline (the
// mass-asymmetry brute force). Further subcommands register on the `assign` app returned here.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hepcat/assign_baseline.hpp"
#include "hepcat/assign_toy.hpp"
#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "hepcat/jets.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/progress.hpp"

namespace hepcat::cli {

namespace {

// Jet and result files are whole HDF5 files (several groups), not tables in a group.
void check_hdf5_output(const std::string& option, const std::string& path) {
  if (!is_hdf5_path(path) || path.find(':') != std::string::npos)
    throw Error(option + " must name an .h5 or .hdf5 file, got '" + path + "'");
  check_table_output(path);
}

// ---- toy -----------------------------------------------------------------------------------

struct AssignToyOptions {
  CommonOptions common;
  JetToyConfig config;
  std::string out = "assign_toy.h5";
};

void run_assign_toy(AssignToyOptions o) {
  require_one_process("assign toy");
  o.config.seed = o.common.seed;
  const Context ctx(o.common.device, o.common.verbose);
  check_hdf5_output("--out", o.out);  // fail before generating what could not be written
  const JetTable t = generate_then_write(
      o.config.events, o.out, o.common.verbose, [&] { return generate_jet_toy(o.config); },
      [&](const JetTable& table) { write_jets(o.out, table); });
  std::size_t jets = 0;
  for (std::size_t i = 0; i < t.n_events; ++i) jets += t.n_jets(i);
  std::cout << "wrote " << t.n_events << " ";
  if (o.config.background)
    std::cout << "multijet background";
  else
    std::cout << "signal (M = " << o.config.mass << " GeV)";
  std::cout << " events, " << static_cast<double>(jets) / t.n_events << " jets per event (seed "
            << o.config.seed << ") to " << o.out << "\n";
}

void add_toy(CLI::App& assign) {
  auto o = std::make_shared<AssignToyOptions>();
  JetToyConfig& c = o->config;
  CLI::App* cmd = add_command(
      assign, "toy", "generate jets of two resonances decaying to three partons each, or multijets",
      o, run_assign_toy);
  cmd->add_option("--events", c.events, "events to generate")->capture_default_str();
  cmd->add_option("--first-event", c.first_event,
                  "index of the first event (a range generates the same events as the whole)")
      ->capture_default_str();
  cmd->add_flag("--background", c.background, "the multijet background instead of the signal");
  cmd->add_option("--mass", c.mass, "resonance mass in GeV (e.g. 173 for top-like)")
      ->capture_default_str();
  cmd->add_option("--pair-momentum", c.pair_momentum,
                  "Rayleigh scale of each resonance's momentum in the pair frame, in units of M")
      ->capture_default_str();
  cmd->add_option("--pair-rapidity", c.pair_rapidity, "width of the pair's rapidity")
      ->capture_default_str();
  cmd->add_option("--isr-mean", c.isr_mean, "mean number of ISR jets (Poisson)")
      ->capture_default_str();
  cmd->add_option("--spectrum-index", c.spectrum_index,
                  "n of the ISR and background jet spectrum pt^-n")
      ->capture_default_str();
  cmd->add_option("--stochastic", c.stochastic, "resolution term a in sigma_E/E = a/sqrt(E) (+) b")
      ->capture_default_str();
  cmd->add_option("--constant", c.constant, "resolution term b")->capture_default_str();
  cmd->add_option("--pt-min", c.pt_min, "jet pt threshold in GeV")->capture_default_str();
  cmd->add_option("--eta-max", c.eta_max, "jet |eta| acceptance")->capture_default_str();
  cmd->add_option("--background-extra-jets", c.background_extra_jets,
                  "background: mean number of jets beyond --min-jets (Poisson)")
      ->capture_default_str();
  cmd->add_option("--max-jets", c.max_jets, "jet slots per event (the leading jets are kept)")
      ->capture_default_str();
  cmd->add_option("--min-jets", c.min_jets, "events with fewer jets are redrawn")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "output HDF5 file (SPANet layout)")->capture_default_str();
}

// ---- baseline ------------------------------------------------------------------------------

struct BaselineCliOptions {
  CommonOptions common;
  std::string input;
  std::size_t leading = 6;
  std::size_t min_jets = 6;
  std::string pt_unit;
  std::string out = "baseline.h5";
  std::string summary = "baseline.json";
};

// Quantiles of the finite values (linear interpolation), for peak position and width.
nlohmann::json distribution(std::vector<float> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](float x) { return !std::isfinite(x); }), v.end());
  nlohmann::json j;
  j["count"] = v.size();
  if (v.empty()) return j;
  std::sort(v.begin(), v.end());
  const auto q = [&](double f) {
    const double x = f * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(x);
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (x - static_cast<double>(lo)) * (v[hi] - v[lo]);
  };
  j["median"] = q(0.5);
  j["q16"] = q(0.16);
  j["q25"] = q(0.25);
  j["q75"] = q(0.75);
  j["q84"] = q(0.84);
  return j;
}

nlohmann::json score_json(const AssignmentScore& s) {
  return {{"events", s.events},
          {"events_correct", s.events_correct},
          {"event_purity", s.event_purity()},
          {"parents", s.parents},
          {"parents_correct", s.parents_correct},
          {"parent_purity", s.parent_purity()}};
}

std::vector<double> as_double(const std::vector<float>& v) {
  return {v.begin(), v.end()};
}

void run_baseline(const BaselineCliOptions& o) {
  require_one_process("assign baseline");
  if (o.pt_unit != "" && o.pt_unit != "GeV" && o.pt_unit != "MeV")
    throw Error("--pt-unit must be GeV or MeV, got '" + o.pt_unit + "'");
  Context ctx(o.common.device, o.common.verbose);
  check_hdf5_output("--out", o.out);
  if (!o.summary.empty()) check_output(o.summary);
  JetReadOptions read;
  read.min_jets = o.min_jets;
  read.abc_pt_unit = o.pt_unit;
  const JetTable t = read_jets(o.input, read);
  const JetSet jets(ctx, t);
  BaselineOptions options;
  options.leading = o.leading;
  const auto start = std::chrono::steady_clock::now();
  const BaselineResult r = mass_asymmetry_baseline(ctx, jets, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const std::size_t n = t.n_events;
  std::vector<double> n_jets(n);
  for (std::size_t i = 0; i < n; ++i) n_jets[i] = static_cast<double>(t.n_jets(i));
  std::vector<ResultArray> arrays = {
      {"triplets", {n, 2, 3}, {r.triplets.begin(), r.triplets.end()}, true},
      {"m1", {n}, as_double(r.m1)},
      {"m2", {n}, as_double(r.m2)},
      {"m_avg", {n}, as_double(r.m_avg)},
      {"asymmetry", {n}, as_double(r.asymmetry)},
      {"n_jets", {n}, n_jets, true}};
  nlohmann::json summary = {
      {"command", "assign baseline"},
      {"input", o.input},
      {"events", n},
      {"max_jets", t.max_jets},
      {"leading", o.leading == 0 ? nlohmann::json("all") : nlohmann::json(o.leading)},
      {"device", ctx.device_name()},
      {"seconds", seconds},
      {"events_per_second", seconds > 0 ? n / seconds : 0.0},
      {"m_avg", distribution(r.m_avg)}};
  if (t.has_truth()) {
    // Fully matched events; events whose truth jets are the leading six; and, for another
    // --leading N, those whose truth jets lie among the leading N.
    const AssignmentScore matched = score_assignment(t, r.category);
    const AssignmentScore lead6 = score_assignment(t, r.category, 6);
    summary["purity"] = {{"fully_matched", score_json(matched)},
                         {"truth_in_leading_6", score_json(lead6)}};
    if (o.leading != 0 && o.leading != 6)
      summary["purity"]["truth_in_leading_" + std::to_string(o.leading)] =
          score_json(score_assignment(t, r.category, o.leading));
    const std::vector<float> tm = truth_masses(t);
    const std::size_t np = t.parents.size();
    std::vector<float> truth_avg(n);
    for (std::size_t i = 0; i < n; ++i) {
      float sum = 0;
      for (std::size_t p = 0; p < np; ++p) sum += tm[i * np + p];
      truth_avg[i] = sum / static_cast<float>(np);
    }
    summary["truth_m_avg"] = distribution(truth_avg);
    std::vector<float> matched_m_avg;
    for (std::size_t i = 0; i < n; ++i)
      if (matched.event_correct[i] >= 0) matched_m_avg.push_back(r.m_avg[i]);
    summary["m_avg_fully_matched"] = distribution(matched_m_avg);
    arrays.push_back({"truth/event_correct",
                      {n},
                      {matched.event_correct.begin(), matched.event_correct.end()},
                      true});
    arrays.push_back({"truth/event_correct_leading_6",
                      {n},
                      {lead6.event_correct.begin(), lead6.event_correct.end()},
                      true});
    arrays.push_back({"truth/parent_correct",
                      {n, np},
                      {matched.parent_correct.begin(), matched.parent_correct.end()},
                      true});
    arrays.push_back({"truth/m_avg", {n}, as_double(truth_avg)});
  }
  write_result_arrays(o.out, arrays);
  if (!o.summary.empty()) write_text_atomic(o.summary, summary.dump(1) + "\n");
  std::cout << "baseline over " << n << " events ("
            << (o.leading == 0 ? std::string("all jets") : "leading " + std::to_string(o.leading))
            << ") on " << ctx.device_name() << ": m_avg median "
            << summary["m_avg"].value("median", 0.0) << " GeV";
  if (t.has_truth())
    std::cout << ", event purity "
              << summary["purity"]["fully_matched"]["event_purity"].get<double>()
              << " (fully matched), "
              << summary["purity"]["truth_in_leading_6"]["event_purity"].get<double>()
              << " (truth in the leading six)";
  std::cout << "; wrote " << o.out << (o.summary.empty() ? "" : " and " + o.summary) << "\n";
}

void add_baseline(CLI::App& assign) {
  auto o = std::make_shared<BaselineCliOptions>();
  CLI::App* cmd =
      add_command(assign, "baseline",
                  "for every event, the split of its jets into two triplets of most similar masses",
                  o, run_baseline);
  cmd->add_option("--input,-i", o->input, "jets: HDF5 in SPANet's or the ABC code's layout")
      ->required();
  cmd->add_option("--leading", o->leading, "consider the leading N jets (0: all jets, at most 16)")
      ->capture_default_str();
  cmd->add_option("--min-jets", o->min_jets, "events with fewer jets are an input error")
      ->capture_default_str();
  cmd->add_option("--pt-unit", o->pt_unit,
                  "ABC layout: unit of source/pt, GeV or MeV (default: its 'unit' attribute, "
                  "else MeV)");
  cmd->add_option("--out,-o", o->out,
                  "per-event HDF5: triplets, m1, m2, m_avg, asymmetry, n_jets, truth/...")
      ->capture_default_str();
  cmd->add_option("--summary", o->summary, "summary JSON (empty: none)")->capture_default_str();
}

}  // namespace

CLI::App& add_assign_command(CLI::App& app) {
  CLI::App* assign = app.add_subcommand("assign", "jet assignment for pair-produced resonances");
  assign->require_subcommand(1);
  add_toy(*assign);
  add_baseline(*assign);
  return *assign;
}

}  // namespace hepcat::cli
