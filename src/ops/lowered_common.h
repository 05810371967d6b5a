// Shared by the operators of the "ledge" domain: the forms the CPU lowering
// (src/lower) rewrites standard operators into. They exist only inside ledge (sessions
// and .ledge artifacts), never in exported ONNX. Each keeps a reference kernel, written
// directly from its definition, that the fast kernels are tested against.
//
// Layouts: activations NHWC ([N, H, W, C]); convolution weights OHWI ([O, KH, KW, C/group]).
// Fused activations are a clamp to [activation_min, activation_max] (Relu: [0, inf),
// Relu6/Clip: [a, b]); absent means unbounded.
#pragma once

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

struct ActivationRange {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  float apply(float v) const { return v < min ? min : (v > max ? max : v); }
};
ActivationRange read_activation(const NodeContext& c);

}  // namespace ledge
