// The histogram JSON reader of hepcat merge; what it accepts must pass Histogram::validate.
#include "hepcat/error.hpp"
#include "hepcat/merge.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = hepcat_fuzz::write_input(data, size, ".json");
  try {
    const hepcat::HistogramFile f = hepcat::read_histogram_json(path);
    f.histogram.validate();
    if (f.histogram.counts.size() !=
        static_cast<std::size_t>(f.histogram.n_hyp) * f.histogram.n_bins)
      __builtin_trap();
  } catch (const hepcat::Error&) {
  }
  return 0;
}
