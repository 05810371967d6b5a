#include "tools/ledge/prepare_artifact.h"

#include "ir/verifier.h"
#include "lower/lower.h"
#include "runtime/infer_types.h"

namespace ledge::cli {

Status prepare_for_artifact(Model& model, const PrepareOptions& options) {
  LEDGE_TRY(apply_shape_overrides(model.graph, options.shape_overrides));
  // Fails for operators ledge does not implement or shapes that do not fit, so that no
  // artifact is written that a device cannot run; the inferred types are stored with it.
  LEDGE_TRY(infer_types(model.graph, model.opset("")));
  // The portable passes, then the CPU lowering (NHWC layout, weights re-laid out for the
  // kernels, fused activations): what a session would do at every load is done once here.
  // Loading the artifact re-runs the same steps, which then find nothing left to do.
  LEDGE_TRY(prepare_for_cpu(model));
  if (!options.keep_names) {
    shorten_value_names(model.graph);
    // A device infers the types again at load (the session plans from them); stored, they
    // would be a third of a small quantized model's artifact.
    model.graph.value_types.clear();
  }
  return Status();
}

}  // namespace ledge::cli
