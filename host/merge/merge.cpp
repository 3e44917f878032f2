#include "hepcat/merge.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <queue>
#include <string>
#include <tuple>

#include "hepcat/error.hpp"
#include "hepcat/math/merge.hpp"
#include "host/merge/merge_cpu.hpp"

#include "hepcat/buffer.hpp"
#include "host/engine/enum_names.hpp"
#ifdef HEPCAT_HAVE_CUDA
#include "kernels/merge.hpp"
#endif

namespace hepcat {
namespace {

using cpu::MergePair;

std::string str(long v) {
  return std::to_string(v);
}

std::size_t edge_bins(const std::vector<std::vector<double>>& edges) {
  std::size_t n = 1;
  for (const auto& e : edges) n *= e.size() - 1;
  return n;
}

void validate_edges(const std::vector<std::vector<double>>& edges, const std::string& what) {
  for (std::size_t d = 0; d < edges.size(); ++d) {
    const auto& e = edges[d];
    if (e.size() < 2)
      throw Error(what + ": dimension " + str(d) + " needs at least 2 edges, got " + str(e.size()));
    for (std::size_t k = 0; k < e.size(); ++k) {
      if (!std::isfinite(e[k]))
        throw Error(what + ": edge " + str(k) + " of dimension " + str(d) + " is not finite");
      if (k > 0 && !(e[k] > e[k - 1]))
        throw Error(what + ": edges of dimension " + str(d) + " are not strictly increasing at " +
                    str(k));
    }
  }
}

// The score parameters with W (ones when not given) and the loc_length coefficients; `storage`
// owns what the params point to: W first, then c.
math::MergeScoreParams<double> score_params(int n_hyp, const MergeOptions& options,
                                            std::vector<double>& storage) {
  if (n_hyp < 2) throw Error("merge: need at least 2 hypotheses, got " + str(n_hyp));
  if (n_hyp > math::kMaxMergeHypotheses)
    throw Error("merge: at most " + str(math::kMaxMergeHypotheses) + " hypotheses, got " +
                str(n_hyp));
  const std::size_t nn = static_cast<std::size_t>(n_hyp) * n_hyp;
  storage.assign(nn + n_hyp, 1.0);
  if (!options.pair_weights.empty()) {
    if (options.pair_weights.size() != nn)
      throw Error("merge: pair_weights must be " + str(n_hyp) + " x " + str(n_hyp) + ", got " +
                  str(options.pair_weights.size()) + " values");
    for (std::size_t k = 0; k < nn; ++k)
      if (!std::isfinite(options.pair_weights[k]))
        throw Error("merge: pair_weights entry " + str(k) + " is not finite");
    std::copy(options.pair_weights.begin(), options.pair_weights.end(), storage.begin());
  }
  math::MergeScoreParams<double> p;
  p.n_hyp = n_hyp;
  p.loc_length = options.metric == MergeMetric::loc_length;
  p.comp_to_first = options.comp_to_first;
  p.w = storage.data();
  math::loc_length_coefficients(p.w, n_hyp, p.comp_to_first, storage.data() + nn);
  p.c = storage.data() + nn;
  return p;
}

std::vector<int> checked_targets(const std::vector<int>& targets, int n_bins) {
  if (targets.empty()) throw Error("merge: no target number of bins given");
  for (int t : targets)
    if (t < 1 || t > n_bins)
      throw Error("merge: target " + str(t) + " outside [1, " + str(n_bins) + "]");
  return targets;
}

// The partition after the first `count` merges: each merge joins the groups whose lowest
// original bins are pair.first < pair.second, so the survivor's id stays its lowest bin.
MergedBinning binning_after(const Histogram& hist, const std::vector<MergePair>& merges,
                            std::size_t count) {
  const int n = hist.n_bins;
  std::vector<int> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  for (std::size_t k = 0; k < count; ++k) parent[merges[k].second] = merges[k].first;
  MergedBinning out;
  std::vector<int> index(n, -1);
  out.map.resize(n);
  for (int b = 0; b < n; ++b) {
    int r = b;
    while (parent[r] != r) r = parent[r];
    parent[b] = r;  // r < b, already compressed: later lookups are one step
    if (index[r] < 0) {
      index[r] = out.n_bins++;
      out.groups.emplace_back();
    }
    out.map[b] = index[r];
    out.groups[index[r]].push_back(b);
  }
  out.counts.assign(static_cast<std::size_t>(hist.n_hyp) * out.n_bins, 0.0);
  for (int h = 0; h < hist.n_hyp; ++h)
    for (int b = 0; b < n; ++b)
      out.counts[static_cast<std::size_t>(h) * out.n_bins + out.map[b]] += hist.at(h, b);
  return out;
}

#ifdef HEPCAT_HAVE_CUDA
// The GPU loop: device-resident state and a device-resident greedy loop. Each round queues
// iterations, at most as many as merges remain (an iteration merges unless it rescans a stale
// bin), then reads the bins left: one synchronisation per round, not per merge. A round captures
// and instantiates a graph (about a millisecond of host time while the device waits), so rounds are
// at least 1024 iterations long, or 1/200 of the merges when that is longer: progress comes at
// most 200 times, and less often than from the CPU loop for merges under 200k bins.
std::vector<MergePair> cuda_nonlocal_merges(Context& ctx, const Histogram& hist, int target,
                                            const std::vector<double>& host_params,
                                            math::MergeScoreParams<double> p,
                                            const std::function<void(long, long)>& progress) {
  const int n = hist.n_bins;
  const long total = n - target;
  auto stream = static_cast<cudaStream_t>(ctx.stream());
  Buffer<double> v(ctx, hist.counts), root(ctx, n), best_score(ctx, n), params(ctx, host_params);
  Buffer<int> id(ctx, n), pos_of(ctx, n), best_partner(ctx, n), stale(ctx, n),
      step(ctx, cuda::merge_step_ints()), pairs(ctx, 2 * static_cast<std::size_t>(total));
  Buffer<char> partials(ctx, cuda::merge_partials_bytes(n));
  p.w = params.data();
  p.c = params.data() + static_cast<std::size_t>(hist.n_hyp) * hist.n_hyp;
  cuda::MergeDeviceState s;
  s.v = v.data();
  s.root = root.data();
  s.id = id.data();
  s.pos_of = pos_of.data();
  s.best_score = best_score.data();
  s.best_partner = best_partner.data();
  s.stale = stale.data();
  s.partials = partials.data();
  s.step = step.data();
  s.pairs = pairs.data();
  s.cap = n;
  cuda::launch_merge_init(s, p, n, stream);
  const long every = std::max(1024L, total / 200);
  std::vector<int> record(cuda::merge_step_ints());
  for (long left = total; left > 0;) {
    const int count = static_cast<int>(std::min(left, every));
    cuda::launch_merge_iterations(s, p, target, count, stream);
    memory::copy_to_host(ctx, record.data(), s.step, record.size() * sizeof(int));
    left = record[cuda::kMergeStepBins] - target;
    if (progress) progress(record[cuda::kMergeStepMerges], total);
  }
  std::vector<int> flat(2 * static_cast<std::size_t>(total));
  memory::copy_to_host(ctx, flat.data(), s.pairs, flat.size() * sizeof(int));
  std::vector<MergePair> merges;
  merges.reserve(total);
  for (long k = 0; k < total; ++k) merges.emplace_back(flat[2 * k], flat[2 * k + 1]);
  return merges;
}
#endif

std::vector<MergedBinning> binnings_at(const Histogram& hist, const std::vector<MergePair>& merges,
                                       const std::vector<int>& targets) {
  const std::vector<double> total = loc_normalisation(hist);
  const double before = loc_length(hist, total);
  std::vector<MergedBinning> out;
  for (int t : targets) {
    MergedBinning m = binning_after(hist, merges, hist.n_bins - t);
    Histogram merged;
    merged.n_hyp = hist.n_hyp;
    merged.n_bins = m.n_bins;
    merged.counts = m.counts;
    m.loc_before = before;
    m.loc_after = loc_length(merged, total);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

void Histogram::validate(const std::string& what) const {
  if (n_hyp < 1) throw Error(what + ": no hypotheses");
  if (n_bins < 1) throw Error(what + ": no bins");
  if (counts.size() != static_cast<std::size_t>(n_hyp) * n_bins)
    throw Error(what + ": " + str(counts.size()) + " counts for " + str(n_hyp) + " hypotheses x " +
                str(n_bins) + " bins");
  for (std::size_t k = 0; k < counts.size(); ++k)
    if (!std::isfinite(counts[k]))
      throw Error(what + ": count of hypothesis " + str(k / n_bins) + ", bin " + str(k % n_bins) +
                  " is not finite");
  if (!edges.empty()) {
    validate_edges(edges, what);
    if (edge_bins(edges) != static_cast<std::size_t>(n_bins))
      throw Error(what + ": edges describe " + str(edge_bins(edges)) + " bins, counts have " +
                  str(n_bins));
  }
}

namespace {
const detail::EnumName<MergeMetric> kMetricNames[] = {{MergeMetric::determinant, "determinant"},
                                                      {MergeMetric::loc_length, "loc_length"}};
}  // namespace

const char* to_string(MergeMetric metric) {
  return detail::enum_to_string(kMetricNames, metric);
}

MergeMetric parse_merge_metric(const std::string& text) {
  return detail::parse_enum(kMetricNames, text, "merge metric");
}

std::vector<MergedBinning> merge_nonlocal(Context& ctx, const Histogram& hist,
                                          const std::vector<int>& targets,
                                          const MergeOptions& options) {
  hist.validate("merge_nonlocal");
  const std::vector<int> wanted = checked_targets(targets, hist.n_bins);
  std::vector<double> storage;
  const math::MergeScoreParams<double> params = score_params(hist.n_hyp, options, storage);
  const int last = *std::min_element(wanted.begin(), wanted.end());
  std::vector<MergePair> merges;
#ifdef HEPCAT_HAVE_CUDA
  if (ctx.is_cuda())
    merges = cuda_nonlocal_merges(ctx, hist, last, storage, params, options.progress);
#endif
  if (!ctx.is_cuda())
    merges = cpu::nonlocal_merges(hist.counts.data(), hist.n_hyp, hist.n_bins, last, params,
                                  options.progress);
  return binnings_at(hist, merges, wanted);
}

Histogram project_histogram(const Histogram& hist, int axis) {
  hist.validate("project_histogram");
  const int dims = hist.edges.empty() ? 1 : static_cast<int>(hist.edges.size());
  if (axis < 0 || axis >= dims)
    throw Error("project_histogram: axis " + str(axis) + " outside [0, " + str(dims) + ")");
  if (dims == 1) return hist;
  std::size_t inner = 1;  // C order: the stride of `axis` is the product of later dimensions
  for (int d = axis + 1; d < dims; ++d) inner *= hist.edges[d].size() - 1;
  const int n_axis = static_cast<int>(hist.edges[axis].size() - 1);
  Histogram out;
  out.n_hyp = hist.n_hyp;
  out.n_bins = n_axis;
  out.edges = {hist.edges[axis]};
  out.counts.assign(static_cast<std::size_t>(hist.n_hyp) * n_axis, 0.0);
  for (int h = 0; h < hist.n_hyp; ++h)
    for (int b = 0; b < hist.n_bins; ++b)
      out.counts[static_cast<std::size_t>(h) * n_axis + (b / inner) % n_axis] += hist.at(h, b);
  return out;
}

std::vector<MergedBinning> merge_local(Context&, const Histogram& hist,
                                       const std::vector<int>& targets, const MergeOptions& options,
                                       int axis) {
  const Histogram line = project_histogram(hist, axis);
  const std::vector<int> wanted = checked_targets(targets, line.n_bins);
  std::vector<double> storage;
  const math::MergeScoreParams<double> p = score_params(line.n_hyp, options, storage);
  const int n = line.n_bins, nh = line.n_hyp;
  const int last = *std::min_element(wanted.begin(), wanted.end());

  // Bins as a linked list of groups (id = leftmost original bin) with summed vectors; the heap
  // holds neighbour pairs keyed by (score, left id); an entry is current while both of its
  // groups are unchanged since it was pushed (their versions match).
  std::vector<double> v(static_cast<std::size_t>(n) * nh), root(n, 0.0);
  for (int b = 0; b < n; ++b)
    for (int h = 0; h < nh; ++h) v[static_cast<std::size_t>(b) * nh + h] = line.at(h, b);
  std::vector<int> next(n), prev(n), version(n, 0);
  for (int b = 0; b < n; ++b) {
    next[b] = b + 1 < n ? b + 1 : -1;
    prev[b] = b - 1;
    if (p.loc_length) root[b] = math::loc_root_t(p, v.data() + std::size_t(b) * nh, 1);
  }
  using Entry = std::tuple<double, int, int, int, int>;  // score, left, right, versions
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  auto push = [&](int l, int r) {
    if (l < 0 || r < 0) return;
    const double s = math::merge_score(p, v.data() + std::size_t(l) * nh, 1, root[l],
                                       v.data() + std::size_t(r) * nh, 1, root[r]);
    heap.emplace(s, l, r, version[l], version[r]);
  };
  for (int b = 0; b + 1 < n; ++b) push(b, b + 1);
  std::vector<MergePair> merges;
  const long total = n - last;
  const long every = std::max(1L, total / 200);
  while (static_cast<long>(merges.size()) < total) {
    const Entry top = heap.top();
    heap.pop();
    const int l = std::get<1>(top), r = std::get<2>(top);
    if (std::get<3>(top) != version[l] || std::get<4>(top) != version[r]) continue;
    for (int h = 0; h < nh; ++h) v[std::size_t(l) * nh + h] += v[std::size_t(r) * nh + h];
    if (p.loc_length) root[l] = math::loc_root_t(p, v.data() + std::size_t(l) * nh, 1);
    ++version[l];
    ++version[r];
    next[l] = next[r];
    if (next[r] >= 0) prev[next[r]] = l;
    merges.emplace_back(l, r);
    push(prev[l], l);
    push(l, next[l]);
    if (options.progress && static_cast<long>(merges.size()) % every == 0)
      options.progress(static_cast<long>(merges.size()), total);
  }
  std::vector<MergedBinning> out = binnings_at(line, merges, wanted);
  for (MergedBinning& m : out) {
    for (const auto& g : m.groups)
      m.edges.push_back(line.edges.empty() ? g.front() : line.edges[0][g.front()]);
    m.edges.push_back(line.edges.empty() ? n : line.edges[0].back());
  }
  return out;
}

std::vector<double> loc_normalisation(const Histogram& hist) {
  std::vector<double> total(hist.n_hyp, 0.0);
  for (int h = 0; h < hist.n_hyp; ++h)
    for (int b = 0; b < hist.n_bins; ++b) total[h] += std::abs(hist.at(h, b));
  return total;
}

double loc_length(const Histogram& hist, const std::vector<double>& normalisation) {
  hist.validate("loc_length");
  const std::vector<double> total = normalisation.empty() ? loc_normalisation(hist) : normalisation;
  if (total.size() != static_cast<std::size_t>(hist.n_hyp))
    throw Error("loc_length: " + str(total.size()) + " normalisations for " + str(hist.n_hyp) +
                " hypotheses");
  std::vector<double> scale(hist.n_hyp);
  for (int h = 0; h < hist.n_hyp; ++h) {
    if (!(total[h] > 0)) throw Error("loc_length: hypothesis " + str(h) + " is empty");
    scale[h] = 1.0 / total[h];
  }
  double loc = 0;
  std::vector<double> x(hist.n_hyp);
  for (int b = 0; b < hist.n_bins; ++b) {
    for (int h = 0; h < hist.n_hyp; ++h) x[h] = hist.at(h, b) * scale[h];
    loc += math::loc_term(x.data(), 1, hist.n_hyp);
  }
  return loc;
}

LocSummary loc_summary(double before, double after, int n_hyp) {
  LocSummary s;
  s.before = before;
  s.after = after;
  s.retained = before != 0 ? after / before : 0;
  const double none = std::sqrt(static_cast<double>(n_hyp));
  s.separation = before != none ? (after - none) / (before - none) : 0;
  return s;
}

RocCurve roc_curve(const Histogram& hist, int signal, int background) {
  hist.validate("roc_curve");
  for (int h : {signal, background})
    if (h < 0 || h >= hist.n_hyp)
      throw Error("roc_curve: hypothesis " + str(h) + " outside [0, " + str(hist.n_hyp) + ")");
  double ts = 0, tb = 0;
  for (int b = 0; b < hist.n_bins; ++b) {
    const double s = hist.at(signal, b), bg = hist.at(background, b);
    if (s < 0 || bg < 0)
      throw Error("roc_curve: negative count in bin " + str(b) +
                  " (ROC needs non-negative counts)");
    ts += s;
    tb += bg;
  }
  if (!(ts > 0 && tb > 0)) throw Error("roc_curve: a hypothesis has no entries");
  std::vector<int> order(hist.n_bins);
  std::iota(order.begin(), order.end(), 0);
  // Decreasing s/b without dividing (empty background bins come first).
  std::stable_sort(order.begin(), order.end(), [&](int i, int j) {
    return hist.at(signal, i) * hist.at(background, j) >
           hist.at(signal, j) * hist.at(background, i);
  });
  RocCurve roc;
  roc.background_efficiency.push_back(0);
  roc.signal_efficiency.push_back(0);
  double cs = 0, cb = 0;
  for (int b : order) {
    const double x0 = cb / tb, y0 = cs / ts;
    cs += hist.at(signal, b);
    cb += hist.at(background, b);
    const double x1 = cb / tb, y1 = cs / ts;
    roc.auc += 0.5 * (x1 - x0) * (y0 + y1);
    roc.background_efficiency.push_back(x1);
    roc.signal_efficiency.push_back(y1);
  }
  return roc;
}

std::vector<std::int32_t> place_events(Context& ctx, const std::vector<int>& map,
                                       const std::vector<std::vector<double>>& edges,
                                       const EventSet& events, const std::vector<int>& features) {
  if (edges.empty()) throw Error("place_events: no edges given");
  validate_edges(edges, "place_events");
  if (features.size() != edges.size())
    throw Error("place_events: " + str(features.size()) + " features for " + str(edges.size()) +
                " dimensions of edges");
  for (int f : features)
    if (f < 0 || f >= events.n_features())
      throw Error("place_events: feature index " + str(f) + " outside [0, " +
                  str(events.n_features()) + ")");
  if (events.backend() != ctx.backend())
    throw Error("place_events: events live on another backend than the context");
  const std::size_t n_fine = edge_bins(edges);
  if (n_fine > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw Error("place_events: " + str(n_fine) + " bins overflow a 32-bit index");
  if (!map.empty() && map.size() != n_fine)
    throw Error("place_events: the map covers " + str(map.size()) + " bins, the edges " +
                str(n_fine));
  std::vector<double> flat;
  std::vector<int> offsets{0};
  for (const auto& e : edges) {
    flat.insert(flat.end(), e.begin(), e.end());
    offsets.push_back(static_cast<int>(flat.size()));
  }
  const int n_dims = static_cast<int>(edges.size());
  std::vector<const float*> columns;
  for (int f : features) columns.push_back(events.feature(f));
  std::vector<std::int32_t> out(events.size());
#ifdef HEPCAT_HAVE_CUDA
  if (ctx.is_cuda()) {
    const Buffer<const float*> d_columns(ctx, columns);
    const Buffer<int> d_offsets(ctx, offsets), d_map(ctx, map);
    const Buffer<double> d_edges(ctx, flat);
    Buffer<std::int32_t> d_out(ctx, out.size());
    cuda::launch_place_events(d_columns.data(), events.size(), n_dims, d_edges.data(),
                              d_offsets.data(), map.empty() ? nullptr : d_map.data(), d_out.data(),
                              static_cast<cudaStream_t>(ctx.stream()));
    return d_out.to_host(ctx);
  }
#endif
  cpu::place_events(columns.data(), events.size(), n_dims, flat.data(), offsets.data(),
                    map.empty() ? nullptr : map.data(), out.data());
  return out;
}

Histogram fill_histogram(Context& ctx, const EventSet& events, const std::vector<int>& features,
                         const std::vector<std::vector<double>>& edges) {
  const std::vector<std::int32_t> bins = place_events(ctx, {}, edges, events, features);
  Histogram hist;
  hist.n_hyp = events.n_processes();
  hist.n_bins = static_cast<int>(edge_bins(edges));
  hist.edges = edges;
  hist.counts.assign(static_cast<std::size_t>(hist.n_hyp) * hist.n_bins, 0.0);
  std::vector<float> weights(events.size());
  std::vector<std::int32_t> process(events.size());
  memory::copy_to_host(ctx, weights.data(), events.weights(), weights.size() * sizeof(float));
  memory::copy_to_host(ctx, process.data(), events.process(),
                       process.size() * sizeof(std::int32_t));
  for (std::size_t i = 0; i < bins.size(); ++i)
    hist.counts[static_cast<std::size_t>(process[i]) * hist.n_bins + bins[i]] += weights[i];
  return hist;
}

}  // namespace hepcat
