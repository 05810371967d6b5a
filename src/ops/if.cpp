// If: runs then_branch or else_branch (subgraphs without inputs that may read the enclosing
// scope) depending on a single-element bool condition; the node's outputs are the branch's.
// Branches may produce different shapes (If-11+), so the static output type is the merge of
// both branches' types unless the condition is known.
#include "ops/control_flow_common.h"

namespace ledge {
namespace {

Expected<std::pair<const Graph*, const Graph*>> branches(const NodeContext& c) {
  const Graph* then_g = c.attr_graph("then_branch");
  const Graph* else_g = c.attr_graph("else_branch");
  if (!then_g || !else_g) return c.fail("needs then_branch and else_branch graphs");
  if (then_g->outputs.size() != else_g->outputs.size())
    return c.fail("then_branch has " + std::to_string(then_g->outputs.size()) +
                  " outputs, else_branch " + std::to_string(else_g->outputs.size()));
  if (c.node().outputs.size() > then_g->outputs.size())
    return c.fail("has " + std::to_string(c.node().outputs.size()) + " outputs, its branches " +
                  std::to_string(then_g->outputs.size()));
  return std::make_pair(then_g, else_g);
}

Status infer_if(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "cond"));
  const TensorType& cond = c.input_type(0);
  if (cond.dtype != DType::kBool && cond.dtype != DType::kUndefined)
    return c.fail("cond must be bool, got " + cond.to_string());
  if (!cf::is_single_element(cond))
    return c.fail("cond must have a single element, got " + cond.to_string());
  LEDGE_ASSIGN(auto gs, branches(c));
  const auto then_t = cf::subgraph_output_types(*gs.first, {}, c.opset());
  const auto else_t = cf::subgraph_output_types(*gs.second, {}, c.opset());
  const Tensor* cv = c.input_value(0);
  const bool known = cv && cv->numel() == 1;
  for (size_t i = 0; i < c.num_outputs(); ++i) {
    if (!known) {
      const TensorType& a = then_t[i];
      const TensorType& b = else_t[i];
      if (a.dtype != b.dtype && a.dtype != DType::kUndefined && b.dtype != DType::kUndefined)
        return c.fail("output " + std::to_string(i) + " is " + a.to_string() +
                      " in then_branch but " + b.to_string() + " in else_branch");
      LEDGE_TRY(c.set_output(i, cf::merge_types(a, b)));
    } else {
      LEDGE_TRY(c.set_output(i, cv->as_int64(0) != 0 ? then_t[i] : else_t[i]));
    }
  }
  return Status();
}

Status run_if(KernelContext& c) {
  LEDGE_ASSIGN(auto gs, branches(c));
  const Tensor& cond = c.input(0);
  if (cond.numel() != 1) return c.fail("cond must have a single element");
  const bool taken = cond.as_int64(0) != 0;
  const Graph& g = taken ? *gs.first : *gs.second;
  LEDGE_ASSIGN(std::vector<Tensor> results, c.run_subgraph(g, {}));
  if (results.size() != g.outputs.size()) return internal_error("If: branch output count");
  const auto types = cf::subgraph_output_types(g, {}, c.opset());
  for (size_t i = 0; i < c.num_outputs(); ++i) {
    LEDGE_TRY(cf::check_output(c, results[i], types[i], taken ? "then_branch" : "else_branch", i));
    c.set_output(i, std::move(results[i]));
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(If, ledge::infer_if, ledge::run_if)
