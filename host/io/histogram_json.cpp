// The histogram JSON that hepcat merge reads (the schema of the reference fixtures).
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "hepcat/error.hpp"
#include "hepcat/merge.hpp"
#include "host/io/json_error.hpp"

namespace hepcat {

HistogramFile read_histogram_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open histogram file '" + path + "'");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + path + "' is not valid JSON: " + detail::json_error_text(e));
  }
  try {
    HistogramFile file;
    Histogram& h = file.histogram;
    const auto counts = doc.at("counts").get<std::vector<std::vector<double>>>();
    if (counts.empty()) throw Error("'" + path + "': counts is empty");
    h.n_hyp = static_cast<int>(counts.size());
    h.n_bins = static_cast<int>(counts[0].size());
    for (std::size_t k = 0; k < counts.size(); ++k) {
      if (counts[k].size() != counts[0].size())
        throw Error("'" + path + "': counts row " + std::to_string(k) + " has " +
                    std::to_string(counts[k].size()) + " bins, row 0 has " +
                    std::to_string(counts[0].size()));
      h.counts.insert(h.counts.end(), counts[k].begin(), counts[k].end());
    }
    if (doc.contains("edges")) {
      const nlohmann::json& e = doc.at("edges");
      if (!e.empty() && e.at(0).is_array())
        h.edges = e.get<std::vector<std::vector<double>>>();
      else
        h.edges = {e.get<std::vector<double>>()};
    }
    if (doc.contains("pair_weights"))
      for (const auto& row : doc.at("pair_weights").get<std::vector<std::vector<double>>>())
        file.pair_weights.insert(file.pair_weights.end(), row.begin(), row.end());
    if (doc.contains("target")) file.target = doc.at("target").get<int>();
    if (doc.contains("metric")) file.metric = doc.at("metric").get<std::string>();
    h.validate("'" + path + "'");
    for (int k = 0; k < h.n_hyp; ++k) {
      double total = 0;
      for (int b = 0; b < h.n_bins; ++b) total += std::abs(h.counts[k * h.n_bins + b]);
      if (!(total > 0))
        throw Error("'" + path + "': hypothesis " + std::to_string(k) + " (counts row " +
                    std::to_string(k) + ") has no non-zero entry");
    }
    return file;
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + path + "': a value has the wrong type (" + detail::json_error_text(e) +
                "); expected {\"counts\": [[numbers], ...]} with optional edges, pair_weights, "
                "target and metric");
  }
}

}  // namespace hepcat
