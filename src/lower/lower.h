// Lowering for the CPU backend: rewrites a typed graph (runtime/infer_types) into the
// operators the fast kernels implement. Unlike the portable passes in src/passes, the
// result uses operators of the "ledge" domain (src/ops/lowered_common.h) and is meant
// for ledge sessions and .ledge artifacts, not for export as ONNX.
//
// Steps, each a free function in its own file:
//   constants_to_initializers  Constant nodes holding a tensor, and Identity of a weight,
//                          become initializers
//   lower_fully_connected  Gemm / MatMul with constant weights → ledge.FullyConnected
//   fuse_channel_shuffle   Reshape → Transpose → Reshape channel shuffles → ledge.ChannelShuffle
//   convert_to_nhwc        choose the NHWC layout once for every float convolution and
//                          the element-wise, pooling and concatenation nodes around it;
//                          Transposes only where a region of NHWC nodes meets the rest
//   fuse_quantized_pools   DQ → NhwcAveragePool → Q → ledge.NhwcQAveragePool (integers)
//   fuse_hard_swish        x * HardSigmoid(x) (opset < 14 exports) → HardSwish(x)
//   fuse_activations       Relu / Clip / Relu6 / HardSwish into the preceding NhwcConv or FullyConnected
//   prepack_int8_weights   weights of the integer matrix products stored in their kernel's
//                          packed layout, used in place from an artifact's mapping
//   share_equal_constants  equal small constants (a quantized model's scales) become one
//   drop_unused_initializers
// Before them, prepare_for_cpu runs fuse_quantized_ops: QDQ patterns → QLinearConv and
// ledge.QFullyConnected (integer kernels), which convert_to_nhwc turns into
// ledge.NhwcQLinearConv; then fuse_quantized_lookups: element-wise float islands between a
// DequantizeLinear and a QuantizeLinear → ledge.QLookup (a table of 256 bytes).
// Every step keeps the graph's inputs, outputs and results unchanged.
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace ledge {

// Everything a CPU session or a .ledge artifact does to a model before planning: type
// inference, folding what is known ahead of time, the portable passes (src/passes), then
// lower_for_cpu, the verifier and type inference again. Idempotent.
Status prepare_for_cpu(Model& model);

// `model.graph` must carry value types (infer_types). Idempotent.
Status lower_for_cpu(Model& model);

// Needs value types (infer_types); runs before constant folding (see fuse_quantized.cpp).
Status fuse_quantized_ops(Graph& graph);
// Needs value types; after fuse_quantized_ops.
void fuse_quantized_lookups(Graph& graph, int64_t opset);
// The ONNX nodes (default domain) that pick, move or copy values without changing them
// (MaxPool, Flatten, Reshape, Transpose, nearest-neighbour Resize): fuse_quantized_ops runs
// them on the integers when a DequantizeLinear feeds them, and the quantizer gives their
// outputs their inputs' scale.
bool moves_values_unchanged(const Node& node);
// A linear Resize (not tf_crop_and_resize): each output is a weighted mean of inputs, so its
// values stay within the input's range and it may share the input's quantization parameters
// (the lowering then runs it on the integers as ledge.QResize).
bool interpolates_within_range(const Node& node);
void constants_to_initializers(Graph& graph);
// Nodes whose outputs were all evaluated ahead of time (infer_types' `known`) become
// initializers: shape arithmetic on static shapes disappears.
void fold_known_values(Graph& graph, const std::map<std::string, Tensor>& known);
Status lower_fully_connected(Graph& graph);
Status fuse_channel_shuffle(Graph& graph);
Status convert_to_nhwc(Graph& graph);
void fuse_quantized_pools(Graph& graph);  // after convert_to_nhwc
void fuse_hard_swish(Graph& graph);
Status fuse_activations(Graph& graph, int64_t opset);
void prepack_int8_weights(Graph& graph);
void drop_unused_initializers(Graph& graph);
// Equal small constants (scales, zero points) become one initializer.
void share_equal_constants(Graph& graph);
// Short names ("v12") for every value but the graph's inputs and outputs: artifacts only.
void shorten_value_names(Graph& graph);

}  // namespace ledge
