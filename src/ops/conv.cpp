// Conv: N-D convolution with groups, strides, dilations and padding (explicit or auto_pad).
//
// The reference kernel lowers each (image, group) to a matrix product: im2col gathers the
// input patches into a [C/group * kernel, output positions] matrix, which the weights
// [M/group, C/group * kernel] multiply.
#include "ops/nn_common.h"

namespace ledge {
namespace {

struct ConvGeometry {
  Window window;
  std::vector<int64_t> kernel;
  int64_t group = 1;
};

Expected<ConvGeometry> read_conv(const NodeContext& c, int64_t rank,
                                 const std::vector<int64_t>& w_dims) {
  ConvGeometry g;
  const int64_t r = rank - 2;
  LEDGE_ASSIGN(g.kernel, read_kernel_shape(c, r, false));
  if (g.kernel.empty()) {
    g.kernel.assign(w_dims.begin() + 2, w_dims.end());
  } else {
    for (int64_t i = 0; i < r; ++i)
      if (w_dims[static_cast<size_t>(i + 2)] >= 0 &&
          w_dims[static_cast<size_t>(i + 2)] != g.kernel[static_cast<size_t>(i)])
        return c.fail("kernel_shape does not match the shape of the weight");
  }
  for (int64_t k : g.kernel)
    if (k == 0 || k > kMaxWindowValue) return c.fail("the kernel size is out of range");
  LEDGE_ASSIGN(g.window, read_window(c, r, g.kernel, true, false));
  g.group = c.attr_int("group", 1);
  if (g.group < 1) return c.fail("group must be at least 1");
  return g;
}

Status infer_conv(InferContext& c) {
  LEDGE_ASSIGN(const int64_t rank, conv_input_rank(c));
  const DType dt = c.input_dtype(0);
  if (rank < 0) return c.set_output_unknown(0, dt);
  const std::vector<int64_t> xd = dims_or_unknown(c.input_type(0), rank);
  const std::vector<int64_t> wd = dims_or_unknown(c.input_type(1), rank);
  LEDGE_ASSIGN(ConvGeometry g, read_conv(c, rank, wd));
  const int64_t C = xd[1], M = wd[0];
  if (C >= 0 && wd[1] >= 0 && wd[1] * g.group != C)
    return c.fail("X has " + std::to_string(C) + " channels, W expects " + std::to_string(wd[1]) +
                  " x group " + std::to_string(g.group));
  if (C >= 0 && C % g.group != 0) return c.fail("channels are not divisible by group");
  if (M >= 0 && M % g.group != 0) return c.fail("output channels are not divisible by group");
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
    LEDGE_ASSIGN(Extent e, window_extent(c, g.window, static_cast<size_t>(i),
                                         xd[static_cast<size_t>(i + 2)]));
    out.push_back(e.out);
  }
  return c.set_output(0, dt, std::move(out));
}

template <class T>
Status conv_kernel(KernelContext& c) {
  using A = acc_t<T>;
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  const Tensor* b = c.input_or_null(2);
  Tensor& y = c.output(0);
  const int64_t rank = x.rank();
  const size_t r = static_cast<size_t>(rank - 2);
  LEDGE_ASSIGN(ConvGeometry g, read_conv(c, rank, w.shape()));
  const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0);
  const int64_t Cg = C / g.group, Mg = M / g.group;
  std::vector<int64_t> in(r), out(r), pad(r), kernel = g.kernel;
  for (size_t i = 0; i < r; ++i) {
    in[i] = x.dim(static_cast<int64_t>(i) + 2);
    LEDGE_ASSIGN(Extent e, window_extent(c, g.window, i, in[i]));
    out[i] = e.out;
    pad[i] = e.pad_begin;
  }
  const int64_t I = numel(in), O = numel(out), K = numel(kernel);
  if (N * M * O == 0) return Status();

  // Work in the accumulator type; float32 and float64 data are used in place.
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
  std::vector<A> bias(static_cast<size_t>(M), A(0));
  if (b)
    for (int64_t m = 0; m < M; ++m) bias[static_cast<size_t>(m)] = to_acc<A>(b->data<T>()[m]);

  // A 1x1 kernel with unit strides and no padding reads the input as it is.
  bool pointwise = K == 1;
  for (size_t i = 0; i < r; ++i) pointwise = pointwise && g.window.strides[i] == 1 && pad[i] == 0;
  pointwise = pointwise && I == O;
  std::vector<A> col;
  if (!pointwise) {
    LEDGE_TRY(check_scratch(c, static_cast<double>(Cg * K) * static_cast<double>(O), sizeof(A)));
    col.resize(static_cast<size_t>(Cg * K * O));
  }
  std::vector<A> acc(static_cast<size_t>(Mg * O));
  const std::vector<int64_t> in_strides = strides_of(in);
  // Output positions are visited as (all dimensions but the last) x (the last one).
  std::vector<int64_t> outer_dims(out.begin(), out.end() - 1);
  const int64_t out_last = out[r - 1], in_last = in[r - 1];
  const int64_t s_last = g.window.strides[r - 1], d_last = g.window.dilations[r - 1];
  T* py = y.data<T>();

  for (int64_t n = 0; n < N; ++n) {
    for (int64_t grp = 0; grp < g.group; ++grp) {
      const A* xg = px + (n * C + grp * Cg) * I;
      const A* cols = xg;
      if (!pointwise) {
        // im2col: row (c, k) holds, for every output position, the input element that kernel
        // tap k of channel c meets there (0 in the padding).
        A* row = col.data();
        std::vector<int64_t> k(r, 0);
        for (int64_t ch = 0; ch < Cg; ++ch) {
          const A* xc = xg + ch * I;
          std::fill(k.begin(), k.end(), 0);
          do {
            std::vector<int64_t> o(r - 1, 0);
            do {
              int64_t off = 0;
              bool inside = true;
              for (size_t i = 0; i + 1 < r; ++i) {
                const int64_t p =
                    o[i] * g.window.strides[i] - pad[i] + k[i] * g.window.dilations[i];
                if (p < 0 || p >= in[i]) inside = false;
                off += p * in_strides[i];
              }
              if (!inside) {
                std::fill(row, row + out_last, A(0));
              } else {
                const int64_t base = k[r - 1] * d_last - pad[r - 1];
                for (int64_t ol = 0; ol < out_last; ++ol) {
                  const int64_t p = ol * s_last + base;
                  row[ol] = p >= 0 && p < in_last ? xc[off + p] : A(0);
                }
              }
              row += out_last;
            } while (next_index(o, outer_dims));
          } while (next_index(k, kernel));
        }
        cols = col.data();
      }
      for (int64_t m = 0; m < Mg; ++m)
        std::fill(acc.begin() + m * O, acc.begin() + (m + 1) * O,
                  bias[static_cast<size_t>(grp * Mg + m)]);
      gemm_acc<A>(Mg, O, Cg * K, pw + grp * Mg * Cg * K, Cg * K, 1, cols, O, acc.data(), O);
      T* yg = py + (n * M + grp * Mg) * O;
      for (int64_t i = 0; i < Mg * O; ++i) yg[i] = from_acc<T>(acc[static_cast<size_t>(i)]);
    }
  }
  return Status();
}

Status run_conv(KernelContext& c) {
  return dispatch<TypeSet::kFloat>(c.input(0).dtype(),
                                   [&]<class T>() -> Status { return conv_kernel<T>(c); });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Conv, ledge::infer_conv, ledge::run_conv)
