// ledge.FusedAdd: Add (NumPy broadcasting, float32) followed by a clamp, the form the CPU
// lowering gives a residual Add whose result goes through Relu or Clip.
#include "ops/lowered_common.h"
#include "ops/nn_common.h"

namespace ledge {
namespace {

const OpKernel& add_op() {
  static const OpKernel* add = find_op("", "Add");
  return *add;
}

Status infer(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1));
  if (c.input_dtype(0) != DType::kFloat32 || c.input_dtype(1) != DType::kFloat32)
    return c.fail("FusedAdd takes float32");
  return add_op().infer(c);
}

Status run(KernelContext& c) {
  LEDGE_TRY(add_op().run(c));
  const ActivationRange act = read_activation(c);
  for (float& v : c.output(0).span<float>()) v = act.apply(v);
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(FusedAdd, "ledge", infer, run)
