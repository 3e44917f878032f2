#include "hepcat/checkpoint.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

#include "hepcat/communicator.hpp"
#include "hepcat/error.hpp"
#include "hepcat/io.hpp"

namespace hepcat {

namespace {

constexpr int kFormatVersion = 1;

}  // namespace

void write_checkpoint(const std::string& path, const Checkpoint& c) {
  nlohmann::json settings = nlohmann::json::array();
  for (const auto& [name, value] : c.settings) settings.push_back({name, value});
  const nlohmann::json j = {{"hepcat_checkpoint", kFormatVersion},
                            {"command", c.command},
                            {"settings", settings},
                            {"epoch", c.epoch},
                            {"parameters", c.parameters},
                            {"optimizer_steps", c.optimizer_steps},
                            {"optimizer_state", c.optimizer_state},
                            {"rng_counter", c.rng_counter},
                            {"last_loss", c.last_loss},
                            {"history", c.history}};
  // nlohmann writes doubles with the shortest text that reads back exactly; floats widen to
  // double exactly, so every value survives the round trip bit for bit.
  write_text_atomic(path, j.dump() + "\n");
}

Checkpoint read_checkpoint(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open checkpoint '" + path + "'");
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (!j.is_object() || !j.contains("hepcat_checkpoint"))
      throw Error("'" + path + "' is not a hepcat checkpoint");
    if (j.at("hepcat_checkpoint").get<int>() != kFormatVersion)
      throw Error("checkpoint '" + path + "' has format version " +
                  j.at("hepcat_checkpoint").dump() + ", this hepcat reads version " +
                  std::to_string(kFormatVersion));
    Checkpoint c;
    c.command = j.at("command").get<std::string>();
    for (const auto& s : j.at("settings"))
      c.settings.emplace_back(s.at(0).get<std::string>(), s.at(1).get<std::string>());
    c.epoch = j.at("epoch").get<long>();
    c.parameters = j.at("parameters").get<std::vector<float>>();
    c.optimizer_steps = j.at("optimizer_steps").get<long>();
    c.optimizer_state = j.at("optimizer_state").get<std::vector<float>>();
    c.rng_counter = j.at("rng_counter").get<std::uint64_t>();
    c.last_loss = j.at("last_loss").get<std::vector<double>>();
    if (j.contains("history")) c.history = j.at("history").get<std::vector<double>>();
    if (c.epoch < 0 || c.optimizer_steps < 0)
      throw Error("checkpoint '" + path + "': negative epoch or step count");
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + path + "' is not a readable hepcat checkpoint: " + e.what());
  }
}

void check_resumable(const Checkpoint& c, const std::string& path, const std::string& command,
                     const std::vector<std::pair<std::string, std::string>>& settings) {
  if (c.command != command)
    throw Error("checkpoint '" + path + "' was written by hepcat " + c.command + ", not " +
                command);
  for (std::size_t k = 0; k < settings.size(); ++k) {
    const auto& [name, value] = settings[k];
    std::string saved = "(not set)";
    for (const auto& s : c.settings)
      if (s.first == name) saved = s.second;
    if (saved != value)
      throw Error("cannot resume from '" + path + "': " + name + " was '" + saved +
                  "' in the interrupted run and is '" + value +
                  "' now (resume with the same inputs and settings)");
  }
  if (c.settings.size() != settings.size())
    throw Error("cannot resume from '" + path + "': it was written with other settings");
}

bool CheckpointPlan::load(Checkpoint& out) const {
  if (resume.empty()) return false;
  out = read_checkpoint(resume);
  check_resumable(out, resume, command, settings);
  return true;
}

void CheckpointPlan::save_if_due(long epoch, long epochs,
                                 const std::function<Checkpoint()>& state) const {
  if (path.empty() || world().rank() != 0 || (epoch % every != 0 && epoch != epochs)) return;
  Checkpoint c = state();
  c.command = command;
  c.settings = settings;
  c.epoch = epoch;
  write_checkpoint(path, c);
}

std::string file_fingerprint(const std::string& path) {
  std::string file = path;
  if (is_hdf5_path(path)) {
    const auto colon = path.find(':', path.find(".h"));
    if (colon != std::string::npos) file = path.substr(0, colon);
  }
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) throw Error("cannot read '" + file + "' to fingerprint it");
  std::uint64_t hash = 1469598103934665603ull, size = 0;
  char buffer[1 << 16];
  for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, f)) > 0;) {
    size += got;
    for (std::size_t i = 0; i < got; ++i) {
      hash ^= static_cast<unsigned char>(buffer[i]);
      hash *= 1099511628211ull;
    }
  }
  std::fclose(f);
  char text[64];
  std::snprintf(text, sizeof text, "%016llx/%llu", static_cast<unsigned long long>(hash),
                static_cast<unsigned long long>(size));
  return text;
}

}  // namespace hepcat
