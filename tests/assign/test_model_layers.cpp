// Every layer of the ABC model against naive double-precision code written here, every backward
// against central finite differences, and the whole model's gradient (both loss variants, T = 2
// and 3) against finite differences of its loss.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/math/assign.hpp"

namespace m = hepcat::math;

namespace {

std::vector<double> random_vector(std::size_t n, std::mt19937& rng, double sd = 1.0) {
  std::normal_distribution<double> g(0.0, sd);
  std::vector<double> v(n);
  for (double& x : v) x = g(rng);
  return v;
}

// Central difference of f along every entry of v; h = 1e-6 gives ~1e-9 accuracy on smooth f.
std::vector<double> numeric_gradient(std::vector<double>& v, const std::function<double()>& f) {
  std::vector<double> g(v.size());
  const double h = 1e-6;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double keep = v[i];
    v[i] = keep + h;
    const double up = f();
    v[i] = keep - h;
    const double down = f();
    v[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("entry " << i);
    CHECK(got[i] == Approx(want[i]).margin(tol).epsilon(tol));
  }
}

}  // namespace

TEST_CASE("LayerNorm forward and backward", "[assign][layers]") {
  std::mt19937 rng(3);
  const int n = 7;
  std::vector<double> x = random_vector(n, rng), gamma = random_vector(n, rng),
                      beta = random_vector(n, rng), w = random_vector(n, rng);
  for (bool relu : {false, true}) {
    // Naive: mean, biased variance, eps 1e-5.
    double mean = 0, var = 0;
    for (double v : x) mean += v / n;
    for (double v : x) var += (v - mean) * (v - mean) / n;
    std::vector<double> xhat(n), y(n);
    m::layer_norm_forward(x.data(), n, gamma.data(), beta.data(), relu, xhat.data(), y.data());
    for (int i = 0; i < n; ++i) {
      double want = (x[i] - mean) / std::sqrt(var + 1e-5) * gamma[i] + beta[i];
      if (relu) want = std::max(want, 0.0);
      CHECK(y[i] == Approx(want).epsilon(1e-12).margin(1e-12));
    }
    const auto objective = [&] {
      std::vector<double> xh(n), yy(n);
      m::layer_norm_forward(x.data(), n, gamma.data(), beta.data(), relu, xh.data(), yy.data());
      double s = 0;
      for (int i = 0; i < n; ++i) s += w[i] * yy[i];
      return s;
    };
    std::vector<double> dx(n), dgamma(n, 0.0), dbeta(n, 0.0);
    const double rstd =
        m::layer_norm_forward(x.data(), n, gamma.data(), beta.data(), relu, xhat.data(), y.data());
    m::layer_norm_backward(w.data(), y.data(), xhat.data(), rstd, n, gamma.data(), relu, dx.data(),
                           dgamma.data(), dbeta.data());
    check_close(dx, numeric_gradient(x, objective), 1e-7);
    check_close(dgamma, numeric_gradient(gamma, objective), 1e-7);
    check_close(dbeta, numeric_gradient(beta, objective), 1e-7);
  }
}

