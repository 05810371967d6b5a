#include "kernels/xnn_kernel.h"

namespace ledge {

namespace {
constexpr int64_t kSmallOutput = 65536;  // elements
}  // namespace

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
  // Operators with little output run on the calling thread: handing a few thousand values
  // to the other threads costs more than computing them (mobilenet_v3's squeeze-and-excitation
  // multiplies and HardSwish at 7x7 and 14x14). Two threads, A/B in turns: mobilenet_v3_small
  // 1.08 -> 1.05 ms, shufflenet_v2 2.14 -> 2.07 ms, mobilenet_v2 and squeezenet unchanged.
  const bool small = c.num_outputs() > 0 && numel(c.output_shape(0)) < kSmallOutput;
  return std::unique_ptr<PreparedKernel>(new XnnKernel(
      op, std::move(setup), small ? nullptr : c.pool().handle(), num_inputs, in_place, packed));
}

}  // namespace ledge
