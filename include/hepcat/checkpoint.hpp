// Checkpoints of training runs: everything needed to continue a run so that it ends exactly as
// an uninterrupted one would. One format for every trainer (cuts, splitfit, binning, assignment).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hepcat/api.hpp"

namespace hepcat {

struct Checkpoint {
  std::string command;  ///< the trainer that wrote it, e.g. "cuts"
  /// What the run depends on, as (name, value) pairs: the input files' fingerprints and every
  /// setting that changes the result. A resume must present the same list.
  std::vector<std::pair<std::string, std::string>> settings;
  long epoch = 0;                      ///< epochs (optimiser steps) completed
  std::vector<float> parameters;       ///< the trained parameters after `epoch` epochs
  long optimizer_steps = 0;            ///< the optimiser's step count (bias corrections)
  std::vector<float> optimizer_state;  ///< the optimiser's state buffers
  std::uint64_t rng_counter = 0;       ///< random numbers drawn so far (counter-based streams)
  std::vector<double> last_loss;       ///< the trainer's loss terms of the last epoch
  /// What the trainer reports of every epoch so far (its loss history), in its own layout.
  std::vector<double> history;
};

/// How a training run saves its state, and the state it continues from.
struct HEPCAT_API CheckpointPlan {
  std::string command;  ///< the trainer, e.g. "bin"
  /// What the run depends on (Checkpoint::settings). Never the number of MPI ranks: a run
  /// checkpointed on some ranks continues on any number of them with the same result.
  std::vector<std::pair<std::string, std::string>> settings;
  std::string path;    ///< where checkpoints are written; empty: none
  long every = 100;    ///< epochs between checkpoints; one is also written after the last epoch
  std::string resume;  ///< the checkpoint to continue from; empty: start afresh

  /// Reads `resume` into `out` and checks it with check_resumable; false without `resume`.
  bool load(Checkpoint& out) const;
  /// After epoch `epoch` of `epochs`: when a checkpoint is due, writes state() with command and
  /// settings filled in. Under MPI rank 0 alone writes (every rank holds the same state).
  void save_if_due(long epoch, long epochs, const std::function<Checkpoint()>& state) const;
};

/// Writes `checkpoint` atomically (a temporary renamed into place): a run killed at any moment
/// leaves either the previous checkpoint or the new one. JSON with exact float and double values.
HEPCAT_API void write_checkpoint(const std::string& path, const Checkpoint& checkpoint);

/// Reads a checkpoint; throws Error naming `path` when it is unreadable or not a checkpoint.
HEPCAT_API Checkpoint read_checkpoint(const std::string& path);

/// Throws Error unless `checkpoint` was written by `command` with exactly `settings`; the message
/// names the first setting that differs.
HEPCAT_API void check_resumable(const Checkpoint& checkpoint, const std::string& path,
                                const std::string& command,
                                const std::vector<std::pair<std::string, std::string>>& settings);

/// A fingerprint of a file's bytes (64-bit FNV-1a, hexadecimal) and its size, for settings.
/// For "file.h5:/group" the file part is read. Throws Error when the file cannot be read.
HEPCAT_API std::string file_fingerprint(const std::string& path);

}  // namespace hepcat
