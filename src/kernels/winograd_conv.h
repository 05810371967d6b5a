// 3x3 stride-1 convolutions by Winograd's minimal filtering, F(4x4, 3x3): each 6x6 input
// tile becomes 36 transformed values per channel, the convolution becomes 36 independent
// matrix products (tiles x in-channels times in-channels x out-channels, one per tile
// position, through ledge's GEMM), and each 6x6 result tile becomes 4x4 outputs. That is
// 36 multiplications per 16 outputs instead of 144: on ResNet-style layers (64 to 128
// channels at 28x28 to 56x56) the convolution runs 2 to 2.5x faster than XNNPACK's direct
// one. The price is weight memory (36 instead of 9 values per channel pair) and a
// workspace in the plan's arena, so the kernel is only chosen where that is small (see
// winograd_applies). Results differ from direct convolution by rounding (relative error
// about 1e-6 in float).
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/fast_kernel.h"
#include "ops/lowered_common.h"

namespace ledge {

struct WinogradShape {
  int64_t batch = 1, out_h = 0, out_w = 0;
  int64_t in_channels = 0, out_channels = 0;
};

// True when the Winograd kernel is expected to beat the direct one and its extra memory
// stays small: a 3x3, stride-1, dilation-1, ungrouped float convolution with enough
// channels and tiles, whose transformed weights take at most 4 MiB.
bool winograd_applies(const Window2d& win, int64_t group, const WinogradShape& s);

// The kernel for ledge.NhwcConv (weights OHWI [O, 3, 3, C], optional bias [O]). Only call
// when winograd_applies().
Expected<std::unique_ptr<PreparedKernel>> prepare_winograd_conv(const PrepareContext& c,
                                                                const Window2d& win,
                                                                const ActivationRange& act,
                                                                const Tensor& weights,
                                                                const Tensor* bias);

}  // namespace ledge
