// The one number formatting of messages and text outputs: the shortest text that reads back as
// the same double.
#pragma once

#include <charconv>
#include <string>

namespace hepcat::detail {

inline std::string format_number(double x) {
  char text[32];
  const std::to_chars_result r = std::to_chars(text, text + sizeof text, x);
  return std::string(text, r.ptr);
}

}  // namespace hepcat::detail
