// 1x1, stride-1, unpadded, ungrouped convolutions: in NHWC they are one matrix product,
// [N·H·W, C] x [C, O], which ledge's GEMM (gemm.h) runs with the bias and the fused
// activation in its epilogue. These layers carry most of the work of MobileNet- and
// ShuffleNet-style models.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/fast_kernel.h"
#include "ops/lowered_common.h"

namespace ledge {

bool pointwise_applies(const Window2d& win, int64_t group);

// The kernel for ledge.NhwcConv (weights OHWI [O, 1, 1, C], optional bias [O]). Only call
// when pointwise_applies().
Expected<std::unique_ptr<PreparedKernel>> prepare_pointwise_conv(const PrepareContext& c,
                                                                 const ActivationRange& act,
                                                                 const Tensor& weights,
                                                                 const Tensor* bias);

}  // namespace ledge
