// ConvTranspose: the gradient of Conv with respect to its input (a "deconvolution"), with
// groups, strides, dilations, pads / auto_pad, output_padding and output_shape.
//
// The reference kernel is the transpose of Conv's im2col lowering: for each (image, group)
// the product W^T [M/group * kernel, C/group] x X [C/group, input positions] gives every
// tap's contribution, which col2im scatters (adds) into the output.
#include "ops/nn_common.h"

namespace ledge {
namespace {

struct TransposeGeometry {
  Window window;
  std::vector<int64_t> kernel;
  int64_t group = 1;
  std::vector<int64_t> output_padding;
  std::vector<int64_t> output_shape;  // spatial dims only; empty when not given
};

Expected<TransposeGeometry> read_geometry(const NodeContext& c, int64_t rank,
                                          const std::vector<int64_t>& w_dims) {
  TransposeGeometry g;
  const int64_t r = rank - 2;
  const size_t rs = static_cast<size_t>(r);
  LEDGE_ASSIGN(g.kernel, read_kernel_shape(c, r, false));
  if (g.kernel.empty()) {
    g.kernel.assign(w_dims.begin() + 2, w_dims.end());
  } else {
    for (size_t i = 0; i < rs; ++i)
      if (w_dims[i + 2] >= 0 && w_dims[i + 2] != g.kernel[i])
        return c.fail("kernel_shape does not match the shape of the weight");
  }
  for (int64_t k : g.kernel)
    if (k == 0 || k > kMaxWindowValue) return c.fail("the kernel size is out of range");
  LEDGE_ASSIGN(g.window, read_window(c, r, g.kernel, true, false));
  g.group = c.attr_int("group", 1);
  if (g.group < 1) return c.fail("group must be at least 1");
  g.output_padding = c.attr_ints("output_padding", std::vector<int64_t>(rs, 0));
  if (g.output_padding.size() != rs)
    return c.fail("output_padding does not have " + std::to_string(r) + " values");
  for (size_t i = 0; i < rs; ++i)
    if (g.output_padding[i] < 0 || g.output_padding[i] > kMaxWindowValue)
      return c.fail("output_padding has a value out of range");
  g.output_shape = c.attr_ints("output_shape");
  // Some exporters write output_shape with the batch and channel dimensions.
  if (g.output_shape.size() == rs + 2)
    g.output_shape.erase(g.output_shape.begin(), g.output_shape.begin() + 2);
  if (!g.output_shape.empty() && g.output_shape.size() != rs)
    return c.fail("output_shape does not have " + std::to_string(r) + " values");
  for (int64_t v : g.output_shape)
    if (v < 0 || v > kMaxSpatialSize) return c.fail("output_shape has a value out of range");
  return g;
}

// Output size and begin padding of spatial dimension i; out is -1 when unknown.
Expected<Extent> transpose_extent(const NodeContext& c, const TransposeGeometry& g, size_t i,
                                  int64_t in) {
  const Window& w = g.window;
  Extent e;
  const int64_t k = g.kernel[i];
  if (w.auto_pad == "NOTSET" && g.output_shape.empty()) {
    e.pad_begin = w.pads[i];
    e.pad_end = w.pads[i + static_cast<size_t>(w.rank)];
  }
  if (in < 0 || k < 0) {
    if (!g.output_shape.empty()) e.out = g.output_shape[i];
    return e;
  }
  if (in > kMaxSpatialSize)
    return c.fail("spatial dimension " + std::to_string(i) + " is too large");
  // Size of the full (unpadded) result.
  const int64_t full = w.strides[i] * (in - 1) + g.output_padding[i] + (k - 1) * w.dilations[i] + 1;
  int64_t target = -1;
  if (!g.output_shape.empty())
    target = g.output_shape[i];
  else if (w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER")
    target = in * w.strides[i];
  if (target >= 0) {
    const int64_t total = full - target;
    e.out = target;
    if (total < 0) {
      // The requested output is larger than the full result: extend it with zeros at the end.
      e.pad_begin = 0;
    } else if (w.auto_pad == "SAME_UPPER") {
      e.pad_begin = total / 2;
    } else {
      e.pad_begin = total - total / 2;
    }
    e.pad_end = total - e.pad_begin;
    return e;
  }
  e.out = full - e.pad_begin - e.pad_end;
  if (e.out < 0)
    return c.fail("pads remove more than the whole output along spatial dimension " +
                  std::to_string(i));
  return e;
}

Status infer_conv_transpose(InferContext& c) {
  LEDGE_ASSIGN(const int64_t rank, conv_input_rank(c));
  const DType dt = c.input_dtype(0);
  if (rank < 0) return c.set_output_unknown(0, dt);
  const std::vector<int64_t> xd = dims_or_unknown(c.input_type(0), rank);
  const std::vector<int64_t> wd = dims_or_unknown(c.input_type(1), rank);
  LEDGE_ASSIGN(TransposeGeometry g, read_geometry(c, rank, wd));
  const int64_t C = xd[1];
  if (C >= 0 && wd[0] >= 0 && wd[0] != C)
    return c.fail("X has " + std::to_string(C) + " channels, W has " + std::to_string(wd[0]));
  if (C >= 0 && C % g.group != 0) return c.fail("channels are not divisible by group");
  const int64_t M = wd[1] >= 0 ? wd[1] * g.group : -1;
  if (c.has_input(2)) {
    const int64_t br = c.input_rank(2);
    if (br >= 0) {
      const std::vector<int64_t> bd = dims_or_unknown(c.input_type(2), br);
      if (br != 1 || (bd[0] >= 0 && M >= 0 && bd[0] != M))
        return c.fail("bias B must have shape [" + std::to_string(M) + "]");
    }
  }
  std::vector<int64_t> out = {xd[0], M};
  for (int64_t i = 0; i < rank - 2; ++i) {
    LEDGE_ASSIGN(Extent e,
                 transpose_extent(c, g, static_cast<size_t>(i), xd[static_cast<size_t>(i + 2)]));
    out.push_back(e.out);
  }
  return c.set_output(0, dt, std::move(out));
}

template <class T>
Status conv_transpose_kernel(KernelContext& c) {
  using A = acc_t<T>;
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  const Tensor* b = c.input_or_null(2);
  Tensor& y = c.output(0);
  const int64_t rank = x.rank();
  const size_t r = static_cast<size_t>(rank - 2);
  LEDGE_ASSIGN(TransposeGeometry g, read_geometry(c, rank, w.shape()));
  const int64_t N = x.dim(0), C = x.dim(1);
  const int64_t Cg = C / g.group, Mg = w.dim(1), M = Mg * g.group;
  std::vector<int64_t> in(r), out(r), pad(r);
  for (size_t i = 0; i < r; ++i) {
    in[i] = x.dim(static_cast<int64_t>(i) + 2);
    LEDGE_ASSIGN(Extent e, transpose_extent(c, g, i, in[i]));
    out[i] = e.out;
    pad[i] = e.pad_begin;
  }
  const int64_t I = numel(in), O = numel(out), K = numel(g.kernel);
  if (N * M * O == 0) return Status();

  std::vector<A> x_buf, w_buf;
  const A* px;
  const A* pw;
  if constexpr (std::is_same_v<T, A>) {
    px = x.data<T>();
    pw = w.data<T>();
  } else {
    x_buf = to_acc_vector<A>(x.data<T>(), x.numel());
    w_buf = to_acc_vector<A>(w.data<T>(), w.numel());
    px = x_buf.data();
    pw = w_buf.data();
  }
  LEDGE_TRY(check_scratch(c, static_cast<double>(Mg * K) * static_cast<double>(I), sizeof(A)));
  std::vector<A> col(static_cast<size_t>(Mg * K * I));
  std::vector<A> acc(static_cast<size_t>(M * O));
  const std::vector<int64_t> out_strides = strides_of(out);
  T* py = y.data<T>();

  for (int64_t n = 0; n < N; ++n) {
    std::fill(acc.begin(), acc.end(), A(0));
    for (int64_t grp = 0; grp < g.group; ++grp) {
      // col[(m, k), i] = sum_c W[c, m, k] * X[c, i] over the channels c of the group.
      std::fill(col.begin(), col.end(), A(0));
      const A* wg = pw + grp * Cg * Mg * K;
      gemm_acc<A>(Mg * K, I, Cg, wg, 1, Mg * K, px + (n * C + grp * Cg) * I, I, col.data(), I);
      // col2im: input position i and tap k land on output position i * stride + k * dilation
      // - pad_begin.
      const A* row = col.data();
      for (int64_t m = 0; m < Mg; ++m) {
        A* ym = acc.data() + (grp * Mg + m) * O;
        std::vector<int64_t> k(r, 0);
        do {
          std::vector<int64_t> i(r, 0);
          int64_t pos = 0;
          do {
            int64_t off = 0;
            bool inside = true;
            for (size_t d = 0; d < r; ++d) {
              const int64_t o = i[d] * g.window.strides[d] + k[d] * g.window.dilations[d] - pad[d];
              if (o < 0 || o >= out[d]) {
                inside = false;
                break;
              }
              off += o * out_strides[d];
            }
            if (inside) ym[off] += row[pos];
            ++pos;
          } while (next_index(i, in));
          row += I;
        } while (next_index(k, g.kernel));
      }
    }
    T* yn = py + n * M * O;
    for (int64_t m = 0; m < M; ++m) {
      const A bias = b ? to_acc<A>(b->data<T>()[m]) : A(0);
      for (int64_t o = 0; o < O; ++o)
        yn[m * O + o] = from_acc<T>(acc[static_cast<size_t>(m * O + o)] + bias);
    }
  }
  return Status();
}

Status run_conv_transpose(KernelContext& c) {
  return dispatch<TypeSet::kFloat>(
      c.input(0).dtype(), [&]<class T>() -> Status { return conv_transpose_kernel<T>(c); });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(ConvTranspose, ledge::infer_conv_transpose, ledge::run_conv_transpose)
