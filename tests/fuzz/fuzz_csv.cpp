// The CSV table reader, on all columns and on a chosen pair.
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = hepcat_fuzz::write_input(data, size, ".csv");
  try {
    const hepcat::EventTable t = hepcat::read_table(path);
    for (const auto& c : t.columns)
      if (c.size() != t.rows()) __builtin_trap();  // every column has one value per row
    if (t.rows() > 0) (void)hepcat::describe_row(path, t.rows() - 1);
  } catch (const hepcat::Error&) {
  }
  try {
    (void)hepcat::read_table(path, {"b", "a"});
  } catch (const hepcat::Error&) {
  }
  return 0;
}
