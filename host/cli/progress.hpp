// The one progress line of every long command: step, a measure (loss or rate) and a rounded
// estimate of the time left, redrawn in place on stderr, and only when stderr is a terminal.
#pragma once

#include <chrono>
#include <string>

namespace hepcat::cli {

/// "7 s", "45 s", "12 min", "2.5 h": a time left without false precision.
std::string rounded_duration(double seconds);

class Progress {
 public:
  /// `what` names the steps ("epoch", "merge", "step"); `total` is how many there are. With
  /// `force` the line is shown also when stderr is not a terminal (--verbose).
  /// A resumed run passes the steps already done as `first` (for the time estimate).
  Progress(std::string what, long total, bool force = false, long first = 0);
  /// Ends the line when one was shown.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// `done` steps finished; `measure` e.g. "loss 0.123". Redraws at most ten times a second.
  void update(long done, const std::string& measure = "");

 private:
  std::string what_;
  long total_, first_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace hepcat::cli
