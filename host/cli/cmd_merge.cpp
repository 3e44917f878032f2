// hepcat merge: minimal-loss bin merging (SCIENCE.md section 2) of a fine histogram given as JSON
// or filled from events, to one or several target numbers of bins.
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/event_set.hpp"
#include "hepcat/io.hpp"
#include "hepcat/merge.hpp"
#include "host/cli/commands.hpp"

namespace hepcat::cli {

namespace {

struct MergeCliOptions {
  CommonOptions common;
  std::string input;
  std::string events;
  std::vector<std::string> features;
  std::string process;
  std::string weight;
  std::vector<std::string> edges;
  std::vector<int> targets;
  std::string metric;
  std::string merger = "nonlocal";
  int axis = 0;
  bool comp_to_first = false;
  std::string out;
};

using nlohmann::json;

// "lo:hi:n" (n equal bins) or "e0,e1,...,ek" (explicit edges).
std::vector<double> parse_edges(const std::string& text) {
  auto number = [&](const std::string& s) {
    try {
      std::size_t used = 0;
      const double v = std::stod(s, &used);
      if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    throw Error("--edges '" + text + "': '" + s + "' is not a number");
  };
  std::vector<std::string> parts;
  const char sep = text.find(':') != std::string::npos ? ':' : ',';
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, sep);) parts.push_back(part);
  if (sep == ':') {
    if (parts.size() != 3) throw Error("--edges '" + text + "': use lo:hi:n or e0,e1,...");
    const double lo = number(parts[0]), hi = number(parts[1]), n = number(parts[2]);
    if (!(n >= 1 && n == std::floor(n) && hi > lo))
      throw Error("--edges '" + text + "': need hi > lo and a whole number of bins >= 1");
    std::vector<double> e(static_cast<std::size_t>(n) + 1);
    for (std::size_t k = 0; k < e.size(); ++k) e[k] = lo + (hi - lo) * double(k) / n;
    return e;
  }
  std::vector<double> e;
  for (const std::string& p : parts) e.push_back(number(p));
  return e;
}

// The fixtures' schema (shared/fixtures/README.md); target and metric fill in what the command
// line left open.
Histogram read_histogram_json(const std::string& path, MergeCliOptions& o,
                              std::vector<double>& pair_weights) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open histogram file '" + path + "'");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw Error("'" + path + "' is not valid JSON: " + e.what());
  }
  try {
    Histogram h;
    const auto counts = doc.at("counts").get<std::vector<std::vector<double>>>();
    if (counts.empty()) throw Error("'" + path + "': counts is empty");
    h.n_hyp = static_cast<int>(counts.size());
    h.n_bins = static_cast<int>(counts[0].size());
    for (std::size_t k = 0; k < counts.size(); ++k) {
      if (counts[k].size() != counts[0].size())
        throw Error("'" + path + "': counts row " + std::to_string(k) + " has " +
                    std::to_string(counts[k].size()) + " bins, row 0 has " +
                    std::to_string(counts[0].size()));
      h.counts.insert(h.counts.end(), counts[k].begin(), counts[k].end());
    }
    if (doc.contains("edges")) {
      const json& e = doc.at("edges");
      if (!e.empty() && e.at(0).is_array())
        h.edges = e.get<std::vector<std::vector<double>>>();
      else
        h.edges = {e.get<std::vector<double>>()};
    }
    if (doc.contains("pair_weights"))
      for (const auto& row : doc.at("pair_weights").get<std::vector<std::vector<double>>>())
        pair_weights.insert(pair_weights.end(), row.begin(), row.end());
    if (o.targets.empty() && doc.contains("target")) o.targets = {doc.at("target").get<int>()};
    if (o.metric.empty() && doc.contains("metric")) o.metric = doc.at("metric").get<std::string>();
    h.validate("'" + path + "'");
    return h;
  } catch (const json::exception& e) {
    throw Error("'" + path + "': " + e.what());
  }
}

Histogram histogram_from_events(Context& ctx, const MergeCliOptions& o) {
  if (o.features.empty()) throw Error("--events needs --features");
  if (o.edges.size() != o.features.size())
    throw Error("--edges must be given once per feature: " + std::to_string(o.features.size()) +
                " features, " + std::to_string(o.edges.size()) + " --edges");
  std::vector<std::string> columns = o.features;
  if (!o.process.empty()) columns.push_back(o.process);
  if (!o.weight.empty()) columns.push_back(o.weight);
  const EventTable table = read_table(o.events, columns);
  EventColumns ec;
  ec.features = o.features;
  ec.process = o.process;
  ec.weight = o.weight;
  const EventSet events(ctx, table, ec);
  std::vector<std::vector<double>> edges;
  for (const std::string& e : o.edges) edges.push_back(parse_edges(e));
  std::vector<int> features(o.features.size());
  for (std::size_t d = 0; d < features.size(); ++d) features[d] = static_cast<int>(d);
  return fill_histogram(ctx, events, features, edges);
}

