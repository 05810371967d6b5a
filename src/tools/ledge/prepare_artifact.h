// What `ledge compile` does to a model between importing it and writing the artifact.
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace ledge::cli {

struct PrepareOptions {
  // Fixes dynamic input dimensions in the artifact: name → full shape.
  std::map<std::string, Shape> shape_overrides;
  // Keep the model's value names and the inferred value types (else short names, see
  // shorten_value_names, and no stored types: the loader infers them again).
  bool keep_names = false;
};

// The single place where a model is readied for its artifact: the graph written to the
// .ledge file is the graph a device runs.
Status prepare_for_artifact(Model& model, const PrepareOptions& options);

}  // namespace ledge::cli
