// Identity: output 0 is input 0 (sharing its storage; tensors are immutable once produced).
#include "ops/elementwise_common.h"

namespace ledge {
namespace {

Status infer_identity(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  return c.set_output(0, c.input_type(0));
}

Status run_identity(KernelContext& c) {
  c.set_output(0, c.input(0));
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Identity, ledge::infer_identity, ledge::run_identity)
