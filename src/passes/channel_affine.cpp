#include "passes/channel_affine.h"

#include "passes/pass_util.h"

namespace ledge {

namespace {

bool all_ones(const std::vector<double>& v) {
  for (double x : v)
    if (x != 1.0) return false;
  return true;
}

Tensor scaled_copy(const Tensor& w, const std::vector<int64_t>& channel_of,
                   const std::vector<double>& mul) {
  Tensor out = w.clone().value();
  const int64_t n = out.numel();
  const int64_t block = n / static_cast<int64_t>(channel_of.size());
  (void)dispatch<TypeSet::kFloat>(out.dtype(), [&]<class T>() {
    if constexpr (std::is_floating_point_v<T>) {
      T* p = out.data<T>();
      for (int64_t i = 0; i < n; ++i)
        p[i] = static_cast<T>(p[i] * mul[static_cast<size_t>(channel_of[i / block])]);
    }
  });
  return out;
}

// New bias: old_bias[c] * mul[c] + add[c]; `old_bias` may be null (zero).
Tensor folded_bias(const Tensor* old_bias, const ChannelAffine& a, DType dtype) {
  const int64_t n = static_cast<int64_t>(a.mul.size());
  Tensor b = Tensor::make(dtype, {n}).value();
  for (int64_t c = 0; c < n; ++c) {
    const double v = (old_bias ? old_bias->as_double(c) : 0.0) * a.mul[static_cast<size_t>(c)] +
                     a.add[static_cast<size_t>(c)];
    if (dtype == DType::kFloat32)
      b.data<float>()[c] = static_cast<float>(v);
    else
      b.data<double>()[c] = v;
  }
  return b;
}

// Scales the weights of Conv / ConvTranspose node p by output channel; false if unsure.
bool fold_into_conv(GraphEditor& ed, size_t p, const ChannelAffine& a) {
  Node& conv = ed.node(p);
  const Tensor* w = ed.constant(conv.inputs[1]);
  if (!w || w->rank() < 3) return false;
  const bool transpose = conv.op_type == "ConvTranspose";
  const int64_t group = attr_int(conv, "group").value_or(1);
  const int64_t channels = static_cast<int64_t>(a.mul.size());
  if (group < 1 || w->dim(0) % group != 0) return false;
  // Output channel of each leading pair (w dims 0, 1) of the weights.
  std::vector<int64_t> channel_of;
  if (!transpose) {
    if (w->dim(0) != channels) return false;
    for (int64_t m = 0; m < w->dim(0); ++m)
      for (int64_t k = 0; k < w->dim(1); ++k) channel_of.push_back(m);
  } else {
    // ConvTranspose weights are [C_in, C_out / group, ...]; input channel c is in group
    // c / (C_in / group), whose outputs start at group_index * C_out / group.
    if (w->dim(1) * group != channels) return false;
    const int64_t in_per_group = w->dim(0) / group;
    for (int64_t c = 0; c < w->dim(0); ++c)
      for (int64_t j = 0; j < w->dim(1); ++j)
        channel_of.push_back((c / in_per_group) * w->dim(1) + j);
  }
  const Tensor* bias = nullptr;
  if (conv.inputs.size() > 2 && !conv.inputs[2].empty()) {
    bias = ed.constant(conv.inputs[2]);
    if (!bias || bias->dtype() != w->dtype() || bias->numel() != channels) return false;
  }
  if (w->numel() == 0) return false;
  // A shift alone leaves the weights as they are.
  if (!all_ones(a.mul))
    ed.set_input(
        p, 1, ed.add_initializer(conv.inputs[1] + "_folded", scaled_copy(*w, channel_of, a.mul)));
  const std::string bias_base = bias ? conv.inputs[2] : conv.outputs[0] + "_bias";
  ed.set_input(p, 2, ed.add_initializer(bias_base + "_folded", folded_bias(bias, a, w->dtype())));
  return true;
}

// The same for Gemm: output [M, N], channels along N.
bool fold_into_gemm(GraphEditor& ed, size_t p, const ChannelAffine& a, int64_t opset) {
  Node& gemm = ed.node(p);
  if (opset < 7 || gemm.inputs.size() < 2) return false;  // C broadcasts from opset 7
  const Tensor* b = ed.constant(gemm.inputs[1]);
  const int64_t n = static_cast<int64_t>(a.mul.size());
  if (!b || b->rank() != 2) return false;
  const bool trans_b = attr_int(gemm, "transB").value_or(0) != 0;
  if ((trans_b ? b->dim(0) : b->dim(1)) != n) return false;
  const Tensor* c = nullptr;
  if (gemm.inputs.size() > 2 && !gemm.inputs[2].empty()) {
    c = ed.constant(gemm.inputs[2]);
    // C broadcast along M (scalar, [1], [N], [1, N]) folds into one bias of shape [N].
    if (!c || c->dtype() != b->dtype()) return false;
    const bool per_n =
        (c->rank() == 1 && c->numel() == n) || (c->rank() == 2 && c->dim(0) == 1 && c->dim(1) == n);
    if (!per_n && c->numel() != 1) return false;
  }
  if (b->numel() == 0) return false;
  Tensor new_b;
  if (all_ones(a.mul)) {
    new_b = *b;  // a shift alone leaves the weights as they are
  } else if (trans_b) {
    // [N, K]: scale each row.
    std::vector<int64_t> channel_of;
    for (int64_t r = 0; r < n; ++r) channel_of.push_back(r);
    new_b = scaled_copy(*b, channel_of, a.mul);
  } else {
    new_b = b->clone().value();
    // [K, N]: scale each column.
    (void)dispatch<TypeSet::kFloat>(new_b.dtype(), [&]<class T>() {
      if constexpr (std::is_floating_point_v<T>) {
        T* q = new_b.data<T>();
        for (int64_t i = 0; i < new_b.numel(); ++i)
          q[i] = static_cast<T>(q[i] * a.mul[static_cast<size_t>(i % n)]);
      }
    });
  }
  // beta * C becomes part of the bias; the new C is used with beta = 1.
  const double beta = attr_float(gemm, "beta").value_or(1.f);
  Tensor old_c;
  if (c) {
    old_c = Tensor::make(b->dtype(), {n}).value();
    for (int64_t k = 0; k < n; ++k) {
      const double v = beta * c->as_double(c->numel() == 1 ? 0 : k);
      if (b->dtype() == DType::kFloat32)
        old_c.data<float>()[k] = static_cast<float>(v);
      else
        old_c.data<double>()[k] = v;
    }
  }
  Tensor new_c = folded_bias(c ? &old_c : nullptr, a, b->dtype());
  if (!all_ones(a.mul))
    ed.set_input(p, 1, ed.add_initializer(gemm.inputs[1] + "_folded", std::move(new_b)));
  ed.set_input(p, 2, ed.add_initializer(gemm.outputs[0] + "_bias_folded", std::move(new_c)));
  gemm.attributes["beta"] = 1.0f;
  return true;
}

}  // namespace

size_t affine_producer(GraphEditor& ed, const std::string& y, size_t reader) {
  const size_t p = ed.producer(y);
  if (p == GraphEditor::kNone || !ed.only_read_by(y, reader)) return GraphEditor::kNone;
  const Node& prod = ed.node(p);
  const bool known = is_op(prod, "Conv") || is_op(prod, "ConvTranspose") || is_op(prod, "Gemm");
  if (!known || prod.inputs.size() < 2 || prod.outputs.size() != 1) return GraphEditor::kNone;
  const Tensor* w = ed.constant(prod.inputs[1]);
  if (!w || (w->dtype() != DType::kFloat32 && w->dtype() != DType::kFloat64))
    return GraphEditor::kNone;
  return p;
}

bool fold_affine(GraphEditor& ed, size_t p, size_t reader, const ChannelAffine& f, int64_t opset) {
  const bool gemm = is_op(ed.node(p), "Gemm");
  if (!(gemm ? fold_into_gemm(ed, p, f, opset) : fold_into_conv(ed, p, f))) return false;
  const std::string x = ed.node(p).outputs[0];
  const std::string y = ed.node(reader).outputs[0];
  ed.remove_node(reader);
  ed.set_output(p, 0, y);
  ed.graph().value_types.erase(x);
  return true;
}

}  // namespace ledge
