// Portable graph optimizations: standard ONNX in, standard ONNX out.
//
// Each pass rewrites a model in place, one file per pass, and returns how many rewrites it
// made (0 when it found nothing to do). Every pass keeps the model's results the same: it
// skips what it cannot prove (unknown shapes, dtypes whose rounding would change, optional
// outputs that are read), never renames the graph's inputs or outputs, and never edits
// subgraphs (If/Loop/Scan bodies) except to drop dead nodes in them; values subgraphs read
// from an enclosing graph are kept. optimize.h runs them together to a fixed point.
//
// Backend lowering (activation fusion, NHWC layouts, fast kernels) is not here: it belongs
// to src/lower and produces ledge-internal operators, while these passes keep the model
// runnable by any ONNX runtime.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "ir/graph.h"

namespace ledge {

struct FoldConstantsOptions {
  // Largest tensor one folded node may produce.
  size_t max_output_bytes = size_t{16} << 20;
  // A folded node may grow the model by at most this much over the constants it reads, so
  // that small descriptions of big tensors (ConstantOfShape, Expand, Tile, a Cast from
  // float16 weights...) stay nodes.
  size_t max_growth_bytes = size_t{64} << 10;
};

// Evaluates nodes whose inputs are all constants (initializers the caller cannot override,
// Constant nodes) with the reference kernels and turns their outputs into initializers.
// Shape and Size of statically shaped values fold too. Random operators, nodes with
// subgraphs and nodes producing graph outputs stay.
Expected<int64_t> fold_constants(Model& model, const FoldConstantsOptions& options = {});

// Removes nodes whose outputs nobody reads (recursively, subgraph bodies included) and
// initializers nobody reads (unless they are also graph inputs).
Expected<int64_t> eliminate_dead_code(Model& model);

// Removes nodes that return their input: Identity, inference Dropout (mask unused), Cast to
// the input's type, Reshape/Flatten/Squeeze/Unsqueeze to the input's static shape, Transpose
// with the identity permutation.
Expected<int64_t> remove_identities(Model& model);

// Folds an inference BatchNormalization into the Conv, ConvTranspose or Gemm before it (with
// constant weights, read only by the BatchNormalization). float32 and float64.
Expected<int64_t> fold_batch_norm(Model& model);

// Mul, Add or Sub of a per-channel constant right after a Conv, ConvTranspose or Gemm (constant
// weights, output read only there) folds into its weights and bias. float32 and float64.
Expected<int64_t> fold_mul_add(Model& model);

// MatMul(2-D A, constant 2-D B) followed by Add of a constant bias of shape [N], [1, N] or a
// scalar becomes one Gemm. float32 and float64.
Expected<int64_t> fuse_matmul_add(Model& model);

// A zero constant Pad of spatial dimensions before a Conv becomes the Conv's own padding.
Expected<int64_t> fold_pad(Model& model);

// Transpose followed by Transpose becomes one Transpose (or nothing for the identity).
Expected<int64_t> cancel_transposes(Model& model);

// Chains of Reshape, Flatten, Squeeze and Unsqueeze become one Reshape (or nothing when the
// end shape is the start shape): they all keep the elements' order.
Expected<int64_t> merge_reshapes(Model& model);

}  // namespace ledge
