// Folding a per-channel affine map f(y)[c] = mul[c] * y[c] + add[c] into the layer that
// produces y (Conv, ConvTranspose or Gemm with constant weights): scaling the weights of
// output channel c by mul[c] and adjusting the bias gives f(layer(x)) in one node.
// BatchNormalization and the Mul/Add pairs converters leave behind are such maps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "passes/graph_editor.h"

namespace ledge {

struct ChannelAffine {
  std::vector<double> mul, add;
};

// The node producing `y` if f could fold into it: a Conv, ConvTranspose or Gemm of the
// default domain with constant float32/float64 weights, whose output `y` only node `reader`
// reads. GraphEditor::kNone otherwise.
size_t affine_producer(GraphEditor& ed, const std::string& y, size_t reader);

// Folds f into node p and lets it produce `reader`'s output 0 in place of `reader`, which is
// removed. False, changing nothing, when the shapes do not fit (channels, groups, a Gemm
// bias that varies along rows) or before opset 7 for Gemm.
bool fold_affine(GraphEditor& ed, size_t p, size_t reader, const ChannelAffine& f, int64_t opset);

}  // namespace ledge
