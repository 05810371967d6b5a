// One XNNPACK operator as a PreparedKernel: created once (weights packed then), set up
// again only when the tensors it reads or writes move, then run.
#pragma once

#include <xnnpack.h>

#include <functional>
#include <memory>
#include <string>

#include "kernels/fast_kernel.h"

namespace ledge {

// An XNNPACK status as a ledge Status.
Status xnn_check(xnn_status st, const char* what);

class XnnKernel : public PreparedKernel {
 public:
  // Calls the operator's xnn_setup_* with the current tensors.
  using Setup = std::function<xnn_status(xnn_operator_t, const Tensor* const* in,
                                         Tensor* const* out, pthreadpool_t pool)>;

  XnnKernel(xnn_operator_t op, Setup setup, pthreadpool_t pool, size_t num_inputs, bool in_place,
            bool packed)
      : op_(op),
        setup_(std::move(setup)),
        pool_(pool),
        num_inputs_(num_inputs),
        in_place_(in_place),
        packed_(packed) {}
  ~XnnKernel() override;

  Status run(const Tensor* const* inputs, Tensor* const* outputs) override;
  bool may_run_in_place() const override { return in_place_; }
  bool packed_constants() const override { return packed_; }

 private:
  xnn_operator_t op_;
  Setup setup_;
  pthreadpool_t pool_;
  size_t num_inputs_;
  bool in_place_;
  bool packed_;
  const void* last_in_[2] = {nullptr, nullptr};
  void* last_out_ = nullptr;
};

// Wraps a freshly created operator; a failed creation becomes an error naming `what`.
Expected<std::unique_ptr<PreparedKernel>> make_xnn_kernel(xnn_status created, xnn_operator_t op,
                                                          const char* what, XnnKernel::Setup setup,
                                                          const PrepareContext& c,
                                                          size_t num_inputs, bool in_place = false,
                                                          bool packed = false);

// XNNPACK's HardSwish over n floats, one contiguous row, in place allowed (null where n is 0).
Expected<std::unique_ptr<PreparedKernel>> xnn_hardswish_kernel(const PrepareContext& c, size_t n);

}  // namespace ledge
