// The HDF5 table reader and the array reader.
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = hepcat_fuzz::write_input(data, size, ".h5");
  try {
    const hepcat::EventTable t = hepcat::read_table(path);
    for (const auto& c : t.columns)
      if (c.size() != t.rows()) __builtin_trap();
  } catch (const hepcat::Error&) {
  }
  try {
    (void)hepcat::read_hdf5_array(path, "histograms", 2);
  } catch (const hepcat::Error&) {
  }
  return 0;
}
