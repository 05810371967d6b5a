#include "tools/ledge/common.h"

#include <cstdio>

#include "artifact/artifact.h"
#include "io/npy.h"
#include "onnx/import.h"

namespace ledge::cli {

int exit_code_for(const Error& e) { return exit_code_for(e.code()); }

int report(const Error& e) {
  std::string msg = e.message();
  for (char& c : msg)
    if (c == '\n') c = ' ';
  std::fprintf(stderr, "ledge: %s: %s\n", error_code_name(e.code()), msg.c_str());
  return exit_code_for(e);
}

Expected<std::shared_ptr<Model>> load_model(const std::string& path) {
  // By content, not by extension: a .ledge artifact starts with its magic.
  if (is_artifact_file(path)) return load_artifact(path);
  return import_onnx_file(path);
}

Expected<std::map<std::string, Shape>> parse_shape_overrides(const std::vector<std::string>& opts) {
  std::map<std::string, Shape> out;
  for (const auto& o : opts) {
    const size_t eq = o.rfind('=');
    if (eq == std::string::npos || eq == 0)
      return invalid_argument("--shape expects NAME=DIMS (like data=1x3x224x224), got '" + o + "'");
    auto shape = parse_shape(o.substr(eq + 1));
    if (!shape) return std::move(shape).error().with_context("--shape " + o);
    out[o.substr(0, eq)] = std::move(*shape);
  }
  return out;
}

Expected<Tensor> read_tensor_file(const std::string& path) {
  auto ends_with = [&](const char* s) {
    const std::string suf(s);
    return path.size() >= suf.size() &&
           path.compare(path.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends_with(".npy")) return read_npy(path);
  if (ends_with(".pb")) return read_tensor_pb(path);
  return invalid_argument(path + ": unknown tensor file type (expected .npy or .pb)");
}

std::string sanitize_name(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) c = '_';
  }
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

}  // namespace ledge::cli
