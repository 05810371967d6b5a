#include "tools/ledge/prepare_artifact.h"

#include "ir/verifier.h"
#include "runtime/infer_types.h"

namespace ledge::cli {

Status prepare_for_artifact(Model& model, const PrepareOptions& options) {
  LEDGE_TRY(apply_shape_overrides(model.graph, options.shape_overrides));
  // Fails for operators ledge does not implement or shapes that do not fit, so that no
  // artifact is written that a device cannot run; the inferred types are stored with it.
  LEDGE_TRY(infer_types(model.graph, model.opset("")));

  // ---- Optimization and lowering for the CPU backend belong here, in this order: ----
  //  1. portable ONNX passes (src/passes): constant folding, fusions, dead code;
  //  2. backend lowering (src/lower): layout and internal "ledge" operators.
  // Each must leave a graph that verify_graph accepts.

  return verify_graph(model.graph);
}

}  // namespace ledge::cli
