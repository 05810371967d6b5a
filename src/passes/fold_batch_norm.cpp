// Folds inference BatchNormalization into the weights of the Conv, ConvTranspose or Gemm
// that feeds it:  BN(y) = s * (y - mean) + bias, s = scale / sqrt(var + epsilon), so
// scaling output channel c of the weights by s[c] and adjusting the bias gives the same.
#include <cmath>

#include "passes/channel_affine.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ledge {

namespace {

// The BatchNormalization at node i as an affine map, when it is one: inference form,
// constant parameters of one float type, one channel dimension.
std::optional<ChannelAffine> bn_affine(GraphEditor& ed, const Node& bn, int64_t opset,
                                       DType dtype) {
  if (bn.inputs.size() != 5) return std::nullopt;
  if (opset < 7 && attr_int(bn, "is_test").value_or(0) == 0) return std::nullopt;
  if (opset < 9 && attr_int(bn, "spatial").value_or(1) != 1) return std::nullopt;
  if (attr_int(bn, "training_mode").value_or(0) != 0) return std::nullopt;
  for (size_t k = 1; k < bn.outputs.size(); ++k)
    if (!bn.outputs[k].empty() && !ed.unused(bn.outputs[k])) return std::nullopt;
  const Tensor* p[4];
  for (size_t k = 0; k < 4; ++k) {
    p[k] = ed.constant(bn.inputs[k + 1]);
    if (!p[k] || p[k]->dtype() != dtype || p[k]->rank() != 1 || p[k]->numel() != p[0]->numel())
      return std::nullopt;
  }
  const double eps = attr_float(bn, "epsilon").value_or(1e-5f);
  ChannelAffine a;
  for (int64_t c = 0; c < p[0]->numel(); ++c) {
    const double s = p[0]->as_double(c) / std::sqrt(p[3]->as_double(c) + eps);
    a.mul.push_back(s);
    a.add.push_back(p[1]->as_double(c) - p[2]->as_double(c) * s);
  }
  return a;
}

}  // namespace

Expected<int64_t> fold_batch_norm(Model& model) {
  GraphEditor ed(model.graph, refresh_types(model));
  const int64_t opset = model.opset("");
  int64_t folded = 0;
  for (size_t i = 0; i < ed.size(); ++i) {
    if (ed.removed(i)) continue;
    const Node& bn = ed.node(i);
    if (!is_op(bn, "BatchNormalization") || bn.inputs.empty() || bn.outputs.empty()) continue;
    const size_t p = affine_producer(ed, bn.inputs[0], i);
    if (p == GraphEditor::kNone) continue;
    const Tensor* w = ed.constant(ed.node(p).inputs[1]);
    auto affine = bn_affine(ed, bn, opset, w->dtype());
    if (!affine || !fold_affine(ed, p, i, *affine, opset)) continue;
    ++folded;
  }
  ed.commit();
  return folded;
}

}  // namespace ledge
