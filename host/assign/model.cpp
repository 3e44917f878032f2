// AssignModel: the parameter layout under the published state_dict names, initialisation, and the
// host forward and gradient entry points.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "hepcat/assign.hpp"
#include "hepcat/error.hpp"
#include "hepcat/math/assign.hpp"
#include "hepcat/math/random.hpp"
#include "host/assign/model_network.hpp"
#include "host/assign/model_output.hpp"

namespace hepcat {

// ---- configuration ------------------------------------------------------------------------------

void AssignConfig::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw Error("assign model: " + what);
  };
  require(categories == 2 || categories == 3,
          "categories (T) must be 2 or 3, got " + std::to_string(categories));
  require(embed_dim > categories + 1, "embed_dim must exceed categories + 1");
  require(heads > 0 && embed_dim % heads == 0, "embed_dim " + std::to_string(embed_dim) +
                                                   " is not divisible by heads " +
                                                   std::to_string(heads));
  require(embed_dim / heads <= 64, "head size above 64");
  require(blocks > 0 && embed_layers >= 0 && mlp_layers >= 0 && ffwd_layers >= 0,
          "blocks must be positive and layer counts non-negative");
  require(mlp_dim > 0 && ffwd_dim > 0 && ae_dim > 0 && ae_depth > 0, "sizes must be positive");
  require(ae_dim < embed_dim - categories + 1, "ae_dim must be below embed_dim - categories + 1");
  require(std::isfinite(mass_scale) && mass_scale > 0, "mass_scale must be positive");
  require(std::isfinite(temperature) && temperature > 0, "temperature must be positive");
  require(attn_dropout >= 0 && attn_dropout < 1, "attn_dropout must be in [0, 1)");
}

std::vector<int> AssignConfig::ae_widths() const {
  // The published cascade: int(out + (in - out) (depth - i) / depth), i = 0..depth.
  const int in = embed_dim - categories + 1;
  std::vector<int> w;
  for (int i = 0; i <= ae_depth; ++i)
    w.push_back(
        static_cast<int>(ae_dim + static_cast<double>(in - ae_dim) * (ae_depth - i) / ae_depth));
  return w;
}

AssignLoss AssignLoss::parse(const std::string& name) {
  AssignLoss l;
  if (name == "published") return l;
  if (name == "four-term") {
    l.kind = Kind::four_term;
    l.w_recon = 1;
    l.w_crossed = 0;
    l.w_latent = 0.1;
    l.w_hinge = 0.1;
    l.w_isr = 0.1;
    return l;
  }
  throw Error("unknown assignment loss '" + name + "': expected published or four-term");
}

// ---- model --------------------------------------------------------------------------------------

namespace {

struct Adder {
  ParamLayout& layout;
  std::vector<std::vector<std::size_t>>& shapes;
  void operator()(const std::string& name, std::vector<std::size_t> shape) {
    std::size_t n = 1;
    for (std::size_t s : shape) n *= s;
    layout.add(name, n);
    shapes.push_back(std::move(shape));
  }
  void linear(const std::string& name, int in, int out) {
    (*this)(name + ".weight", {std::size_t(out), std::size_t(in)});
    (*this)(name + ".bias", {std::size_t(out)});
  }
  void norm(const std::string& name, int n) {
    (*this)(name + ".weight", {std::size_t(n)});
    (*this)(name + ".bias", {std::size_t(n)});
  }
  void mlp(const std::string& prefix, const std::vector<int>& widths, bool last_norm) {
    for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
      linear(prefix + std::to_string(3 * l), widths[l], widths[l + 1]);
      if (last_norm || l + 2 < widths.size())
        norm(prefix + std::to_string(3 * l + 1), widths[l + 1]);
    }
  }
  void block(const std::string& p, const AssignConfig& c) {
    const std::size_t e = c.embed_dim;
    (*this)(p + ".attn.in_proj_weight", {3 * e, e});
    (*this)(p + ".attn.in_proj_bias", {3 * e});
    (*this)(p + ".attn.bias_k", {1, 1, e});
    (*this)(p + ".attn.bias_v", {1, 1, e});
    linear(p + ".attn.out_proj", c.embed_dim, c.embed_dim);
    norm(p + ".post_attn_norm", c.embed_dim);
    std::vector<int> widths{c.embed_dim};
    for (int l = 0; l < c.ffwd_layers; ++l) widths.push_back(c.ffwd_dim);
    widths.push_back(c.embed_dim);
    mlp(p + ".ffwd.", widths, true);
    norm(p + ".post_ffwd_norm", c.embed_dim);
  }
};

bool is_statistic(const std::string& name) {
  return name.size() > 13 && (name.find("running_mean") != std::string::npos ||
                              name.find("running_var") != std::string::npos);
}

}  // namespace

