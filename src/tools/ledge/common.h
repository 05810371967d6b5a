// Shared pieces of the CLI subcommands: loading models, tensor files, exit codes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/measure.h"  // random_tensor for inputs the user did not give

namespace ledge::cli {

// Exit codes: 0 success, then one per kind of failure so scripts can tell them apart.
int exit_code_for(const Error& e);
// Prints "ledge: <code>: <message>" on one line to stderr and returns the exit code.
int report(const Error& e);

// An ONNX file or a .ledge artifact, told apart by the artifact's magic bytes.
Expected<std::shared_ptr<Model>> load_model(const std::string& path);
// Parses repeated NAME=DIMS options.
Expected<std::map<std::string, Shape>> parse_shape_overrides(const std::vector<std::string>& opts);
// Reads a .npy or ONNX TensorProto .pb file, chosen by extension.
Expected<Tensor> read_tensor_file(const std::string& path);
// A file name for a tensor name: characters outside [A-Za-z0-9_.-] become '_'.
std::string sanitize_name(const std::string& name);

}  // namespace ledge::cli
