// ONNX export: the IR back to a standard ONNX file (the inverse of import.h).
//
//   LEDGE_TRY(write_onnx_file(*model, "model.opt.onnx"));
//
// Everything the importer reads is written back: opset imports, the graph's inputs and
// outputs with symbolic dimensions, initializers of every dtype (raw little-endian data),
// attributes of every type including tensors and subgraphs, and the known types of
// intermediate values as value_info. Weights are stored inline, so models over 2 GiB are a
// resource-limit error.
#pragma once

#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace ledge {

// A serialized ModelProto.
Expected<std::string> export_onnx_bytes(const Model& model);
Status write_onnx_file(const Model& model, const std::string& path);

}  // namespace ledge
