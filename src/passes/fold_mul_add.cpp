// Mul, Add or Sub of a per-channel constant right after a Conv, ConvTranspose or Gemm folds
// into its weights and bias. Converters leave these behind (TensorFlow's FusedBatchNorm
// becomes Mul + Add; normalization constants, biases added separately).
#include "passes/channel_affine.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ledge {

namespace {

// The per-channel values of constant k broadcast against an output of `rank` dimensions
// with `channels` channels along dimension 1, or nullopt when k varies along any other
// dimension or would broadcast the output to a bigger shape.
std::optional<std::vector<double>> per_channel(const Tensor& k, int64_t rank, int64_t channels) {
  if (k.rank() > rank) return std::nullopt;
  bool along_channels = false;
  for (int64_t j = 0; j < k.rank(); ++j) {
    const int64_t d = j + rank - k.rank();  // the output dimension k's dimension j meets
    if (k.dim(j) == 1) continue;
    if (d != 1 || k.dim(j) != channels) return std::nullopt;
    along_channels = true;
  }
  if (k.numel() == 0) return std::nullopt;
  std::vector<double> v(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c)
    v[static_cast<size_t>(c)] = k.as_double(along_channels ? c : 0);
  return v;
}

// Output rank and channel count of a Conv, ConvTranspose or Gemm with constant weights.
bool output_channels(GraphEditor& ed, const Node& layer, int64_t& rank, int64_t& channels) {
  const Tensor* w = ed.constant(layer.inputs[1]);
  if (is_op(layer, "Gemm")) {
    if (w->rank() != 2) return false;
    rank = 2;
    channels = attr_int(layer, "transB").value_or(0) ? w->dim(0) : w->dim(1);
    return true;
  }
  if (w->rank() < 3) return false;
  rank = w->rank();
  channels = is_op(layer, "Conv") ? w->dim(0) : w->dim(1) * attr_int(layer, "group").value_or(1);
  return true;
}

bool fold(GraphEditor& ed, size_t i, int64_t opset) {
  const Node& op = ed.node(i);
  const bool mul = is_op(op, "Mul"), add = is_op(op, "Add"), sub = is_op(op, "Sub");
  if ((!mul && !add && !sub) || op.inputs.size() != 2 || op.outputs.size() != 1) return false;
  // Mul and Add commute; Sub only as layer(x) - k.
  for (size_t side = 0; side < (sub ? 1u : 2u); ++side) {
    const size_t p = affine_producer(ed, op.inputs[side], i);
    const Tensor* k = ed.constant(op.inputs[1 - side]);
    if (p == GraphEditor::kNone || !k) continue;
    const Tensor* w = ed.constant(ed.node(p).inputs[1]);
    int64_t rank = 0, channels = 0;
    if (k->dtype() != w->dtype() || !output_channels(ed, ed.node(p), rank, channels)) continue;
    auto v = per_channel(*k, rank, channels);
    if (!v) continue;
    ChannelAffine f{std::vector<double>(v->size(), 1.0), std::vector<double>(v->size(), 0.0)};
    for (size_t c = 0; c < v->size(); ++c) {
      if (mul) f.mul[c] = (*v)[c];
      if (add) f.add[c] = (*v)[c];
      if (sub) f.add[c] = -(*v)[c];
    }
    if (fold_affine(ed, p, i, f, opset)) return true;
  }
  return false;
}

}  // namespace

Expected<int64_t> fold_mul_add(Model& model) {
  GraphEditor ed(model.graph, refresh_types(model));
  const int64_t opset = model.opset("");
  int64_t folded = 0;
  for (size_t i = 0; i < ed.size(); ++i)
    if (!ed.removed(i) && fold(ed, i, opset)) ++folded;
  ed.commit();
  return folded;
}

}  // namespace ledge
