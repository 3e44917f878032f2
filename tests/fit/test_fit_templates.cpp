// Template components: fixed histograms scaled by free yields, with and without their per-bin
// uncertainties, against iminuit (tests/reference/fit_reference.py templates) and against
// per-bin minimisations written here.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "hepcat/context.hpp"
#include "hepcat/error.hpp"
#include "hepcat/fit.hpp"
#include "hepcat/math/lm.hpp"
#include "tests/backends.hpp"
#include "tests/cli/cli_run.hpp"
#include "tests/fit/reference_agreement.hpp"

using hepcat::test::test_devices;
namespace m = hepcat::math;

namespace {

// The minimum of a convex function of one variable on [lo, hi] by golden-section search.
template <class F>
double golden_minimum(F f, double lo, double hi) {
  const double r = 0.5 * (std::sqrt(5.0) - 1);
  double a = lo, b = hi;
  for (int i = 0; i < 200; ++i) {
    const double c = b - r * (b - a), d = a + r * (b - a);
    if (f(c) < f(d))
      b = d;
    else
      a = c;
  }
  return f(0.5 * (a + b));
}

nlohmann::json template_reference() {
  const std::string path = std::string(HEPCAT_REFERENCE_DIR) + "/fit_templates_iminuit.json";
  std::ifstream in(path);
  if (!in) FAIL("reference fits not found at " << path);
  return nlohmann::json::parse(in);
}

std::vector<double> rows(const nlohmann::json& j) {
  std::vector<double> v;
  for (const auto& r : j)
    for (const auto& x : r) v.push_back(x.get<double>());
  return v;
}

}  // namespace

TEST_CASE("template uncertainties: each bin's objective is the fit profiled over a scale factor",
          "[fit][templates]") {
  // Per bin, mu = a + m (analytic part a, template part m of variance s): the chi2 with the
  // template part scaled by (1 + x), x ~ N(0, s / m^2), minimised over x, and the Poisson
  // deviance with mu scaled by gamma, gamma ~ N(1, s / mu^2), minimised over gamma.
  for (double h : {0.0, 1.0, 7.0, 250.0})
    for (double mu : {0.5, 9.0, 240.0})
      for (double s : {0.01, 3.0, 900.0}) {
        INFO("h " << h << " mu " << mu << " s " << s);
        const double v = std::max(h, 1.0);
        const double chi2 = golden_minimum(
            [&](double d) { return (h - mu - d) * (h - mu - d) / v + d * d / s; }, -1e4, 1e4);
        CHECK(m::template_bin_objective(m::Estimator::neyman, h, mu, s, 0.0) ==
              Approx(chi2).epsilon(1e-9).margin(1e-9));
        CHECK(m::template_bin_objective(m::Estimator::variance, h, mu, s, 4.0) ==
              Approx(golden_minimum(
                         [&](double d) { return (h - mu - d) * (h - mu - d) / 4 + d * d / s; },
                         -1e4, 1e4))
                  .epsilon(1e-9)
                  .margin(1e-9));
        const double poisson = golden_minimum(
            [&](double g) {
              const double gm = g * mu;
              const double nll = 2 * (gm - h + (h > 0 ? h * std::log(h / gm) : 0.0));
              return nll + (g - 1) * (g - 1) * mu * mu / s;
            },
            1e-12, 1e3);
        CHECK(m::template_bin_objective(m::Estimator::poisson, h, mu, s, 0.0) ==
              Approx(poisson).epsilon(1e-8).margin(1e-9));
      }
}

TEST_CASE("template fits match iminuit's minimum and covariance for every estimator",
          "[fit][templates][reference]") {
  const std::string device = GENERATE(from_range(test_devices()));
  hepcat::Context ctx(device);
  const nlohmann::json ref = template_reference();
  hepcat::test::ReferenceAgreement worst;
  for (const auto& c : ref["cases"]) {
    if (!c["valid"].get<bool>()) continue;
    hepcat::FitConfig config;
    config.model = hepcat::parse_model(c["model"].get<std::string>());
    config.edges = ref["edges"].get<std::vector<double>>();
    config.estimator = hepcat::parse_estimator(c["estimator"].get<std::string>());
    config.templates = rows(c["templates"]);
    if (!c["template_variances"].is_null())
      config.template_variances = rows(c["template_variances"]);
    config.tolerance = 1e-10;
    const auto h = c["histogram"].get<std::vector<double>>();
    std::vector<double> var(h.size());
    for (std::size_t j = 0; j < h.size(); ++j) var[j] = h[j] + 1;  // as the reference script
    const auto r =
        hepcat::fit_histograms(ctx, config, h, c["start"].get<std::vector<double>>(), var);
    INFO(c["stats"] << " " << c["model"] << " " << c["estimator"] << " template variances "
                    << !c["template_variances"].is_null());
    const double fval = c["minimum"].get<double>();
    CHECK(r.objective[0] <= fval + 1e-6);
    if (r.objective[0] < fval - 1e-6) continue;  // another basin: not comparable
    CHECK(r.states[0] == m::FitState::converged);
    CHECK(r.valid[0] == 1);
    worst.add(r, c, {});
  }
  // Measured: 64 compared, parameters within 4e-5 of an error, covariance within 2.4e-5 of
  // central differences and 4.4e-4 of HESSE (these models are close to linear in their
  // parameters, where HESSE's numerical second derivatives are accurate).
  worst.check(60, 1e-3);
}

