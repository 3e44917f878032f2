// A scratch folder per test under the test build's tmp/ (HEPCAT_TEST_TMP).
#pragma once

#include <filesystem>
#include <string>

namespace hepcat::test {

/// The folder HEPCAT_TEST_TMP/`name`, emptied (created when missing).
inline std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(HEPCAT_TEST_TMP) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace hepcat::test
