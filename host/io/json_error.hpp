// nlohmann::json's messages start with the library's tag ("[json.exception.parse_error.101]
// parse error at line 1, column 21: ..."); errors show the message without it.
#pragma once

#include <exception>
#include <string>

namespace hepcat::detail {

inline std::string json_error_text(const std::exception& e) {
  std::string text = e.what();
  const std::size_t end = text.rfind("] ", text.find(' '));
  if (!text.empty() && text[0] == '[' && end != std::string::npos) text.erase(0, end + 2);
  return text;
}

}  // namespace hepcat::detail
