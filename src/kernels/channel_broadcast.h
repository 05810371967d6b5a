// Add and Mul of a tensor [N, ..., C] by a per-channel operand [N or 1, 1, ..., 1, C], in
// either order: MobileNetV3's squeeze-and-excitation scale in NHWC (an image times its 16 to
// 576 channel weights). XNNPACK's broadcasting splits such a product into one call per pixel
// of C values: mobilenet_v3_small's 56x56x16 scale took 43 µs, as long as a convolution.
// Here it is one pass over the tensor.
#pragma once

#include <memory>

#include "kernels/fast_kernel.h"

namespace ledge {

// The kernel for a float Add (multiply false) or Mul of that shape, with the clamp of a
// fused activation ([lo, hi], none when infinite); null for any other shape.
Expected<std::unique_ptr<PreparedKernel>> prepare_channel_broadcast(const PrepareContext& c,
                                                                    bool multiply, float lo,
                                                                    float hi);

}  // namespace ledge