TEST_CASE("template inputs: a wrong length, a negative entry or a NaN is one clear error",
          "[fit][templates]") {
  hepcat::Context ctx("cpu");
  hepcat::FitConfig config;
  config.model = hepcat::parse_model("poly0+template");
  config.edges = {0, 1, 2, 3};
  config.templates = {1, 2, 3};
  const std::vector<double> h{3, 4, 5}, init{1, 3};
  CHECK_NOTHROW(hepcat::fit_histograms(ctx, config, h, init));
  const auto fails = [&](hepcat::FitConfig c, const std::string& message) {
    CHECK_THROWS_WITH(hepcat::fit_histograms(ctx, c, h, init), Catch::Contains(message));
  };
  auto c = config;
  c.templates = {1, 2};
  fails(c, "has 1 template components of 3 bins (3 values); the templates hold 2");
  c = config;
  c.templates[1] = -1;
  fails(c, "template 0 bin 1 is negative");
  c = config;
  c.templates[2] = std::numeric_limits<double>::quiet_NaN();
  fails(c, "template 0 bin 2 is not finite");
  c = config;
  c.templates = {0, 0, 0};
  fails(c, "template 0 is empty");
  c = config;
  c.template_variances = {1, 1};
  fails(c, "template variances hold 2 values; the templates 3");
  c = config;
  c.template_variances = {1, -1, 1};
  fails(c, "template 0 bin 1 has a variance that is negative or not finite");
  CHECK_THROWS_WITH(hepcat::parse_model("poly1+template+gauss"),
                    Catch::Contains("unknown component 'gauss'"));
  CHECK(hepcat::model_name(hepcat::parse_model("template+template")) == "template+template");
  CHECK(hepcat::parameter_names(hepcat::parse_model("poly1+gauss+template")).back() == "template0");
}

TEST_CASE("hepcat fit --template fits the same yields as the API", "[fit][templates][cli]") {
  namespace fs = std::filesystem;
  const fs::path dir = hepcat_test::scratch_dir("cli_fit_templates");
  const nlohmann::json ref = template_reference();
  const auto& c = ref["cases"][8];  // two templates with their variances, Neyman
  REQUIRE(!c["template_variances"].is_null());
  nlohmann::json in, t0, t1;
  in["edges"] = t0["edges"] = t1["edges"] = ref["edges"];
  // json::array: a braced list of one json value is a copy of it under some compilers.
  in["histograms"] = nlohmann::json::array({c["histogram"]});
  t0["histogram"] = c["templates"][0];
  t0["variances"] = nlohmann::json::array({c["template_variances"][0]});
  t1["histogram"] = c["templates"][1];
  t1["variances"] = nlohmann::json::array({c["template_variances"][1]});
  std::ofstream(dir / "in.json") << in.dump();
  std::ofstream(dir / "t0.json") << t0.dump();
  std::ofstream(dir / "t1.json") << t1.dump();
  const auto start = c["start"].get<std::vector<double>>();
  const std::string cmd =
      std::string("\"") + HEPCAT_CLI + "\" fit --device cpu -i \"" + (dir / "in.json").string() +
      "\" -o \"" + (dir / "out.json").string() + "\" --model none --template \"" +
      (dir / "t0.json").string() + "\" --template \"" + (dir / "t1.json").string() + "\" --init " +
      std::to_string(start[0]) + "," + std::to_string(start[1]) + " > /dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  nlohmann::json out;
  std::ifstream(dir / "out.json") >> out;
  hepcat::Context ctx("cpu");
  hepcat::FitConfig config;
  config.model = hepcat::parse_model("template+template");
  config.edges = ref["edges"].get<std::vector<double>>();
  config.templates = rows(c["templates"]);
  config.template_variances = rows(c["template_variances"]);
  const auto r = hepcat::fit_histograms(
      ctx, config, c["histogram"].get<std::vector<double>>(),
      {std::stod(std::to_string(start[0])), std::stod(std::to_string(start[1]))});
  CHECK(out["model"] == "template+template");
  CHECK(out["fits"][0]["parameters"]["template1"].get<double>() ==
        Approx(r.parameters[1]).epsilon(1e-12));
  CHECK(out["fits"][0]["objective"].get<double>() == Approx(r.objective[0]).epsilon(1e-12));
  // A template on other edges: one error line, no output.
  t1["edges"][3] = 93.5;
  std::ofstream(dir / "t1.json") << t1.dump();
  const std::string bad = std::string("\"") + HEPCAT_CLI + "\" fit -i \"" +
                          (dir / "in.json").string() + "\" -o \"" + (dir / "bad.json").string() +
                          "\" --model none --template \"" + (dir / "t1.json").string() +
                          "\" 2> \"" + (dir / "err.txt").string() + "\" > /dev/null";
  CHECK(std::system(bad.c_str()) != 0);
  CHECK_FALSE(fs::exists(dir / "bad.json"));
  std::ifstream err(dir / "err.txt");
  const std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  CHECK(text.find("has other edges than the fit input") != std::string::npos);
}
