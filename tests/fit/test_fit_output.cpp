// hepcat fit --out by extension: the HDF5 datasets (one row per fit) read back equal the JSON of
// the same run.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hepcat/io.hpp"
#include "tests/scratch.hpp"

#ifdef HEPCAT_HAVE_HDF5
#include <hdf5.h>

namespace {

// The string-array attribute `name` of object `object` ("/" for the file) of an HDF5 file.
std::vector<std::string> text_attribute(const std::string& path, const std::string& object,
                                        const std::string& name) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(file >= 0);
  const hid_t attr = H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(attr >= 0);
  const hid_t space = H5Aget_space(attr);
  std::vector<char*> raw(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  REQUIRE(H5Aread(attr, type, raw.data()) >= 0);
  std::vector<std::string> text(raw.begin(), raw.end());
  H5Dvlen_reclaim(type, space, H5P_DEFAULT, raw.data());
  H5Tclose(type);
  H5Sclose(space);
  H5Aclose(attr);
  H5Fclose(file);
  return text;
}

double json_number(const nlohmann::json& j) {
  return j.is_null() ? std::nan("") : j.get<double>();
}

bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == Approx(b).epsilon(1e-14).margin(1e-300);
}

}  // namespace

TEST_CASE("hepcat fit --out fits.h5 holds the JSON's results, one row per fit",
          "[fit][cli][hdf5]") {
  namespace fs = std::filesystem;
  const fs::path dir = hepcat::test::fresh_dir("fit_output");
  // Five histograms of a peak on a falling background, one of them flat (no peak to find).
  nlohmann::json in;
  std::vector<double> edges;
  for (int j = 0; j <= 30; ++j) edges.push_back(100 + 2.0 * j);
  in["edges"] = edges;
  for (int f = 0; f < 5; ++f) {
    std::vector<double> h;
    for (int j = 0; j < 30; ++j) {
      const double x = 101 + 2.0 * j, u = (x - 125) / 3;
      h.push_back(std::round(200 - 2 * j + (f < 4 ? (40 + 10 * f) * std::exp(-0.5 * u * u) : 0) +
                             5 * std::sin(3 * j + f)));
    }
    in["histograms"].push_back(h);
  }
  std::ofstream(dir / "in.json") << in.dump();
  const auto fit = [&](const std::string& out, const std::string& redirect) {
    const std::string cmd = std::string("\"") + HEPCAT_CLI + "\" fit --device cpu -i \"" +
                            (dir / "in.json").string() + "\" -o \"" + out +
                            "\" --model poly1+gauss --init 100,0,200,125,3 --minos yield,mean "
                            "--significance > /dev/null" +
                            redirect;
    return std::system(cmd.c_str());
  };
  REQUIRE(fit((dir / "fits.json").string(), "") == 0);
  REQUIRE(fit((dir / "fits.h5").string(), "") == 0);
  nlohmann::json js;
  std::ifstream(dir / "fits.json") >> js;
  const std::string h5 = (dir / "fits.h5").string();
  const auto names = js["parameter_names"].get<std::vector<std::string>>();
  CHECK(text_attribute(h5, "/", "parameter_names") == names);
  CHECK(text_attribute(h5, "parameters", "names") == names);
  CHECK(text_attribute(h5, "covariance", "names") == names);
  CHECK(text_attribute(h5, "minos", "names") == std::vector<std::string>{"yield", "mean"});
  CHECK(text_attribute(h5, "/", "model") == std::vector<std::string>{"poly1+gauss"});
  const std::size_t n = js["fits"].size(), np = names.size();
  REQUIRE(n == 5);
  const auto read = [&](const std::string& name, std::vector<std::size_t> shape) {
    const hepcat::Array a = hepcat::read_hdf5_array(h5, name);
    shape.insert(shape.begin(), n);
    CHECK(a.shape == shape);
    return a.values;
  };
  const auto parameters = read("parameters", {np}), errors = read("errors", {np});
  const auto covariance = read("covariance", {np, np}), correlation = read("correlation", {np, np});
  const auto minimum = read("minimum", {}), ndf = read("ndf", {}), edm = read("edm", {});
  const auto iterations = read("iterations", {}), evaluations = read("evaluations", {});
  const auto valid = read("valid", {}), at_limit = read("at_limit", {np});
  const auto minos = read("minos", {2, 2}), significance = read("significance", {});
  for (std::size_t f = 0; f < n; ++f) {
    const auto& j = js["fits"][f];
    INFO("fit " << f);
    for (std::size_t k = 0; k < np; ++k) {
      CHECK(same(parameters[f * np + k], json_number(j["parameters"][names[k]])));
      CHECK(same(errors[f * np + k], json_number(j["errors"][names[k]])));
      const auto& limits = j["at_limit"];
      CHECK(at_limit[f * np + k] ==
            (std::find(limits.begin(), limits.end(), names[k]) != limits.end() ? 1 : 0));
      for (std::size_t l = 0; l < np; ++l) {
        CHECK(same(covariance[(f * np + k) * np + l], json_number(j["covariance"][k][l])));
        CHECK(same(correlation[(f * np + k) * np + l], json_number(j["correlation"][k][l])));
      }
    }
    CHECK(same(minimum[f], json_number(j["objective"])));
    CHECK(ndf[f] == j["ndf"].get<double>());
    CHECK(same(edm[f], json_number(j["edm"])));
    CHECK(iterations[f] == j["iterations"].get<double>());
    CHECK(evaluations[f] == j["evaluations"].get<double>());
    CHECK(valid[f] == (j["valid"].get<bool>() ? 1 : 0));
    for (int m = 0; m < 2; ++m)
      for (int side = 0; side < 2; ++side)
        CHECK(same(minos[(f * 2 + m) * 2 + side],
                   json_number(j["minos"][m == 0 ? "yield" : "mean"][side])));
    CHECK(same(significance[f], json_number(j["significance"])));
  }
  // A group inside the file is refused: the results are one whole file.
  CHECK(fit(h5 + ":/g", " 2> /dev/null") != 0);
}

#endif
