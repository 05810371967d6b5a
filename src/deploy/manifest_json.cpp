#include "deploy/manifest_json.h"

#include <nlohmann/json.hpp>

#include "deploy/bundle_format.h"
#include "deploy/canonical_json.h"
#include "deploy/rejection.h"

namespace ledge::deploy {

namespace {

using nlohmann::json;

constexpr size_t kMaxFeatures = 64;
constexpr size_t kMaxGoldenCases = 1024;
constexpr size_t kMaxTensorsPerCase = 256;
constexpr size_t kMaxTextBytes = 256;

Error malformed(const std::string& what) {
  return rejection_error(Rejection::kMalformed, "manifest: " + what);
}

bool short_string(const json& j) {
  return j.is_string() && j.get_ref<const std::string&>().size() <= kMaxTextBytes;
}

Expected<std::map<std::string, std::string>> tensor_files(const json& j, const Manifest& m,
                                                          const char* what) {
  if (!j.is_object() || j.size() > kMaxTensorsPerCase)
    return malformed(std::string("golden ") + what + " must be an object");
  std::map<std::string, std::string> out;
  for (const auto& [tensor, file] : j.items()) {
    if (tensor.size() > kMaxTextBytes || !file.is_string())
      return malformed(std::string("golden ") + what + " '" + tensor.substr(0, 64) + "'");
    const std::string& f = file.get_ref<const std::string&>();
    if (!m.sha256.count(f)) return malformed("golden file '" + f.substr(0, 64) + "' is not hashed");
    out[tensor] = f;
  }
  return out;
}

}  // namespace

std::string manifest_to_json(const Manifest& m) {
  json golden = json::array();
  for (const auto& g : m.golden)
    golden.push_back(
        {{"inputs", g.inputs}, {"outputs", g.outputs}, {"atol", g.atol}, {"rtol", g.rtol}});
  json j = {{"type", "ledge-bundle-manifest"},
            {"name", m.name},
            {"version", m.version},
            {"expires_at", m.expires_at},
            {"model", m.model},
            {"cpu_features", m.cpu_features},
            {"min_runtime_version", m.min_runtime_version},
            {"files", m.sha256},
            {"golden", std::move(golden)},
            {"latency_budget_ms", m.latency_budget_ms}};
  if (!m.preprocess.empty()) j["preprocess"] = m.preprocess;
  return canonical_json(j);
}

Expected<Manifest> manifest_from_json(const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("type", json()) != "ledge-bundle-manifest")
    return malformed("not a bundle manifest");
  if (canonical_json(j) != text) return malformed("not in canonical form");
  Manifest m;
  if (!j.contains("name") || !short_string(j["name"])) return malformed("bad name");
  m.name = j["name"].get<std::string>();
  if (!j.contains("version") || !j["version"].is_number_unsigned()) return malformed("bad version");
  m.version = j["version"].get<uint64_t>();
  if (!j.contains("expires_at") || !j["expires_at"].is_number_integer())
    return malformed("bad expires_at");
  m.expires_at = j["expires_at"].get<int64_t>();
  if (!j.contains("min_runtime_version") || !short_string(j["min_runtime_version"]))
    return malformed("bad min_runtime_version");
  m.min_runtime_version = j["min_runtime_version"].get<std::string>();
  if (!j.contains("latency_budget_ms") || !j["latency_budget_ms"].is_number() ||
      j["latency_budget_ms"].get<double>() < 0)
    return malformed("bad latency_budget_ms");
  m.latency_budget_ms = j["latency_budget_ms"].get<double>();
  if (j.contains("preprocess")) {
    if (!short_string(j["preprocess"]) || j["preprocess"].get_ref<const std::string&>().empty())
      return malformed("bad preprocess");
    m.preprocess = j["preprocess"].get<std::string>();
  }

  if (!j.contains("cpu_features") || !j["cpu_features"].is_array() ||
      j["cpu_features"].size() > kMaxFeatures)
    return malformed("bad cpu_features");
  for (const auto& f : j["cpu_features"]) {
    if (!short_string(f)) return malformed("bad cpu feature");
    m.cpu_features.push_back(f.get<std::string>());
  }

  if (!j.contains("files") || !j["files"].is_object() || j["files"].empty() ||
      j["files"].size() > kMaxFiles)
    return malformed("bad file list");
  for (const auto& [name, digest] : j["files"].items()) {
    if (!safe_file_name(name)) return malformed("unsafe file name");
    if (!digest.is_string() || digest.get_ref<const std::string&>().size() != 64)
      return malformed("bad SHA-256 for '" + name + "'");
    m.sha256[name] = digest.get<std::string>();
  }
  if (!j.contains("model") || !j["model"].is_string() ||
      !m.sha256.count(j["model"].get<std::string>()))
    return malformed("the model is not among the hashed files");
  m.model = j["model"].get<std::string>();

  if (!j.contains("golden") || !j["golden"].is_array() || j["golden"].size() > kMaxGoldenCases)
    return malformed("bad golden list");
  for (const auto& g : j["golden"]) {
    if (!g.is_object() || !g.contains("inputs") || !g.contains("outputs") || !g.contains("atol") ||
        !g.contains("rtol") || !g["atol"].is_number() || !g["rtol"].is_number())
      return malformed("bad golden case");
    GoldenVector v;
    LEDGE_ASSIGN(v.inputs, tensor_files(g["inputs"], m, "inputs"));
    LEDGE_ASSIGN(v.outputs, tensor_files(g["outputs"], m, "outputs"));
    v.atol = g["atol"].get<double>();
    v.rtol = g["rtol"].get<double>();
    if (!(v.atol >= 0) || !(v.rtol >= 0)) return malformed("negative golden tolerance");
    m.golden.push_back(std::move(v));
  }
  return m;
}

}  // namespace ledge::deploy