TEST_CASE("Small-set attention with bias key, pairwise bias, padding and dropout",
          "[assign][layers]") {
  std::mt19937 rng(5);
  const int nk = 6, dh = 8, stride = 2 * dh + 3;
  std::vector<double> q = random_vector(dh, rng), kv = random_vector(nk * stride, rng),
                      bk = random_vector(dh, rng), bv = random_vector(dh, rng),
                      bias = random_vector(nk, rng), w = random_vector(dh, rng);
  const std::vector<std::uint8_t> pad{0, 0, 1, 0, 0, 1};
  std::vector<double> keep(nk + 1, 1.0);
  for (bool drop : {false, true}) {
    if (drop)
      for (int j = 0; j <= nk; ++j) keep[j] = m::dropout_keep<double>(7, 1, j, 0.3);
    const double* kp = drop ? keep.data() : nullptr;
    // Naive: logits, softmax over unpadded keys and the bias key, weighted values.
    std::vector<double> logit(nk + 1);
    double mx = -1e300;
    for (int j = 0; j <= nk; ++j) {
      const double* kj = j < nk ? &kv[j * stride] : bk.data();
      double s = 0;
      for (int d = 0; d < dh; ++d) s += q[d] * kj[d];
      logit[j] = s / std::sqrt(8.0) + (j < nk ? bias[j] : 0.0);
      if (j == nk || !pad[j]) mx = std::max(mx, logit[j]);
    }
    double z = 0;
    for (int j = 0; j <= nk; ++j) z += (j < nk && pad[j]) ? 0 : std::exp(logit[j] - mx);
    std::vector<double> want(dh, 0.0);
    for (int j = 0; j <= nk; ++j) {
      if (j < nk && pad[j]) continue;
      const double pj = std::exp(logit[j] - mx) / z * (drop ? keep[j] : 1.0);
      const double* vj = j < nk ? &kv[j * stride + dh] : bv.data();
      for (int d = 0; d < dh; ++d) want[d] += pj * vj[d];
    }
    std::vector<double> p(nk + 1), out(dh);
    m::attention_row_forward(q.data(), kv.data(), kv.data() + dh, stride, nk, bk.data(), bv.data(),
                             dh, bias.data(), pad.data(), kp, p.data(), out.data());
    check_close(out, want, 1e-12);

    const auto objective = [&] {
      std::vector<double> pp(nk + 1), o(dh);
      m::attention_row_forward(q.data(), kv.data(), kv.data() + dh, stride, nk, bk.data(),
                               bv.data(), dh, bias.data(), pad.data(), kp, pp.data(), o.data());
      double s = 0;
      for (int d = 0; d < dh; ++d) s += w[d] * o[d];
      return s;
    };
    std::vector<double> dq(dh, 0.0), dkv(kv.size(), 0.0), dbk(dh, 0.0), dbv(dh, 0.0),
        dbias(nk, 0.0);
    m::attention_row_backward(w.data(), q.data(), kv.data(), kv.data() + dh, stride, nk, bk.data(),
                              bv.data(), dh, p.data(), kp, dq.data(), dkv.data(), dkv.data() + dh,
                              dbk.data(), dbv.data(), dbias.data());
    check_close(dq, numeric_gradient(q, objective), 1e-7);
    check_close(dbk, numeric_gradient(bk, objective), 1e-7);
    check_close(dbv, numeric_gradient(bv, objective), 1e-7);
    check_close(dbias, numeric_gradient(bias, objective), 1e-7);
    // kv rows also hold 3 unused columns per key, whose gradient must stay 0.
    check_close(dkv, numeric_gradient(kv, objective), 1e-7);
  }
}

TEST_CASE("Soft jet choice, candidate masses, ISR energy, MSE and distance", "[assign][layers]") {
  std::mt19937 rng(11);
  SECTION("soft choice") {
    std::vector<double> l = random_vector(3, rng), w = random_vector(3, rng);
    std::vector<double> a(3);
    m::soft_choice(l.data(), 3, 0.1, a.data());
    double z = 0;
    for (double v : l) z += std::exp(v / 0.1);
    for (int t = 0; t < 3; ++t) CHECK(a[t] == Approx(std::exp(l[t] / 0.1) / z).epsilon(1e-12));
    CHECK(m::hard_choice(l.data(), 3) == int(std::max_element(l.begin(), l.end()) - l.begin()));
    const auto f = [&] {
      std::vector<double> aa(3);
      m::soft_choice(l.data(), 3, 0.1, aa.data());
      return w[0] * aa[0] + w[1] * aa[1] + w[2] * aa[2];
    };
    std::vector<double> dl(3, 0.0);
    m::soft_choice_backward(a.data(), w.data(), 3, 0.1, dl.data());
    check_close(dl, numeric_gradient(l, f), 1e-6);
  }
  SECTION("mass and ISR transverse energy") {
    std::vector<double> p4{250.0, 30.0, -40.0, 60.0};
    const double m2 = m::regulated_mass2(p4.data());
    CHECK(m2 == Approx(std::pow(250.0 * 1.0001, 2) - 900 - 1600 - 3600 + 1e-4).epsilon(1e-14));
    std::vector<double> d(4, 0.0);
    m::regulated_mass2_backward(p4.data(), 1.0, d.data());
    check_close(d, numeric_gradient(p4, [&] { return m::regulated_mass2(p4.data()); }), 1e-5);
    CHECK(m::isr_transverse_energy(p4.data()) == Approx(std::sqrt(900 + 1600 + m2)));
    std::fill(d.begin(), d.end(), 0.0);
    m::isr_transverse_energy_backward(p4.data(), 1.0, d.data());
    check_close(d, numeric_gradient(p4, [&] { return m::isr_transverse_energy(p4.data()); }), 1e-7);
  }
  SECTION("mse and distance") {
    std::vector<double> a = random_vector(5, rng), b = random_vector(5, rng);
    std::vector<double> da(5, 0.0), db(5, 0.0);
    m::mse_backward(a.data(), b.data(), 5, 1.0, da.data(), db.data());
    check_close(da, numeric_gradient(a, [&] { return m::mse(a.data(), b.data(), 5); }), 1e-7);
    check_close(db, numeric_gradient(b, [&] { return m::mse(a.data(), b.data(), 5); }), 1e-7);
    std::fill(da.begin(), da.end(), 0.0);
    std::fill(db.begin(), db.end(), 0.0);
    m::distance_backward(a.data(), b.data(), 5, 1.0, da.data(), db.data());
    check_close(da, numeric_gradient(a, [&] { return m::distance(a.data(), b.data(), 5); }), 1e-7);
  }
  SECTION("jet features and four-vectors") {
    double f[5];
    m::jet_features<double>(50.0f, 0.5f, 1.0f, 60.0, f);
    CHECK(f[0] == Approx(std::log(50.0)));
    CHECK(f[2] == Approx(std::cos(1.0)));
    CHECK(f[4] == Approx(std::log(60.0)));
    double p4[4];
    m::feature_p4(f, p4);
    CHECK(p4[0] == Approx(60.0));
    CHECK(p4[1] == Approx(50.0 * std::cos(1.0)));
    CHECK(p4[3] == Approx(50.0 * std::sinh(0.5)));
    m::jet_features<double>(0.0f, 0.0f, 0.0f, 0.0, f);
    CHECK((f[0] == 0 && f[1] == 0 && f[2] == 1 && f[3] == 0 && f[4] == 0));
    m::feature_p4(f, p4);
    CHECK((p4[0] == 0 && p4[1] == 0 && p4[2] == 0 && p4[3] == 0));
  }
}

