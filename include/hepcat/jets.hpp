// Jet events for combinatorial assignment (ABC layer, mass-asymmetry baseline): a fixed maximum
// number of jet slots per event with a mask, per-jet (pt, eta, phi, E), optional event weights and
// optional truth (the jet each parent's daughter parton became).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hepcat/api.hpp"
#include "hepcat/buffer.hpp"
#include "hepcat/context.hpp"

namespace hepcat {

/// Host-side jet events. Per-jet arrays are row-major [n_events][max_jets]; pt and E in GeV.
/// The real jets of an event form a prefix of its slots (mask 1), padded slots hold 0.
struct JetTable {
  std::size_t n_events = 0, max_jets = 0;
  std::vector<float> pt, eta, phi, e;
  std::vector<std::uint8_t> mask;      ///< 1 = real jet
  std::vector<float> weight;           ///< empty: every event has weight 1
  std::vector<std::string> parents;    ///< e.g. {"t1", "t2"}; empty without truth
  std::vector<std::string> daughters;  ///< e.g. {"b", "q1", "q2"}, the same for every parent
  /// Empty, or [n_events][parents][daughters]: the jet slot of that parton, -1 = no jet.
  std::vector<std::int32_t> truth;

  std::size_t slot(std::size_t event, std::size_t jet) const { return event * max_jets + jet; }
  std::size_t n_jets(std::size_t event) const;  ///< real jets of `event`
  bool has_truth() const { return !truth.empty(); }
  std::int32_t truth_jet(std::size_t event, std::size_t parent, std::size_t daughter) const {
    return truth[(event * parents.size() + parent) * daughters.size() + daughter];
  }
};

/// Options for read_jets.
struct JetReadOptions {
  /// Events with fewer real jets are an error (two triplets need 6).
  std::size_t min_jets = 6;
  /// Unit of `source/pt` in the ABC layout: "MeV" or "GeV"; empty means the dataset's `unit`
  /// attribute when it has one, else MeV (the published ABC files store pt in MeV and E in GeV;
  /// `source/e` likewise follows its `unit` attribute, else GeV).
  std::string abc_pt_unit;
};

/// Reads jet events from HDF5 in either layout (chosen by which groups exist):
/// - SPANet: `INPUTS/Source/{MASK, pt, eta, phi}` [N][J] with `mass` (E = sqrt((pt cosh eta)^2 +
///   mass^2), computed in double) or `e`/`E`; optional `TARGETS/<parent>/<daughter>` [N] jet
///   indices (-1 = no jet; parents and daughters in the file's creation order, else alphabetical;
///   every parent must have the same daughters); optional `WEIGHTS/weight` [N].
/// - ABC code: `source/{pt, eta, phi, e}` [N][J], real jets are the slots with E != 0 (a
///   negative E is then reported; see JetReadOptions for units); optional `source/weight` [N].
/// The result is validated as by validate_jets; padded slots are set to 0.
HEPCAT_API JetTable read_jets(const std::string& path, const JetReadOptions& options = {});

/// Throws Error naming `source`, the quantity and the first offending event for: inconsistent
/// array lengths, no events, NaN or infinite values in real jets or weights, negative pt or E,
/// a mask that is not a prefix of the slots, fewer than `min_jets` real jets, truth indices
/// outside [-1, n_jets) or a jet given to two partons.
HEPCAT_API void validate_jets(const JetTable& table, const std::string& source,
                              std::size_t min_jets = 6);

/// Writes jets in SPANet's layout (`INPUTS/Source/{MASK, pt, eta, phi, mass}` float32 with MASK a
/// boolean as h5py writes it, `TARGETS/<parent>/<daughter>` int64 when there is truth,
/// `WEIGHTS/weight` when there are weights), atomically, after validate_jets(table, path, 0).
/// The mass is sqrt(max(E^2 - (pt cosh eta)^2, 0)) in double; E read back is recomputed from it,
/// so it round-trips to float rounding (exactly when E came from jet_energy of a float mass).
HEPCAT_API void write_jets(const std::string& path, const JetTable& table);

/// Purity of a jet assignment against the truth, as SPANet counts it: only parents whose truth
/// jets all exist are scored (and, with `reach` > 0, only when they all lie among the leading
/// `reach` jets); an event is scored when all its parents are.
struct AssignmentScore {
  std::size_t events = 0, events_correct = 0;
  std::size_t parents = 0, parents_correct = 0;
  std::vector<std::int8_t> event_correct;   ///< per event: 1, 0, or -1 when not scored
  std::vector<std::int8_t> parent_correct;  ///< [n_events][parents]: 1, 0, or -1 when not scored
  double event_purity() const { return events ? double(events_correct) / events : 0.0; }
  double parent_purity() const { return parents ? double(parents_correct) / parents : 0.0; }
};

/// Scores per-jet categories [n_events][max_jets] (0 .. T-1 for the parent candidates, -1 for
/// none) against the table's truth. A parent is correct when its truth jets all carry one
/// category c >= 0 and no truth jet of another parent carries c; an event is correct when all
/// its parents are. Jets outside the truth are ignored ("restricted to the truth jets"), so an
/// assignment of exactly three jets per candidate is correct exactly when the candidates are
/// the truth triplets, in either order. Throws Error without truth or for a category array of
/// another size.
HEPCAT_API AssignmentScore score_assignment(const JetTable& table,
                                            const std::vector<std::int8_t>& category,
                                            std::size_t reach = 0);

/// The invariant mass of each parent's truth jets, [n_events][parents] in GeV, computed in
/// double; NaN where a daughter has no jet. Throws Error without truth.
HEPCAT_API std::vector<float> truth_masses(const JetTable& table);

/// Jet events resident on the context's backend, uploaded once, like EventSet. Per-jet arrays
/// are [n_events][max_jets] row-major; pointers are device memory on CUDA, host memory on the CPU.
class HEPCAT_API JetSet {
 public:
  /// Validates (validate_jets with min_jets 0, `source` "jets") and uploads.
  JetSet(const Context& ctx, const JetTable& table);

  std::size_t size() const { return n_events_; }
  std::size_t max_jets() const { return max_jets_; }
  Backend backend() const { return pt_.backend(); }

  const float* pt() const { return pt_.data(); }
  const float* eta() const { return eta_.data(); }
  const float* phi() const { return phi_.data(); }
  const float* e() const { return e_.data(); }
  const std::uint8_t* mask() const { return mask_.data(); }
  const float* weight() const { return weight_.data(); }  ///< always n_events values
  /// [n_events][n_parents][n_daughters], or null without truth.
  const std::int32_t* truth() const { return truth_.empty() ? nullptr : truth_.data(); }
  std::size_t n_parents() const { return parents_.size(); }
  std::size_t n_daughters() const { return daughters_.size(); }
  const std::vector<std::string>& parents() const { return parents_; }
  const std::vector<std::string>& daughters() const { return daughters_; }
  double weight_sum() const { return weight_sum_; }  ///< computed on the host at upload

 private:
  std::size_t n_events_ = 0, max_jets_ = 0;
  Buffer<float> pt_, eta_, phi_, e_;
  Buffer<std::uint8_t> mask_;
  Buffer<float> weight_;
  Buffer<std::int32_t> truth_;
  std::vector<std::string> parents_, daughters_;
  double weight_sum_ = 0;
};

}  // namespace hepcat