json binning_json(const MergedBinning& m, int n_hyp, bool local) {
  json j;
  j["n_bins"] = m.n_bins;
  j["groups"] = m.groups;
  std::vector<std::vector<double>> counts(n_hyp);
  for (int h = 0; h < n_hyp; ++h)
    counts[h].assign(m.counts.begin() + static_cast<std::ptrdiff_t>(h) * m.n_bins,
                     m.counts.begin() + static_cast<std::ptrdiff_t>(h + 1) * m.n_bins);
  j["counts"] = counts;
  const LocSummary s = loc_summary(m.loc_before, m.loc_after, n_hyp);
  j["loc"] = {{"before", s.before},
              {"after", s.after},
              {"retained", s.retained},
              {"separation_retained", s.separation}};
  if (local) j["edges"] = m.edges;
  return j;
}

void run_merge(MergeCliOptions o) {
  require_one_process("merge");
  if (o.input.empty() == o.events.empty())
    throw Error("give exactly one of --input (histogram JSON) and --events (event file)");
  if (o.merger != "nonlocal" && o.merger != "local")
    throw Error("--merger must be nonlocal or local, got '" + o.merger + "'");
  Context ctx(o.common.device, o.common.verbose);

  MergeOptions options;
  Histogram hist;
  if (!o.input.empty()) {
    hist = read_histogram_json(o.input, o, options.pair_weights);
  } else {
    hist = histogram_from_events(ctx, o);
  }
  if (o.targets.empty()) throw Error("no --target given (and none in the input)");
  options.metric = parse_merge_metric(o.metric.empty() ? "loc_length" : o.metric);
  options.comp_to_first = o.comp_to_first;
  const bool show = stderr_is_terminal();
  if (show)
    options.progress = [](long done, long total) {
      std::cerr << "\rmerging: " << done << " / " << total << " merges" << std::flush;
    };

  const auto start = std::chrono::steady_clock::now();
  const std::vector<MergedBinning> binnings =
      o.merger == "local" ? merge_local(ctx, hist, o.targets, options, o.axis)
                          : merge_nonlocal(ctx, hist, o.targets, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (show) std::cerr << "\n";

  const bool local = o.merger == "local";
  json doc = binning_json(binnings.front(), hist.n_hyp, local);
  doc["merger"] = o.merger;
  doc["metric"] = to_string(options.metric);
  doc["comp_to_first"] = o.comp_to_first;
  doc["n_hyp"] = hist.n_hyp;
  doc["n_bins_before"] = hist.n_bins;
  doc["seconds"] = seconds;
  doc["device"] = ctx.device_name();
  if (!hist.edges.empty()) doc["input_edges"] = hist.edges;
  if (binnings.size() > 1) {
    doc["binnings"] = json::array();
    for (const MergedBinning& m : binnings)
      doc["binnings"].push_back(binning_json(m, hist.n_hyp, local));
  }
  const std::string text = doc.dump() + "\n";
  if (o.out.empty())
    std::cout << text;
  else
    write_text_atomic(o.out, text);
  if (o.common.verbose)
    std::cerr << "merged " << hist.n_bins << " bins to " << binnings.front().n_bins << " in "
              << seconds << " s on " << ctx.device_name() << ", LOC retained "
              << binnings.front().loc_after / binnings.front().loc_before << "\n";
}

}  // namespace

void add_merge_command(CLI::App& app) {
  auto o = std::make_shared<MergeCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "merge", "minimal-loss bin merging (MiLoMerge) of a fine histogram to a few bins");
  add_common_options(*cmd, o->common);
  cmd->add_option("--input", o->input,
                  "histogram JSON: counts (hypotheses x bins), optional pair_weights, metric, "
                  "target, edges");
  cmd->add_option("--events", o->events, "event file (.csv or .h5) to fill the fine histogram");
  cmd->add_option("--features", o->features, "feature columns, one per dimension")->delimiter(',');
  cmd->add_option("--process", o->process, "process id column: one hypothesis per process");
  cmd->add_option("--weight", o->weight, "event weight column (default: unit weights)");
  cmd->add_option("--edges", o->edges, "per feature: lo:hi:n or e0,e1,... (repeat in order)");
  cmd->add_option("--target", o->targets, "number of bins after merging (repeatable)");
  cmd->add_option("--metric", o->metric,
                  "determinant or loc_length (default: the input's, "
                  "else loc_length)");
  cmd->add_option("--merger", o->merger, "nonlocal (any two bins) or local (neighbours)")
      ->capture_default_str();
  cmd->add_option("--axis", o->axis, "local merger: the dimension merged along")
      ->capture_default_str();
  cmd->add_flag("--comp-to-first", o->comp_to_first,
                "score only the pairs (hypothesis 0, h): separate 0 from each other one");
  cmd->add_option("--out", o->out, "output JSON (default: stdout)");
  cmd->callback([o] { run_merge(*o); });
}

}  // namespace hepcat::cli
