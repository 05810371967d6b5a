// Float depthwise convolutions (one input channel per output channel: MobileNet's 3x3 and
// 5x5 layers) on AVX-512, NHWC, with the bias and the fused activation clamp.
//
// Why not XNNPACK's: Debian's XNNPACK (a 2022 snapshot) ran mobilenet_v2's 3x3 layers at
// 10 to 30 GFLOP/s here, mostly its per-pixel indirection setup on narrow layers (32 to 144
// channels). This kernel keeps one 16-channel block's K·K weights in registers and slides
// along an output row: per 16 outputs, K·K loads and fused multiply-adds.
//
// Where AVX-512 is missing (other x86 CPUs, aarch64) XNNPACK's kernels stay.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/fast_kernel.h"
#include "ops/lowered_common.h"

namespace ledge {

// True for a depthwise (group == in == out channels), undilated 3x3 or 5x5 float convolution
// of stride 1 or 2, on a CPU with AVX-512.
bool depthwise_conv_applies(const Window2d& win, int64_t group, int64_t in_channels,
                            int64_t out_channels);

// The kernel for ledge.NhwcConv (weights OHWI [C, K, K, 1], optional bias [C]). Only call
// when depthwise_conv_applies().
Expected<std::unique_ptr<PreparedKernel>> prepare_depthwise_conv(const PrepareContext& c,
                                                                 const Window2d& win,
                                                                 const ActivationRange& act,
                                                                 const Tensor& weights,
                                                                 const Tensor* bias);

}  // namespace ledge