AssignModel::AssignModel(const AssignConfig& config) : config_(config) {
  config_.validate();
  const AssignConfig& c = config_;
  Adder add{layout_, shapes_};
  add.norm("Encoder.embed.input_bn", 5);
  add("Encoder.embed.input_bn.running_mean", {5});
  add("Encoder.embed.input_bn.running_var", {5});
  std::vector<int> widths{5};
  for (int l = 0; l <= c.embed_layers; ++l) widths.push_back(c.embed_dim);
  add.mlp("Encoder.embed.net.", widths, false);
  widths = {3};
  for (int l = 0; l < c.mlp_layers; ++l) widths.push_back(c.mlp_dim);
  widths.push_back(1);
  add.mlp("Encoder.mlp.net.", widths, false);
  for (const char* kind : {"obj_blocks", "cand_blocks", "cross_blocks"})
    for (int b = 0; b < c.blocks; ++b)
      add.block(std::string("Encoder.") + kind + "." + std::to_string(b), c);
  const std::vector<int> ae = c.ae_widths();
  add.mlp("Encoder.ae_in.net.", ae, false);
  add.mlp("Encoder.ae_out.net.", std::vector<int>(ae.rbegin(), ae.rend()), false);
  params_.assign(layout_.size(), 0.0f);
  for (std::size_t i = 0; i < layout_.blocks().size(); ++i) {
    const ParamBlock& b = layout_.blocks()[i];
    const bool gain = shapes_[i].size() == 1 && b.name.size() > 7 &&
                      b.name.compare(b.name.size() - 7, 7, ".weight") == 0;
    if (gain || b.name == "Encoder.embed.input_bn.running_var")
      for (std::size_t k = 0; k < b.count; ++k) params_[b.offset + k] = 1.0f;
  }
}

bool AssignModel::trainable(const std::string& name) const {
  return !is_statistic(name);
}

std::vector<float> AssignModel::parameter(const std::string& name) const {
  const ParamBlock& b = layout_.find(name);
  return std::vector<float>(params_.begin() + b.offset, params_.begin() + b.offset + b.count);
}

std::vector<std::size_t> AssignModel::shape(const std::string& name) const {
  for (std::size_t i = 0; i < layout_.blocks().size(); ++i)
    if (layout_.blocks()[i].name == name) return shapes_[i];
  layout_.find(name);  // throws, naming the known blocks
  return {};
}

void AssignModel::set_normalisation(const std::vector<double>& mean,
                                    const std::vector<double>& var) {
  if (mean.size() != 5 || var.size() != 5)
    throw Error("assign model: the input normalisation needs 5 means and 5 variances");
  for (int f = 0; f < 5; ++f) {
    if (!std::isfinite(mean[f]) || !std::isfinite(var[f]) || var[f] < 0)
      throw Error("assign model: input normalisation statistics must be finite, variances >= 0");
    params_[layout_.find("Encoder.embed.input_bn.running_mean").offset + f] =
        static_cast<float>(mean[f]);
    params_[layout_.find("Encoder.embed.input_bn.running_var").offset + f] =
        static_cast<float>(var[f]);
  }
}

void AssignModel::initialise(std::uint64_t seed) {
  const auto uniform = [&](std::size_t i, double bound) {
    const math::Philox4x32 w = math::random_words(seed, i, 0x1417u);
    return static_cast<float>(bound * (2.0 * math::uniform_open0<double>(w.v[0]) - 1.0));
  };
  const auto normal = [&](std::size_t i, double sd) {
    const math::Philox4x32 w = math::random_words(seed, i, 0x1418u);
    double z0, z1;
    math::normal_pair<double>(w.v[0], w.v[1], &z0, &z1);
    return static_cast<float>(sd * z0);
  };
  const auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  const double e = config_.embed_dim;
  for (std::size_t bi = 0; bi < layout_.blocks().size(); ++bi) {
    const ParamBlock& b = layout_.blocks()[bi];
    const std::vector<std::size_t>& s = shapes_[bi];
    float* v = params_.data() + b.offset;
    if (is_statistic(b.name)) continue;
    if (ends_with(b.name, "in_proj_weight")) {
      const double bound = std::sqrt(6.0 / (e + 3 * e));  // Xavier uniform
      for (std::size_t k = 0; k < b.count; ++k) v[k] = uniform(b.offset + k, bound);
    } else if (ends_with(b.name, "bias_k") || ends_with(b.name, "bias_v")) {
      for (std::size_t k = 0; k < b.count; ++k) v[k] = normal(b.offset + k, std::sqrt(1.0 / e));
    } else if (ends_with(b.name, "in_proj_bias") || ends_with(b.name, "out_proj.bias")) {
      for (std::size_t k = 0; k < b.count; ++k) v[k] = 0.0f;
    } else if (s.size() == 2) {  // Linear weight [out][in] and, below, its bias
      const double bound = 1.0 / std::sqrt(static_cast<double>(s[1]));
      for (std::size_t k = 0; k < b.count; ++k) v[k] = uniform(b.offset + k, bound);
      const std::string bias = b.name.substr(0, b.name.size() - 6) + "bias";
      if (!ends_with(b.name, "out_proj.weight") && layout_.contains(bias)) {
        const ParamBlock& bb = layout_.find(bias);
        for (std::size_t k = 0; k < bb.count; ++k)
          params_[bb.offset + k] = uniform(bb.offset + k, bound);
      }
    } else if (s.size() == 1 && !ends_with(b.name, ".bias")) {
      for (std::size_t k = 0; k < b.count; ++k) v[k] = 1.0f;  // LayerNorm / BatchNorm gain
    } else if (s.size() == 1) {
      // Norm biases start at 0; Linear biases were set with their weights.
      const std::string weight = b.name.substr(0, b.name.size() - 4) + "weight";
      if (layout_.contains(weight) && shape(weight).size() == 1)
        for (std::size_t k = 0; k < b.count; ++k) v[k] = 0.0f;
    }
  }
}

