#include "kernels/xnn_kernel.h"

namespace ledge {

Status xnn_check(xnn_status st, const char* what) {
  if (st == xnn_status_success) return Status();
  if (st == xnn_status_out_of_memory) return resource_limit(std::string(what) + ": out of memory");
  return internal_error(std::string(what) + " failed (XNNPACK status " +
                        std::to_string(static_cast<int>(st)) + ")");
}

XnnKernel::~XnnKernel() {
  if (op_) xnn_delete_operator(op_);
}

Status XnnKernel::run(const Tensor* const* inputs, Tensor* const* outputs) {
  bool moved = outputs[0]->raw() != last_out_;
  for (size_t i = 0; i < num_inputs_ && i < 2; ++i)
    moved = moved || (inputs[i] ? inputs[i]->raw() : nullptr) != last_in_[i];
  if (moved) {
    LEDGE_TRY(xnn_check(setup_(op_, inputs, outputs, pool_), "XNNPACK setup"));
    for (size_t i = 0; i < num_inputs_ && i < 2; ++i)
      last_in_[i] = inputs[i] ? inputs[i]->raw() : nullptr;
    last_out_ = outputs[0]->raw();
  }
  return xnn_check(xnn_run_operator(op_, pool_), "XNNPACK run");
}

Expected<std::unique_ptr<PreparedKernel>> make_xnn_kernel(xnn_status created, xnn_operator_t op,
                                                          const char* what, XnnKernel::Setup setup,
                                                          const PrepareContext& c,
                                                          size_t num_inputs, bool in_place,
                                                          bool packed) {
  if (created != xnn_status_success) {
    if (op) xnn_delete_operator(op);
    // Parameters XNNPACK does not take fall back to the reference kernel.
    if (created == xnn_status_invalid_parameter || created == xnn_status_unsupported_parameter)
      return std::unique_ptr<PreparedKernel>();
    return xnn_check(created, what).error();
  }
  return std::unique_ptr<PreparedKernel>(
      new XnnKernel(op, std::move(setup), c.pool().handle(), num_inputs, in_place, packed));
}

}  // namespace ledge