TEST_CASE("Whole-model gradient equals finite differences of the loss", "[assign][layers]") {
  hepcat::AssignConfig cfg;
  cfg.embed_dim = 8;
  cfg.heads = 2;
  cfg.blocks = 2;
  cfg.embed_layers = 1;
  cfg.mlp_dim = 6;
  cfg.mlp_layers = 1;
  cfg.ffwd_layers = 1;
  cfg.ffwd_dim = 6;
  cfg.ae_dim = 2;
  cfg.ae_depth = 2;
  cfg.temperature = 1.0;  // smoother choice: finite differences stay away from saturation
  const std::size_t events = 3, jets = 7;
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<float> pt(events * jets), eta(pt.size()), phi(pt.size()), e(pt.size());
  for (std::size_t i = 0; i < pt.size(); ++i) {
    const bool padded = i % jets >= 5 + (i / jets) % 3;  // 5, 6, 7 real jets
    pt[i] = padded ? 0 : float(30 + 200 * u(rng));
    eta[i] = padded ? 0 : float(4 * u(rng) - 2);
    phi[i] = padded ? 0 : float(6 * u(rng) - 3);
    e[i] = padded ? 0 : float(pt[i] * std::cosh(eta[i]) + 5);
  }
  const std::vector<float> xf =
      hepcat::assign_inputs(pt.data(), eta.data(), phi.data(), e.data(), events, jets);
  const std::vector<double> x(xf.begin(), xf.end());
  for (int categories : {2, 3})
    for (const char* loss_name : {"published", "four-term"}) {
      INFO("T = " << categories << ", loss " << loss_name);
      cfg.categories = categories;
      hepcat::AssignModel model(cfg);
      model.initialise(23);
      model.set_normalisation({4, 0, 0, 0, 4.5}, {1, 2, 0.5, 0.5, 1});
      const hepcat::AssignLoss loss = hepcat::AssignLoss::parse(loss_name);
      std::vector<double> grad;
      hepcat::assign_gradient(model, x.data(), events, jets, loss, grad, 99);
      // The model keeps float parameters: step each by about 1e-6 and divide by the step the
      // float values actually took; the loss itself is evaluated in double.
      std::vector<double> unused;
      std::size_t checked = 0;
      for (const auto& b : model.layout().blocks()) {
        if (!model.trainable(b.name)) continue;
        for (std::size_t k = 0; k < b.count; k += 1 + b.count / 4) {
          float& v = model.parameters()[b.offset + k];
          const float keep = v;
          const double h = 1e-6;
          v = float(keep + h);
          const double up =
              hepcat::assign_gradient(model, x.data(), events, jets, loss, unused, 99);
          v = float(keep - h);
          const double down =
              hepcat::assign_gradient(model, x.data(), events, jets, loss, unused, 99);
          v = keep;
          const double numeric = (up - down) / (double(float(keep + h)) - double(float(keep - h)));
          INFO(b.name << "[" << k << "]");
          CHECK(grad[b.offset + k] == Approx(numeric).margin(1e-6).epsilon(1e-4));
          ++checked;
        }
      }
      CHECK(checked > 100);
    }
}
