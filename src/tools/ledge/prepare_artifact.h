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
};

// The single place where a model is readied for its artifact: the graph written to the
// .ledge file is the graph a device runs.
Status prepare_for_artifact(Model& model, const PrepareOptions& options);

}  // namespace ledge::cli
