// Ungrouped convolutions as one matrix product on ledge's GEMM (gemm.h), with the bias and
// the fused activation in its epilogue:
//   - 1x1, stride 1, no padding: in NHWC the input already is the matrix [N·H·W, C];
//   - otherwise (im2col): each output pixel's receptive field, KH·KW runs of C contiguous
//     input values, is copied into a row of [rows, KH·KW·C] in the plan's workspace, a block
//     of rows at a time, and multiplied by the weights [KH·KW·C, O].
// The copies are cheap next to the product when C is at least 16 (whole cache lines); with
// fewer input channels (a network's first layer) XNNPACK's indirect kernels stay.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/fast_kernel.h"
#include "ops/lowered_common.h"

namespace ledge {

bool gemm_conv_applies(const Window2d& win, int64_t group, int64_t in_channels);

// The kernel for ledge.NhwcConv (weights OHWI [O, KH, KW, C], optional bias [O]). Only call
// when gemm_conv_applies().
Expected<std::unique_ptr<PreparedKernel>> prepare_gemm_conv(const PrepareContext& c,
                                                            const Window2d& win,
                                                            const ActivationRange& act,
                                                            const Tensor& weights,
                                                            const Tensor* bias);

// ledge.FullyConnected (X [M, K] times weights [N, K] transposed, optional bias [N]) as the
// same product: a 1x1 convolution over M pixels. Packing here is several times cheaper than
// XNNPACK's (a classifier's 1000x1024 weights are most of a small model's load time).
Expected<std::unique_ptr<PreparedKernel>> prepare_gemm_fully_connected(const PrepareContext& c,
                                                                       const ActivationRange& act,
                                                                       const Tensor& weights,
                                                                       const Tensor* bias);

}  // namespace ledge
