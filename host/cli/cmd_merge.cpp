// hepcat merge: minimal-loss bin merging (SCIENCE.md section 2) of a fine histogram given as JSON
// or filled from events, to one or several target numbers of bins.
#include <algorithm>
#include <chrono>
#include <cmath>
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
#include "host/cli/progress.hpp"

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

Histogram histogram_from_events(Context& ctx, const MergeCliOptions& o) {
  if (o.features.empty()) throw Error("--events needs --features");
  if (o.edges.size() != o.features.size())
    throw Error("--edges must be given once per feature: " + std::to_string(o.features.size()) +
                " features, " + std::to_string(o.edges.size()) + " --edges");
  std::vector<std::string> columns = o.features;
  if (!o.process.empty()) columns.push_back(o.process);
  if (!o.weight.empty()) columns.push_back(o.weight);
  const EventTable table = read_checked_table(o.events, columns);
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

// Negative entries (interference terms, negative event weights) are merged like any other: LOC
// uses each hypothesis' sum of |counts|. The share of separation kept compares against the LOC
// of identical hypotheses, which is not a lower bound once entries can cancel, so it is left out.
json binning_json(const MergedBinning& m, int n_hyp, bool local, bool negative_counts) {
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
              {"separation_retained", negative_counts ? json() : json(s.separation)}};
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
  if (!o.out.empty()) check_output(o.out);

  MergeOptions options;
  Histogram hist;
  if (!o.input.empty()) {
    HistogramFile file = read_histogram_json(o.input);
    hist = std::move(file.histogram);
    options.pair_weights = std::move(file.pair_weights);
    if (o.targets.empty() && file.target) o.targets = {*file.target};
    if (o.metric.empty()) o.metric = file.metric;
  } else {
    hist = histogram_from_events(ctx, o);
  }
  if (o.targets.empty()) throw Error("no --target given (and none in the input)");
  options.metric = parse_merge_metric(o.metric.empty() ? "loc_length" : o.metric);
  options.comp_to_first = o.comp_to_first;
  std::unique_ptr<Progress> line;
  if (stderr_is_terminal())
    options.progress = [&line](long done, long total) {
      if (!line) line = std::make_unique<Progress>("merge", total);
      line->update(done);
    };

  const auto start = std::chrono::steady_clock::now();
  const std::vector<MergedBinning> binnings =
      o.merger == "local" ? merge_local(ctx, hist, o.targets, options, o.axis)
                          : merge_nonlocal(ctx, hist, o.targets, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  line.reset();

  const bool local = o.merger == "local";
  const auto negative = static_cast<long>(
      std::count_if(hist.counts.begin(), hist.counts.end(), [](double c) { return c < 0; }));
  json doc = binning_json(binnings.front(), hist.n_hyp, local, negative > 0);
  doc["negative_counts"] = negative;
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
      doc["binnings"].push_back(binning_json(m, hist.n_hyp, local, negative > 0));
  }
  const std::string text = doc.dump() + "\n";
  if (o.out.empty())
    std::cout << text;
  else
    write_text_atomic(o.out, text);
  if (negative > 0)
    std::cerr << "hepcat: note: " << negative
              << " negative counts merged as signed entries; LOC uses sum |counts| per "
                 "hypothesis and separation_retained is not reported (docs/merging.md)\n";
  if (o.common.verbose)
    std::cerr << "merged " << hist.n_bins << " bins to " << binnings.front().n_bins << " in "
              << seconds << " s on " << ctx.device_name() << ", LOC retained "
              << binnings.front().loc_after / binnings.front().loc_before << "\n";
}

}  // namespace

void add_merge_command(CLI::App& app) {
  auto o = std::make_shared<MergeCliOptions>();
  CLI::App* cmd = add_command(
      app, "merge", "minimal-loss bin merging (MiLoMerge) of a fine histogram to a few bins", o,
      run_merge);
  cmd->add_option("--input", o->input,
                  "histogram JSON: counts (hypotheses x bins), optional pair_weights, metric, "
                  "target, edges");
  cmd->add_option("--events", o->events, "event file (.csv or .h5) to fill the fine histogram");
  add_list_option(*cmd, "--features", o->features, "feature columns, one per dimension");
  cmd->add_option("--process", o->process, "process id column: one hypothesis per process");
  cmd->add_option("--weight", o->weight, "event weight column (default: unit weights)");
  cmd->add_option("--edges", o->edges, "per feature: lo:hi:n or e0,e1,... (repeat in order)");
  add_list_option(*cmd, "--target", o->targets,
                  "numbers of bins after merging, e.g. 3,2 (the first is the main result)");
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
}

}  // namespace hepcat::cli
