// libFuzzer targets read through the same path-based readers users call: the input bytes are
// written to a private temporary file first. Any hepcat::Error is an accepted answer; a crash,
// sanitizer report or other exception is a finding.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace hepcat_fuzz {

/// Writes `data` to a per-process temporary file with the given extension and returns its path.
inline std::string write_input(const std::uint8_t* data, std::size_t size, const char* extension) {
  const std::string path =
      "/tmp/hepcat-fuzz-" + std::to_string(::getpid()) + std::string(extension);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

}  // namespace hepcat_fuzz