std::vector<float> assign_inputs(const float* pt, const float* eta, const float* phi,
                                 const float* e, std::size_t events, std::size_t jets) {
  std::vector<float> x(events * jets * 5);
  for (std::size_t i = 0; i < events * jets; ++i) {
    if (!std::isfinite(pt[i]) || !std::isfinite(eta[i]) || !std::isfinite(phi[i]) ||
        !std::isfinite(e[i]) || pt[i] < 0 || e[i] < 0)
      throw Error("assign inputs: jet " + std::to_string(i % jets) + " of event " +
                  std::to_string(i / jets) + " has a non-finite or negative pt, eta, phi or E");
    math::jet_features<float>(pt[i], eta[i], phi[i], e[i], &x[i * 5]);
  }
  return x;
}

// ---- host forward and gradient ------------------------------------------------------------------

namespace {

template <class T>
AssignOutput<T> run_forward(const AssignModel& model, const T* x, std::size_t events,
                            std::size_t jets, AssignChoice choice, AssignTrace* trace) {
  const assign::Architecture arch(model);
  const std::vector<T> p(model.parameters().begin(), model.parameters().end());
  assign::BatchWorkspace<T> ws;
  assign::host_forward(arch, p.data(), x, events, jets, choice == AssignChoice::soft, AssignLoss(),
                       0, ws, trace);
  return assign::batch_output(model.config(), events, jets, ws, trace);
}

template <class T>
double run_gradient(const AssignModel& model, const T* x, std::size_t events, std::size_t jets,
                    const AssignLoss& loss, std::vector<T>& grad, std::uint64_t seed,
                    bool dropout) {
  if (events == 0) throw Error("assign gradient: no events");
  const assign::Architecture arch(model);
  const std::vector<T> p(model.parameters().begin(), model.parameters().end());
  assign::Dropout drop;
  drop.on = dropout && model.config().attn_dropout > 0;
  drop.seed = seed;
  drop.p = model.config().attn_dropout;
  grad.resize(p.size());
  assign::BatchWorkspace<T> ws;
  return assign::gradient_batch(arch, p.data(), x, events, jets, loss, drop, seed, ws, grad.data());
}

}  // namespace

AssignOutput<float> assign_forward(const AssignModel& model, const float* x, std::size_t events,
                                   std::size_t jets, AssignChoice choice, AssignTrace* trace) {
  return run_forward(model, x, events, jets, choice, trace);
}
AssignOutput<double> assign_forward(const AssignModel& model, const double* x, std::size_t events,
                                    std::size_t jets, AssignChoice choice, AssignTrace* trace) {
  return run_forward(model, x, events, jets, choice, trace);
}
AssignOutput<float> assign_forward_batches(AssignEngine& engine, const float* x, std::size_t events,
                                           std::size_t jets, AssignChoice choice,
                                           std::size_t batch) {
  if (batch == 0) throw Error("--batch-size must be positive");
  AssignOutput<float> all;
  all.events = events;
  all.jets = jets;
  for (std::size_t begin = 0; begin < events; begin += batch) {
    const std::size_t count = std::min(batch, events - begin);
    const AssignOutput<float> part = engine.forward(x + begin * jets * 5, count, jets, choice);
    all.categories = part.categories;
    const auto append = [](auto& dst, const auto& src) {
      dst.insert(dst.end(), src.begin(), src.end());
    };
    append(all.category, part.category);
    append(all.probability, part.probability);
    append(all.logit_gap, part.logit_gap);
    append(all.candidates_p4, part.candidates_p4);
    append(all.mass, part.mass);
    append(all.loss, part.loss);
  }
  return all;
}

double assign_gradient(const AssignModel& model, const float* x, std::size_t events,
                       std::size_t jets, const AssignLoss& loss, std::vector<float>& grad,
                       std::uint64_t seed, bool dropout) {
  return run_gradient(model, x, events, jets, loss, grad, seed, dropout);
}
double assign_gradient(const AssignModel& model, const double* x, std::size_t events,
                       std::size_t jets, const AssignLoss& loss, std::vector<double>& grad,
                       std::uint64_t seed, bool dropout) {
  return run_gradient(model, x, events, jets, loss, grad, seed, dropout);
}

}  // namespace hepcat
