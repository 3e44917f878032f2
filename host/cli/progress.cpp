#include "host/cli/progress.hpp"

#include <cmath>
#include <cstdio>

#include "host/cli/commands.hpp"

namespace hepcat::cli {

std::string rounded_duration(double seconds) {
  char text[32];
  if (!(seconds >= 0) || !std::isfinite(seconds)) return "?";
  if (seconds < 10) {
    std::snprintf(text, sizeof text, "%.0f s", std::ceil(seconds));
  } else if (seconds < 120) {
    std::snprintf(text, sizeof text, "%.0f s", 5 * std::ceil(seconds / 5));
  } else if (seconds < 7200) {
    std::snprintf(text, sizeof text, "%.0f min", std::ceil(seconds / 60));
  } else {
    std::snprintf(text, sizeof text, "%.1f h", seconds / 3600);
  }
  return text;
}

Progress::Progress(std::string what, long total, bool force, long first)
    : what_(std::move(what)),
      total_(total),
      first_(first),
      enabled_(output_rank() && (force || stderr_is_terminal())),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  if (shown_) std::fputc('\n', stderr);
}

void Progress::update(long done, const std::string& measure) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // At most ten lines a second, and always the last one.
  if (done < total_ && shown_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double spent = std::chrono::duration<double>(now - start_).count();
  const double left = done > first_ ? spent / (done - first_) * (total_ - done) : -1;
  std::fprintf(stderr, "\r%s %ld/%ld%s%s  ETA %s   ", what_.c_str(), done, total_,
               measure.empty() ? "" : "  ", measure.c_str(),
               done >= total_ ? "0 s" : rounded_duration(left).c_str());
  std::fflush(stderr);
  shown_ = true;
}

}  // namespace hepcat::cli
