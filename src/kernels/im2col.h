// im2col for the convolutions on a matrix product (gemm_conv.cpp for float, qconv.cpp for
// uint8): each output pixel's receptive field, KH·KW runs of C contiguous NHWC input values,
// copied into one row of [rows, KH·KW·C]; cells in the padding get `pad` (0.f, or the
// input's zero point, which the integer product maps to 0).
//
// Rows are made in tiles of kIm2colTile, so a pixel's coordinates advance by one instead of
// costing three divisions a row (a first layer has 12k rows of 27 bytes), and runs of at most
// 16 bytes (KW·C of a first layer: 9 bytes for 3x3 windows over 3 channels) are copied by
// fixed-size moves, not a library call each.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ops/lowered_common.h"

namespace ledge {

inline constexpr size_t kIm2colTile = 64;

// memcpy, with runs of at most 16 bytes as two overlapping fixed-size copies.
inline void copy_run(void* dst_bytes, const void* src_bytes, size_t n) {
  auto* dst = static_cast<uint8_t*>(dst_bytes);
  const auto* src = static_cast<const uint8_t*>(src_bytes);
  if (n > 16) {
    std::memcpy(dst, src, n);
  } else if (n >= 8) {
    uint64_t head, tail;
    std::memcpy(&head, src, 8);
    std::memcpy(&tail, src + n - 8, 8);
    std::memcpy(dst, &head, 8);
    std::memcpy(dst + n - 8, &tail, 8);
  } else if (n >= 4) {
    uint32_t head, tail;
    std::memcpy(&head, src, 4);
    std::memcpy(&tail, src + n - 4, 4);
    std::memcpy(dst, &head, 4);
    std::memcpy(dst + n - 4, &tail, 4);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

template <class T>
struct Im2col {
  const T* x = nullptr;  // NHWC [N, h, w, c]
  int64_t h = 0, w = 0, c = 0, oh = 0, ow = 0;
  Window2d win;
  T pad{};

  // For NHWC input shape x and output shape y.
  static Im2col of(const Shape& x, const Shape& y, const Window2d& win, T pad) {
    Im2col m;
    m.h = x[1];
    m.w = x[2];
    m.c = x[3];
    m.oh = y[1];
    m.ow = y[2];
    m.win = win;
    m.pad = pad;
    return m;
  }

  int64_t depth() const { return win.kh * win.kw * c; }

  // The receptive field of output pixel (n, oy, ox) into dst (depth() values).
  void row(int64_t n, int64_t oy, int64_t ox, T* dst) const {
    const auto run = static_cast<size_t>(c);
    const int64_t ix0 = ox * win.sw - win.pad_left;
    // Undilated windows wholly inside a row: KW·C contiguous values, one copy.
    const bool row_inside = win.dw == 1 && ix0 >= 0 && ix0 + win.kw <= w;
    for (int64_t ky = 0; ky < win.kh; ++ky) {
      const int64_t iy = oy * win.sh - win.pad_top + ky * win.dh;
      if (row_inside && iy >= 0 && iy < h) {
        copy_run(dst, x + ((n * h + iy) * w + ix0) * c, run * win.kw * sizeof(T));
        dst += win.kw * c;
        continue;
      }
      for (int64_t kx = 0; kx < win.kw; ++kx, dst += c) {
        const int64_t ix = ix0 + kx * win.dw;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w)
          std::fill_n(dst, run, pad);
        else
          copy_run(dst, x + ((n * h + iy) * w + ix) * c, run * sizeof(T));
      }
    }
  }

  // Rows [first + start, first + start + count) of the whole image batch into rows
  // [start, start + count) of `rows` (row stride depth()).
  void rows(int64_t first, size_t start, size_t count, T* out) const {
    const int64_t p = first + static_cast<int64_t>(start);
    int64_t n = p / (oh * ow), oy = p / ow % oh, ox = p % ow;
    T* dst = out + static_cast<int64_t>(start) * depth();
    for (size_t r = 0; r < count; ++r, dst += depth()) {
      row(n, oy, ox, dst);
      if (++ox < ow) continue;
      ox = 0;
      if (++oy < oh) continue;
      oy = 0;
      ++n;
    }
  }
};

}  // namespace ledge
