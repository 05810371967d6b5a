// Shared by the operators of the "ledge" domain: the forms the CPU lowering
// (src/lower) rewrites standard operators into. They exist only inside ledge (sessions
// and .ledge artifacts), never in exported ONNX. Each keeps a reference kernel, written
// directly from its definition, that the fast kernels are tested against.
//
// Layouts: activations NHWC ([N, H, W, C]); convolution weights OHWI ([O, KH, KW, C/group]).
// Fused activations are a clamp to [activation_min, activation_max] (Relu: [0, inf),
// Relu6/Clip: [a, b]); absent means unbounded.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/kernel.h"

namespace ledge {

inline constexpr const char* kLoweredDomain = "ledge";

struct Window2d {
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t dh = 1, dw = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;

  int64_t out_h(int64_t h) const { return (h + pad_top + pad_bottom - dh * (kh - 1) - 1) / sh + 1; }
  int64_t out_w(int64_t w) const { return (w + pad_left + pad_right - dw * (kw - 1) - 1) / sw + 1; }
};

// Reads kernel_shape (unless given), strides, dilations and pads ([top, left, bottom, right]).
Expected<Window2d> read_window2d(const NodeContext& c, int64_t kh, int64_t kw);

// The activation fused into a lowered node: a clamp to [min, max] (Relu, Relu6), then, with
// hard_swish, HardSwish (MobileNetV3's x · clamp(x / 6 + 1/2, 0, 1)).
struct ActivationRange {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  bool hard_swish = false;
  float apply(float v) const {
    v = v < min ? min : (v > max ? max : v);
    return hard_swish ? hard_swish_of(v) : v;
  }
  static float hard_swish_of(float v) { return v * std::clamp(v / 6.f + 0.5f, 0.f, 1.f); }
};
// Attributes activation_min, activation_max and activation_hard_swish (0 or 1).
ActivationRange read_activation(const NodeContext& c);

}  // namespace ledge
