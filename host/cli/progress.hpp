// The one progress line of every long command: step, a measure (loss or rate) and a rounded
// estimate of the time left, redrawn in place on stderr, and only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
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

/// The toys' two stages under one progress line: "stage 1/2  generating N events", then
/// "stage 2/2  writing FILE". `generate()` returns what `write(result)` writes; the result is
/// returned. With `force` (--verbose) the line is shown also when stderr is not a terminal.
template <class Generate, class Write>
auto generate_then_write(std::int64_t events, const std::string& out, bool force, Generate generate,
                         Write write) {
  Progress line("stage", 2, force);
  line.update(0, "generating " + std::to_string(events) + " events");
  auto result = generate();
  line.update(1, "writing " + out);
  write(result);
  line.update(2, "wrote " + out);
  return result;
}

}  // namespace hepcat::cli
