// Dropout for inference: output = input, and the optional mask output is all ones.
//
// Training mode (training_mode input true, opset 12+) is random and not supported, except
// with ratio 0, where it is the identity too. Before opset 7 the attribute is_test defaulted
// to 0 (training); like other inference runtimes, ledge runs those nodes as inference.
#include "ops/elementwise_common.h"

namespace ledge {
namespace {

// The mask is bool from opset 10, of the data's type before.
DType mask_type(const InferContext& c) { return c.opset() >= 10 ? DType::kBool : c.input_dtype(0); }

// From opset 12: is training requested, and with a non-zero ratio? Unknown values pass.
Status check_training(const NodeContext& c, const Tensor* ratio, const Tensor* training) {
  if (!training || training->numel() == 0 || training->dtype() != DType::kBool ||
      !training->data<bool>()[0])
    return Status();
  const double r = ratio && ratio->numel() > 0 ? ratio->as_double(0) : 0.5;
  if (r != 0)
    return c.fail_unsupported("training mode (random dropout with ratio " + std::to_string(r) +
                              ") is not supported");
  return Status();
}

Status infer_dropout(InferContext& c) {
  LEDGE_TRY(require_typed(c, 0, TypeSet::kFloat));
  if (c.opset() >= 12) {
    if (c.has_input(1)) LEDGE_TRY(require_typed(c, 1, TypeSet::kFloat));
    if (c.has_input(2)) LEDGE_TRY(require_typed(c, 2, TypeSet::kBool));
    LEDGE_TRY(check_training(c, c.input_value(1), c.input_value(2)));
  }
  LEDGE_TRY(c.set_output(0, c.input_type(0)));
  const DType m = mask_type(c);
  return c.set_output(1, TensorType{m, c.input_type(0).shape});
}

Status run_dropout(KernelContext& c) {
  if (c.opset() >= 12) LEDGE_TRY(check_training(c, c.input_or_null(1), c.input_or_null(2)));
  c.set_output(0, c.input(0));
  if (c.num_outputs() > 1 && c.output(1).defined()) {
    Tensor& mask = c.output(1);
    return dispatch(mask.dtype(), [&]<class T>() {
      T* p = mask.data<T>();
      for (int64_t i = 0; i < mask.numel(); ++i) p[i] = static_cast<T>(1.0f);
    });
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Dropout, ledge::infer_dropout, ledge::run_dropout)
