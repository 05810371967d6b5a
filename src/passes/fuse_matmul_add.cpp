// MatMul + Add of a bias becomes Gemm (the form exporters give fully connected layers when
// they do not emit Gemm themselves, e.g. from TensorFlow or Paddle).
#include "passes/graph_editor.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ledge {

namespace {

bool is_gemm_type(DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }

// A bias Gemm's C accepts that broadcasts along rows only, so that Add's output stays [M, N].
bool is_row_bias(const Tensor& c, int64_t n) {
  if (c.rank() == 0) return true;
  if (c.rank() == 1) return c.dim(0) == n || c.dim(0) == 1;
  return c.rank() == 2 && c.dim(0) == 1 && (c.dim(1) == n || c.dim(1) == 1);
}

bool fuse(GraphEditor& ed, size_t i) {
  const Node& add = ed.node(i);
  if (!is_op(add, "Add") || add.inputs.size() != 2 || add.outputs.size() != 1) return false;
  for (size_t side = 0; side < 2; ++side) {
    const std::string& m = add.inputs[side];
    const Tensor* c = ed.constant(add.inputs[1 - side]);
    const size_t p = ed.producer(m);
    if (!c || p == GraphEditor::kNone || !ed.only_read_by(m, i)) continue;
    Node& mm = ed.node(p);
    if (!is_op(mm, "MatMul") || mm.inputs.size() != 2 || mm.outputs.size() != 1) continue;
    const TensorType* a = ed.type(mm.inputs[0]);
    const Tensor* b = ed.constant(mm.inputs[1]);
    if (!a || !a->shape || a->shape->size() != 2 || !b || b->rank() != 2) continue;
    if (!is_gemm_type(b->dtype()) || a->dtype != b->dtype() || c->dtype() != b->dtype()) continue;
    if (!is_row_bias(*c, b->dim(1))) continue;
    const std::string bias = add.inputs[1 - side];
    const std::string y = add.outputs[0];
    ed.remove_node(i);
    mm.op_type = "Gemm";
    ed.set_input(p, 2, bias);
    ed.set_output(p, 0, y);
    ed.graph().value_types.erase(m);
    return true;
  }
  return false;
}

}  // namespace

Expected<int64_t> fuse_matmul_add(Model& model) {
  // Gemm broadcasts C from opset 7; earlier it needs an attribute this pass does not set.
  if (model.opset("") < 7) return int64_t{0};
  GraphEditor ed(model.graph, refresh_types(model));
  int64_t fused = 0;
  for (size_t i = 0; i < ed.size(); ++i)
    if (!ed.removed(i) && fuse(ed, i)) ++fused;
  ed.commit();
  return fused;
}

}  // namespace ledge
