// ONNX import: the only place that sees protobuf.
//
//   LEDGE_ASSIGN(std::shared_ptr<Model> model, import_onnx_file("model.onnx"));
//
// The file is untrusted: every field is checked (tensor sizes against declared shapes,
// external-data paths confined to the model's folder, attribute types, node order), and
// any problem is an Error, never a crash. Nodes come out sorted topologically.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace ledge {

Expected<std::shared_ptr<Model>> import_onnx_file(const std::string& path);
// `base_dir` resolves external-data files; empty means external data is refused.
Expected<std::shared_ptr<Model>> import_onnx_bytes(const void* data, size_t size,
                                                   const std::string& base_dir);

// A serialized ONNX TensorProto (the .pb files of the ONNX test suite).
Expected<Tensor> read_tensor_pb(const std::string& path);
Expected<Tensor> parse_tensor_pb(const void* data, size_t size);
Status write_tensor_pb(const std::string& path, const Tensor& t, const std::string& name);

}  // namespace ledge
