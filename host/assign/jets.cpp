// Jet tables: validation and the device-resident JetSet.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "hepcat/error.hpp"
#include "hepcat/jets.hpp"
#include "hepcat/math/assign_kinematics.hpp"
#include "host/assign/jets_check.hpp"

namespace hepcat {

std::size_t JetTable::n_jets(std::size_t event) const {
  std::size_t n = 0;
  const std::uint8_t* m = mask.data() + event * max_jets;
  while (n < max_jets && m[n]) ++n;
  return n;
}

namespace detail {

namespace {

std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

void check_jets(const JetTable& t, const std::string& source, std::size_t min_jets,
                const JetFieldNames& names) {
  const auto fail = [&](const std::string& what) { throw Error(source + ": " + what); };
  const auto at = [](std::size_t i, std::size_t j) {
    return "event " + std::to_string(i) + ", jet " + std::to_string(j);
  };
  if (t.n_events == 0) fail("no events");
  if (t.max_jets == 0) fail("no jet slots");
  const std::size_t n = t.n_events * t.max_jets;
  const std::pair<const std::string*, std::size_t> sizes[] = {{&names.pt, t.pt.size()},
                                                              {&names.eta, t.eta.size()},
                                                              {&names.phi, t.phi.size()},
                                                              {&names.e, t.e.size()},
                                                              {&names.mask, t.mask.size()}};
  for (const auto& [name, size] : sizes)
    if (size != n)
      fail(*name + " has " + std::to_string(size) + " values, expected " +
           std::to_string(t.n_events) + " events x " + std::to_string(t.max_jets) + " jets");
  if (!t.weight.empty() && t.weight.size() != t.n_events)
    fail(names.weight + " has " + std::to_string(t.weight.size()) + " values, expected " +
         std::to_string(t.n_events));
  for (std::size_t i = 0; i < t.n_events; ++i) {
    bool padded = false;
    std::size_t real = 0;
    for (std::size_t j = 0; j < t.max_jets; ++j) {
      const std::size_t s = t.slot(i, j);
      if (t.mask[s] > 1)
        fail(names.mask + " has " + std::to_string(t.mask[s]) + " at " + at(i, j) +
             " (expected 0 or 1)");
      if (!t.mask[s]) {
        padded = true;
        continue;
      }
      if (padded)
        fail(names.mask + " is not a prefix at event " + std::to_string(i) + ": jet " +
             std::to_string(j) + " is real after a padded slot");
      ++real;
      const std::pair<const std::string*, float> values[] = {
          {&names.pt, t.pt[s]}, {&names.eta, t.eta[s]}, {&names.phi, t.phi[s]}, {&names.e, t.e[s]}};
      for (const auto& [name, v] : values)
        if (!std::isfinite(v)) fail(*name + " is " + number(v) + " at " + at(i, j));
      if (t.pt[s] < 0.f) fail(names.pt + " is negative (" + number(t.pt[s]) + ") at " + at(i, j));
      if (t.e[s] < 0.f) fail(names.e + " is negative (" + number(t.e[s]) + ") at " + at(i, j));
    }
    if (real < min_jets)
      fail("event " + std::to_string(i) + " has " + std::to_string(real) + " jets, at least " +
           std::to_string(min_jets) + " are needed");
  }
  for (std::size_t i = 0; i < t.weight.size(); ++i)
    if (!std::isfinite(t.weight[i]))
      fail(names.weight + " is " + number(t.weight[i]) + " at event " + std::to_string(i));
  if (t.truth.empty()) return;
  const std::size_t np = t.parents.size(), nd = t.daughters.size();
  if (np == 0 || nd == 0) fail(names.truth + " is given without parent or daughter names");
  if (t.truth.size() != t.n_events * np * nd)
    fail(names.truth + " has " + std::to_string(t.truth.size()) + " values, expected " +
         std::to_string(t.n_events) + " events x " + std::to_string(np) + " parents x " +
         std::to_string(nd) + " daughters");
  std::vector<int> owner(t.max_jets);
  for (std::size_t i = 0; i < t.n_events; ++i) {
    const auto nj = static_cast<std::int32_t>(t.n_jets(i));
    std::fill(owner.begin(), owner.end(), -1);
    for (std::size_t p = 0; p < np; ++p)
      for (std::size_t d = 0; d < nd; ++d) {
        const std::int32_t k = t.truth_jet(i, p, d);
        const std::string which = names.truth + " " + t.parents[p] + "/" + t.daughters[d];
        if (k < -1 || k >= nj)
          fail(which + " is " + std::to_string(k) + " at event " + std::to_string(i) +
               ", which has " + std::to_string(nj) + " jets (expected -1 or a jet index)");
        if (k < 0) continue;
        const int code = static_cast<int>(p * nd + d);
        if (owner[k] >= 0)
          fail(which + " and " + names.truth + " " + t.parents[owner[k] / nd] + "/" +
               t.daughters[owner[k] % nd] + " both give jet " + std::to_string(k) + " at event " +
               std::to_string(i));
        owner[k] = code;
      }
  }
}

}  // namespace detail

void validate_jets(const JetTable& table, const std::string& source, std::size_t min_jets) {
  detail::check_jets(table, source, min_jets, {});
}

AssignmentScore score_assignment(const JetTable& t, const std::vector<std::int8_t>& category,
                                 std::size_t reach) {
  if (!t.has_truth()) throw Error("cannot score an assignment: the jets have no truth");
  if (category.size() != t.n_events * t.max_jets)
    throw Error("cannot score an assignment: " + std::to_string(category.size()) +
                " categories for " + std::to_string(t.n_events) + " events x " +
                std::to_string(t.max_jets) + " jets");
  const std::size_t np = t.parents.size(), nd = t.daughters.size();
  const std::size_t limit = reach == 0 ? t.max_jets : reach;
  AssignmentScore score;
  score.event_correct.assign(t.n_events, -1);
  score.parent_correct.assign(t.n_events * np, -1);
  std::vector<int> cat(np);  // each parent's common category, -1 when its jets disagree
  std::vector<std::uint8_t> scored(np);
  for (std::size_t i = 0; i < t.n_events; ++i) {
    const std::int8_t* c = category.data() + i * t.max_jets;
    for (std::size_t p = 0; p < np; ++p) {
      scored[p] = 1;
      cat[p] = -2;
      for (std::size_t d = 0; d < nd; ++d) {
        const std::int32_t k = t.truth_jet(i, p, d);
        if (k < 0 || static_cast<std::size_t>(k) >= limit) {
          scored[p] = 0;
          break;
        }
        const int ck = c[k];
        cat[p] = (ck < 0 || (cat[p] != -2 && cat[p] != ck)) ? -1 : ck;
      }
    }
    bool all_scored = true, all_correct = true;
    for (std::size_t p = 0; p < np; ++p) {
      if (!scored[p]) {
        all_scored = false;
        continue;
      }
      bool correct = cat[p] >= 0;
      // No jet of another parent may carry this parent's category.
      for (std::size_t q = 0; q < np && correct; ++q)
        for (std::size_t d = 0; d < nd && q != p; ++d) {
          const std::int32_t k = t.truth_jet(i, q, d);
          if (k >= 0 && c[k] == cat[p]) correct = false;
        }
      ++score.parents;
      score.parents_correct += correct;
      score.parent_correct[i * np + p] = correct ? 1 : 0;
      all_correct = all_correct && correct;
    }
    if (!all_scored) continue;
    ++score.events;
    score.events_correct += all_correct;
    score.event_correct[i] = all_correct ? 1 : 0;
  }
  return score;
}

std::vector<float> truth_masses(const JetTable& t) {
  if (!t.has_truth()) throw Error("cannot compute truth masses: the jets have no truth");
  const std::size_t np = t.parents.size(), nd = t.daughters.size();
  std::vector<float> out(t.n_events * np);
  for (std::size_t i = 0; i < t.n_events; ++i)
    for (std::size_t p = 0; p < np; ++p) {
      math::P4<double> sum{0, 0, 0, 0};
      bool complete = true;
      for (std::size_t d = 0; d < nd && complete; ++d) {
        const std::int32_t k = t.truth_jet(i, p, d);
        complete = k >= 0;
        if (!complete) break;
        const std::size_t s = t.slot(i, static_cast<std::size_t>(k));
        sum = sum + math::jet_p4<double>(t.pt[s], t.eta[s], t.phi[s], t.e[s]);
      }
      out[i * np + p] = complete ? static_cast<float>(math::invariant_mass(sum)) : NAN;
    }
  return out;
}

JetSet::JetSet(const Context& ctx, const JetTable& t)
    : n_events_(t.n_events), max_jets_(t.max_jets), parents_(t.parents), daughters_(t.daughters) {
  validate_jets(t, "jets", 0);
  pt_ = Buffer<float>(ctx, t.pt);
  eta_ = Buffer<float>(ctx, t.eta);
  phi_ = Buffer<float>(ctx, t.phi);
  e_ = Buffer<float>(ctx, t.e);
  mask_ = Buffer<std::uint8_t>(ctx, t.mask);
  const std::vector<float> w = t.weight.empty() ? std::vector<float>(t.n_events, 1.f) : t.weight;
  weight_ = Buffer<float>(ctx, w);
  weight_sum_ = std::accumulate(w.begin(), w.end(), 0.0);
  if (!t.truth.empty()) truth_ = Buffer<std::int32_t>(ctx, t.truth);
}

}  // namespace hepcat
