// Post-training quantization into QDQ form: the standard ONNX way to describe an int8 model,
// which ONNX Runtime and ledge both run.
//
//   x ──Q──DQ──▶ Conv ──▶ y ──Q──DQ──▶ (consumers of y)
//   W_int8 ──DQ──▶      ▲   bias_int32 ──DQ──▶
//
// For every Conv, Gemm and MatMul whose weights are constant, and every Add of two float
// activations (a residual connection: both inputs and the output get pairs; the model's
// value types must be inferred, runtime/infer_types.h, or Adds are left alone):
//   - weights become int8, symmetric (zero point 0, levels -127..127), one scale per output
//     channel (per_channel) or one for the tensor;
//   - the bias becomes int32 with scale = input scale x weight scale (so an integer kernel
//     adds it exactly), zero point 0;
//   - the activation input and output get a QuantizeLinear/DequantizeLinear pair with the
//     calibrated range (uint8 or int8, asymmetric; zero is always exact); when the output
//     feeds only a Relu or Clip, the pair follows it instead (all levels for [0, max]);
//   - MaxPool, Flatten, Reshape, Transpose and Resize (nearest or linear) outputs get their
//     input's parameters.
// Graph outputs stay float. Nodes named in keep_float are left as they are (mixed
// precision). The result is a new model; the input is not changed.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/status.h"
#include "ir/graph.h"
#include "quant/calibrate.h"

namespace ledge {

struct QuantizeOptions {
  bool per_channel = true;
  bool unsigned_activations = true;  // uint8 activations (ONNX Runtime's CPU default), else int8
  std::set<std::string> keep_float;  // node names (Node::name) to leave in float
};

// The nodes quantize_qdq would quantize, in graph order (their names).
std::vector<std::string> quantizable_nodes(const Model& model);

// The tensors whose ranges quantize_qdq needs: each quantized node's activation input and
// its output (unless that is a graph output).
std::set<std::string> tensors_to_calibrate(const Model& model, const QuantizeOptions& options);

Expected<std::shared_ptr<Model>> quantize_qdq(const Model& model,
                                              const std::map<std::string, Range>& ranges,
                                              const QuantizeOptions& options);

}  // namespace ledge
