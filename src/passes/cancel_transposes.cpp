// Transpose(Transpose(x, p1), p2) = Transpose(x, q) with q[k] = p1[p2[k]]; when q is the
// identity both go (converters wrap every NHWC operator in such pairs).
#include <numeric>

#include "passes/graph_editor.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ledge {

namespace {

// The permutation of a Transpose node; the default reverses the axes (rank from the type).
std::optional<std::vector<int64_t>> permutation(GraphEditor& ed, const Node& t) {
  if (auto perm = attr_ints(t, "perm")) {
    std::vector<bool> seen(perm->size(), false);
    for (int64_t v : *perm) {
      if (v < 0 || v >= static_cast<int64_t>(perm->size()) || seen[static_cast<size_t>(v)])
        return std::nullopt;
      seen[static_cast<size_t>(v)] = true;
    }
    return perm;
  }
  const TensorType* in = ed.type(t.inputs[0]);
  if (!in || !in->shape) return std::nullopt;
  std::vector<int64_t> reversed(in->shape->size());
  std::iota(reversed.rbegin(), reversed.rend(), int64_t{0});
  return reversed;
}

bool cancel(GraphEditor& ed, size_t i) {
  Node& second = ed.node(i);
  if (!is_op(second, "Transpose") || second.inputs.size() != 1 || second.outputs.size() != 1)
    return false;
  const std::string y = second.inputs[0];
  const size_t p = ed.producer(y);
  if (p == GraphEditor::kNone) return false;
  const Node& first = ed.node(p);
  if (!is_op(first, "Transpose") || first.inputs.size() != 1 || first.inputs[0].empty())
    return false;
  auto p1 = permutation(ed, first);
  auto p2 = permutation(ed, second);
  if (!p1 || !p2 || p1->size() != p2->size()) return false;
  std::vector<int64_t> q(p2->size());
  bool identity = true;
  for (size_t k = 0; k < q.size(); ++k) {
    q[k] = (*p1)[static_cast<size_t>((*p2)[k])];
    identity = identity && q[k] == static_cast<int64_t>(k);
  }
  const bool first_dies = ed.only_read_by(y, i);
  // Rewriting the second alone gains nothing unless the pair cancels.
  if (!first_dies && !identity) return false;
  const std::string x = first.inputs[0];
  if (first_dies) ed.remove_node(p);
  ed.set_input(i, 0, x);
  second.attributes["perm"] = q;
  // An identity Transpose left here (when its output cannot be renamed) is still correct.
  if (identity) ed.bypass(i, 0, 0);
  if (first_dies) ed.graph().value_types.erase(y);
  return true;
}

}  // namespace

Expected<int64_t> cancel_transposes(Model& model) {
  GraphEditor ed(model.graph, refresh_types(model));
  int64_t rewritten = 0;
  for (size_t i = 0; i < ed.size(); ++i)
    if (!ed.removed(i) && cancel(ed, i)) ++rewritten;
  ed.commit();
  return rewritten;
}

}  // namespace ledge
