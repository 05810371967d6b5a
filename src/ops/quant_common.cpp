#include "ops/quant_common.h"

#include <string>

#include "ops/helpers.h"
#include "ops/qgemm_weight_layout.h"

namespace ledge::quant {

namespace {

std::string type_list(std::initializer_list<DType> allowed) {
  std::string s;
  size_t k = 0;
  for (DType t : allowed) {
    if (k++) s += k == allowed.size() ? " or " : ", ";
    s += dtype_name(t);
  }
  return s;
}

std::string dims(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

Status check_type(const InferContext& c, size_t i, const char* name,
                  std::initializer_list<DType> allowed) {
  if (!c.has_input(i)) return Status();
  const DType t = c.input_dtype(i);
  if (t == DType::kUndefined) return Status();
  for (DType a : allowed)
    if (a == t) return Status();
  return c.fail("input " + std::to_string(i) + " (" + name + ") has element type " +
                std::string(dtype_name(t)) + ", expected " + type_list(allowed));
}

Status check_same_type(const InferContext& c, size_t i, size_t j, const char* what) {
  if (!c.has_input(i) || !c.has_input(j)) return Status();
  const DType a = c.input_dtype(i), b = c.input_dtype(j);
  if (a == DType::kUndefined || b == DType::kUndefined || a == b) return Status();
  return c.fail(std::string(what) + " must have the element type of its tensor (" +
                std::string(dtype_name(b)) + " vs " + std::string(dtype_name(a)) + ")");
}

std::vector<float> read_floats(const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i)
    v[static_cast<size_t>(i)] = static_cast<float>(t.as_double(i));
  return v;
}

std::vector<int32_t> read_ints(const Tensor& t) {
  std::vector<int32_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i)
    v[static_cast<size_t>(i)] = static_cast<int32_t>(t.as_int64(i));
  return v;
}

Expected<AxisLayout> axis_layout(const NodeContext& c, const Shape& x, const Shape& scale,
                                 const Shape* zero_point, int64_t axis) {
  const int64_t n = numel(scale);
  if (zero_point && numel(*zero_point) != n)
    return c.fail("the zero point has shape " + dims(*zero_point) + " but the scale has " +
                  dims(scale) + "; they must match");
  AxisLayout layout;
  if (n == 1) return layout;  // per tensor: the axis is ignored
  if (scale.size() != 1)
    return c.fail("the scale must be a scalar (per tensor) or 1-D (per axis), got shape " +
                  dims(scale));
  const int64_t rank = static_cast<int64_t>(x.size());
  if (axis < -rank || axis >= rank)
    return c.fail("axis " + std::to_string(axis) + " is out of range for input rank " +
                  std::to_string(rank));
  const size_t a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
  if (x[a] != n)
    return c.fail("per-axis scale has " + std::to_string(n) + " elements but dimension " +
                  std::to_string(a) + " of the input is " + std::to_string(x[a]));
  layout.count = n;
  for (size_t d = a + 1; d < x.size(); ++d) layout.inner *= x[d];
  return layout;
}

Status check_axis_params(const InferContext& c, size_t x, size_t scale, size_t zero_point,
                         int64_t axis) {
  const TensorType& xt = c.input_type(x);
  const TensorType& st = c.input_type(scale);
  const TensorType* zt = c.has_input(zero_point) ? &c.input_type(zero_point) : nullptr;
  if (st.shape && st.shape->size() > 1) {
    // Only a single element is acceptable at rank > 1 (a per-tensor parameter).
    for (int64_t d : *st.shape)
      if (d != 1)
        return c.fail("the scale must be a scalar (per tensor) or 1-D (per axis), got " +
                      st.to_string());
  }
  if (!xt.is_static() || !st.is_static() || (zt && !zt->is_static())) return Status();
  const Shape zshape = zt ? *zt->shape : Shape();
  return axis_layout(c, *xt.shape, *st.shape, zt ? &zshape : nullptr, axis).status();
}

Status check_scalar(const InferContext& c, size_t i, const char* name) {
  if (!c.has_input(i)) return Status();
  const TensorType& t = c.input_type(i);
  if (!t.shape) return Status();
  for (int64_t d : *t.shape)
    if (d >= 0 && d != 1)
      return c.fail("input " + std::to_string(i) + " (" + name +
                    ") must be a scalar (one element), got " + t.to_string());
  return Status();
}

Expected<float> scalar_float(const KernelContext& c, size_t i, const char* name) {
  const Tensor& t = c.input(i);
  if (t.numel() != 1 || t.dtype() != DType::kFloat32)
    return c.fail("input " + std::to_string(i) + " (" + name + ") must be one float32 value, got " +
                  std::string(dtype_name(t.dtype())) + "[" + shape_to_string(t.shape()) + "]");
  return t.data<float>()[0];
}

Expected<int32_t> scalar_int(const KernelContext& c, size_t i, const char* name) {
  if (!c.has_input(i)) return 0;
  const Tensor& t = c.input(i);
  if (t.numel() != 1)
    return c.fail("input " + std::to_string(i) + " (" + name + ") must be one value, got shape " +
                  shape_to_string(t.shape()));
  return static_cast<int32_t>(t.as_int64(0));
}

// ---------------------------------------------------------------------------------------------
// Matmul

Expected<std::optional<std::vector<int64_t>>> matmul_shape(const InferContext& c,
                                                           const TensorType& a,
                                                           const TensorType& b) {
  using Result = std::optional<std::vector<int64_t>>;
  if (!a.shape || !b.shape) return Result();
  std::vector<int64_t> as = *a.shape, bs = *b.shape;
  if (as.empty() || bs.empty()) return c.fail("matmul operands must have rank >= 1");
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  if (a_vec) as.insert(as.begin(), 1);
  if (b_vec) bs.push_back(1);
  const int64_t ka = as.back(), kb = bs[bs.size() - 2];
  if (ka >= 0 && kb >= 0 && ka != kb)
    return c.fail("matmul operands do not agree on K: " + a.to_string() + " and " + b.to_string());
  TensorType ab{a.dtype, std::vector<int64_t>(as.begin(), as.end() - 2)};
  TensorType bb{b.dtype, std::vector<int64_t>(bs.begin(), bs.end() - 2)};
  auto batch = broadcast_types({&ab, &bb});
  if (!batch) return c.fail(batch.error().message());
  std::vector<int64_t> out = **batch;
  if (!a_vec) out.push_back(as[as.size() - 2]);
  if (!b_vec) out.push_back(bs.back());
  return Result(std::move(out));
}

Expected<MatMulPlan> plan_matmul(const NodeContext& c, const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) return c.fail("matmul operands must have rank >= 1");
  MatMulPlan p;
  p.a_promoted = a;
  p.b_promoted = b;
  if (a.size() == 1) p.a_promoted.insert(p.a_promoted.begin(), 1);
  if (b.size() == 1) p.b_promoted.push_back(1);
  const Shape& as = p.a_promoted;
  const Shape& bs = p.b_promoted;
  p.M = as[as.size() - 2];
  p.K = as.back();
  p.N = bs.back();
  if (bs[bs.size() - 2] != p.K)
    return c.fail("matmul operands do not agree on K: " + shape_to_string(a) + " and " +
                  shape_to_string(b));
  const Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  auto batch = broadcast_shapes({a_batch, b_batch});
  if (!batch) return c.fail(batch.error().message());
  // Matrix indices of a and b for every output matrix: broadcasting over the batch dims.
  const int64_t count = numel(*batch);
  p.a_matrix.resize(static_cast<size_t>(count));
  p.b_matrix.resize(static_cast<size_t>(count));
  if (batch->empty()) {
    if (count == 1) p.a_matrix[0] = p.b_matrix[0] = 0;
  } else {
    for_each_broadcast<2>(*batch, {&a_batch, &b_batch},
                          [&](int64_t i, const std::array<int64_t, 2>& off) {
                            p.a_matrix[static_cast<size_t>(i)] = off[0];
                            p.b_matrix[static_cast<size_t>(i)] = off[1];
                          });
  }
  p.out = *batch;
  if (a.size() != 1) p.out.push_back(p.M);
  if (b.size() != 1) p.out.push_back(p.N);
  return p;
}

namespace {

// Broadcasts p (right-aligned, numpy rules, but only towards `target`) into a dense vector of
// numel(target) values. Leading dimensions of size 1 beyond target's rank are dropped.
Expected<std::vector<double>> expand_to(const NodeContext& c, const Tensor& p, Shape pshape,
                                        const Shape& target, const char* name) {
  while (pshape.size() > target.size() && pshape.front() == 1) pshape.erase(pshape.begin());
  bool ok = pshape.size() <= target.size();
  for (size_t i = 0; ok && i < pshape.size(); ++i) {
    const int64_t t = target[target.size() - pshape.size() + i];
    ok = pshape[i] == 1 || pshape[i] == t;
  }
  if (!ok)
    return c.fail(std::string(name) + " has shape " + shape_to_string(p.shape()) +
                  ", which does not broadcast to " + shape_to_string(target));
  std::vector<double> out(static_cast<size_t>(numel(target)));
  if (target.empty()) {
    if (!out.empty()) out[0] = p.as_double(0);
    return out;
  }
  for_each_broadcast<1>(target, {&pshape}, [&](int64_t i, const std::array<int64_t, 1>& off) {
    out[static_cast<size_t>(i)] = p.as_double(off[0]);
  });
  return out;
}

}  // namespace

Expected<std::vector<double>> expand_rows(const NodeContext& c, const Tensor& p,
                                          const MatMulPlan& plan, const char* name) {
  Shape target = plan.a_promoted;
  target.back() = 1;
  Shape pshape = p.shape();
  // A 1-D parameter of a matrix A holds one value per row (M), not per column as numpy's
  // right-aligned broadcasting would read it.
  if (pshape.size() == 1 && p.numel() != 1) pshape.push_back(1);
  if (p.numel() == 1) pshape.clear();
  return expand_to(c, p, pshape, target, name);
}

Expected<std::vector<double>> expand_cols(const NodeContext& c, const Tensor& p,
                                          const MatMulPlan& plan, const char* name) {
  Shape target = plan.b_promoted;
  target[target.size() - 2] = 1;
  Shape pshape = p.shape();
  if (p.numel() == 1) pshape.clear();
  return expand_to(c, p, pshape, target, name);
}

void gemm_i32(int64_t M, int64_t K, int64_t N, const int32_t* A, const int32_t* B, int32_t* C) {
  for (int64_t m = 0; m < M; ++m) {
    int32_t* c = C + m * N;
    for (int64_t n = 0; n < N; ++n) c[n] = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int32_t a = A[m * K + k];
      const int32_t* b = B + k * N;
      // |a|, |b| <= 255 (8-bit values minus 8-bit zero points): the product fits in int32.
      for (int64_t n = 0; n < N; ++n) c[n] = wrap_add(c[n], a * b[n]);
    }
  }
}

void matmul_i32(const MatMulPlan& p, const int32_t* a, const int32_t* b, int32_t* out) {
  for (size_t i = 0; i < p.a_matrix.size(); ++i)
    gemm_i32(p.M, p.K, p.N, a + p.a_matrix[i] * p.M * p.K, b + p.b_matrix[i] * p.K * p.N,
             out + static_cast<int64_t>(i) * p.M * p.N);
}

Expected<std::vector<int32_t>> matmul_integer(const NodeContext& c, const MatMulPlan& plan,
                                              const Tensor& a, const Tensor* a_zero_point,
                                              const Tensor& b, const Tensor* b_zero_point) {
  std::vector<int32_t> za{0}, zb{0};
  if (a_zero_point) {
    LEDGE_ASSIGN(auto v, expand_rows(c, *a_zero_point, plan, "a_zero_point"));
    za.assign(v.begin(), v.end());
  }
  if (b_zero_point) {
    LEDGE_ASSIGN(auto v, expand_cols(c, *b_zero_point, plan, "b_zero_point"));
    zb.assign(v.begin(), v.end());
  }
  const int64_t K = plan.K, N = plan.N;
  const bool a_per_row = za.size() > 1, b_per_col = zb.size() > 1;
  // Flat element i of A is row i / K of the stacked matrices; element i of B is column
  // i % N of matrix i / (K * N).
  LEDGE_ASSIGN(auto wa, widen_minus_zero_point(
                            a, za, [&](int64_t i) { return a_per_row ? i / K : int64_t{0}; }));
  LEDGE_ASSIGN(auto wb, widen_minus_zero_point(b, zb, [&](int64_t i) {
                 return b_per_col ? (i / (K * N)) * N + i % N : int64_t{0};
               }));
  std::vector<int32_t> out(static_cast<size_t>(numel(plan.out)));
  matmul_i32(plan, wa.data(), wb.data(), out.data());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Convolution

std::vector<int64_t> ConvGeometry::output_shape() const {
  std::vector<int64_t> s{batch, out_channels};
  s.insert(s.end(), out.begin(), out.end());
  return s;
}

Expected<ConvGeometry> conv_geometry(const NodeContext& c, const std::vector<int64_t>& x,
                                     const std::vector<int64_t>& w) {
  if (x.size() < 3)
    return c.fail("input x must have rank >= 3 (N x C x spatial...), got rank " +
                  std::to_string(x.size()));
  if (w.size() != x.size())
    return c.fail("weight w has rank " + std::to_string(w.size()) + ", input x has rank " +
                  std::to_string(x.size()));
  const size_t nsp = x.size() - 2;
  ConvGeometry g;
  g.batch = x[0];
  g.in_channels = x[1];
  g.out_channels = w[0];
  g.group = c.attr_int("group", 1);
  if (g.group < 1) return c.fail("group must be >= 1, got " + std::to_string(g.group));
  if (g.in_channels >= 0 && w[1] >= 0 && g.in_channels != w[1] * g.group)
    return c.fail("input has " + std::to_string(g.in_channels) + " channels but weight expects " +
                  std::to_string(w[1]) + " x group " + std::to_string(g.group));
  if (g.out_channels >= 0 && g.out_channels % g.group != 0)
    return c.fail("output channels " + std::to_string(g.out_channels) +
                  " are not divisible by group " + std::to_string(g.group));

  g.in.assign(x.begin() + 2, x.end());
  g.kernel.assign(w.begin() + 2, w.end());
  if (c.has_attr("kernel_shape")) {
    const auto ks = c.attr_ints("kernel_shape");
    if (ks.size() != nsp)
      return c.fail("kernel_shape " + dims(ks) + " must have " + std::to_string(nsp) + " values");
    for (size_t i = 0; i < nsp; ++i) {
      if (ks[i] < 1) return c.fail("kernel_shape " + dims(ks) + " must be positive");
      if (g.kernel[i] >= 0 && g.kernel[i] != ks[i])
        return c.fail("kernel_shape " + dims(ks) + " disagrees with the weight's shape " + dims(w));
      g.kernel[i] = ks[i];
    }
  }
  for (size_t i = 0; i < nsp; ++i)
    if (g.kernel[i] == 0) return c.fail("the weight has an empty kernel " + dims(w));
  g.strides = c.attr_ints("strides", std::vector<int64_t>(nsp, 1));
  g.dilations = c.attr_ints("dilations", std::vector<int64_t>(nsp, 1));
  if (g.strides.size() != nsp)
    return c.fail("strides must have " + std::to_string(nsp) + " values");
  if (g.dilations.size() != nsp)
    return c.fail("dilations must have " + std::to_string(nsp) + " values");
  for (size_t i = 0; i < nsp; ++i) {
    if (g.strides[i] < 1) return c.fail("strides " + dims(g.strides) + " must be positive");
    if (g.dilations[i] < 1) return c.fail("dilations " + dims(g.dilations) + " must be positive");
  }
  std::string auto_pad = c.attr_string("auto_pad", "NOTSET");
  if (auto_pad.empty()) auto_pad = "NOTSET";
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" &&
      auto_pad != "SAME_LOWER")
    return c.fail("auto_pad '" + auto_pad + "' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
  const auto pads = c.attr_ints("pads", std::vector<int64_t>(2 * nsp, 0));
  if (pads.size() != 2 * nsp)
    return c.fail("pads " + dims(pads) + " must have " + std::to_string(2 * nsp) + " values");
  for (int64_t p : pads)
    if (p < 0) return c.fail("pads " + dims(pads) + " must be >= 0");

  g.out.assign(nsp, -1);
  g.pads_begin.assign(nsp, 0);
  g.pads_end.assign(nsp, 0);
  for (size_t i = 0; i < nsp; ++i) {
    const int64_t in = g.in[i], k = g.kernel[i], s = g.strides[i], d = g.dilations[i];
    if (auto_pad == "NOTSET") {
      g.pads_begin[i] = pads[i];
      g.pads_end[i] = pads[i + nsp];
    }
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      if (in < 0) continue;
      g.out[i] = (in + s - 1) / s;
      if (k < 0) continue;
      const int64_t total = std::max<int64_t>(0, (g.out[i] - 1) * s + (k - 1) * d + 1 - in);
      const int64_t small = total / 2, large = total - small;
      g.pads_begin[i] = auto_pad == "SAME_UPPER" ? small : large;
      g.pads_end[i] = total - g.pads_begin[i];
      continue;
    }
    if (in < 0 || k < 0) continue;
    const int64_t span = in + g.pads_begin[i] + g.pads_end[i] - ((k - 1) * d + 1);
    if (span < 0)
      return c.fail("the kernel " + dims(g.kernel) + " (dilations " + dims(g.dilations) +
                    ") is larger than the padded input " + dims(g.in));
    g.out[i] = span / s + 1;
  }
  return g;
}

Status infer_conv_output(InferContext& c, size_t x, size_t w, DType dtype) {
  int64_t rank = c.input_rank(x);
  if (rank < 0) rank = c.input_rank(w);
  if (rank < 0) return c.set_output_unknown(0, dtype);
  const auto dims_of = [&](size_t i) {
    const TensorType& t = c.input_type(i);
    return t.shape ? *t.shape : std::vector<int64_t>(static_cast<size_t>(rank), -1);
  };
  LEDGE_ASSIGN(ConvGeometry g, conv_geometry(c, dims_of(x), dims_of(w)));
  return c.set_output(0, dtype, g.output_shape());
}

void conv_i32(const ConvGeometry& g, const int32_t* x, const int32_t* w, int32_t* y) {
  const size_t nsp = g.in.size();
  const int64_t cg = g.in_channels / g.group, mg = g.out_channels / g.group;
  int64_t in_size = 1, out_size = 1, k_size = 1;
  for (size_t d = 0; d < nsp; ++d) {
    in_size *= g.in[d];
    out_size *= g.out[d];
    k_size *= g.kernel[d];
  }
  // Kernel taps as offsets from the window origin, one row of nsp values per tap.
  std::vector<int64_t> taps(static_cast<size_t>(k_size) * nsp);
  for (int64_t t = 0; t < k_size; ++t) {
    int64_t rest = t;
    for (size_t d = nsp; d-- > 0;) {
      taps[static_cast<size_t>(t) * nsp + d] = rest % g.kernel[d] * g.dilations[d];
      rest /= g.kernel[d];
    }
  }
  std::vector<int64_t> opos(nsp), origin(nsp);
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t oc = 0; oc < g.out_channels; ++oc) {
      const int64_t c0 = oc / mg * cg;  // first input channel of oc's group
      int32_t* yp = y + (n * g.out_channels + oc) * out_size;
      std::fill(opos.begin(), opos.end(), 0);
      for (int64_t o = 0; o < out_size; ++o) {
        for (size_t d = 0; d < nsp; ++d) origin[d] = opos[d] * g.strides[d] - g.pads_begin[d];
        int32_t acc = 0;
        for (int64_t t = 0; t < k_size; ++t) {
          // Flat offset of the tap inside one input channel, or skip it if it lies in the pad.
          int64_t off = 0;
          bool inside = true;
          for (size_t d = 0; d < nsp && inside; ++d) {
            const int64_t p = origin[d] + taps[static_cast<size_t>(t) * nsp + d];
            inside = p >= 0 && p < g.in[d];
            off = off * g.in[d] + p;
          }
          if (!inside) continue;
          for (int64_t ic = 0; ic < cg; ++ic) {
            const int32_t xv = x[(n * g.in_channels + c0 + ic) * in_size + off];
            const int32_t wv = w[(oc * cg + ic) * k_size + t];
            acc = wrap_add(acc, xv * wv);
          }
        }
        yp[o] = acc;
        for (size_t d = nsp; d-- > 0;) {
          if (++opos[d] < g.out[d]) break;
          opos[d] = 0;
        }
      }
    }
  }
}

Expected<std::vector<int32_t>> conv_integer(const NodeContext& c, const ConvGeometry& g,
                                            const Tensor& x, const Tensor* x_zero_point,
                                            const Tensor& w, const Tensor* w_zero_point) {
  std::vector<int32_t> zx{0}, zw{0};
  if (x_zero_point) {
    if (x_zero_point->numel() != 1)
      return c.fail("x_zero_point must be a scalar (per tensor), got shape " +
                    shape_to_string(x_zero_point->shape()));
    zx = read_ints(*x_zero_point);
  }
  if (w_zero_point) {
    const int64_t n = w_zero_point->numel();
    if (n != 1 && (w_zero_point->rank() != 1 || n != g.out_channels))
      return c.fail("w_zero_point must be a scalar or hold one value per output channel (" +
                    std::to_string(g.out_channels) + "), got shape " +
                    shape_to_string(w_zero_point->shape()));
    zw = read_ints(*w_zero_point);
  }
  const int64_t per_oc = g.out_channels > 0 ? w.numel() / g.out_channels : 1;
  const bool w_per_channel = zw.size() > 1;
  LEDGE_ASSIGN(auto wx, widen_minus_zero_point(x, zx, [](int64_t) { return int64_t{0}; }));
  LEDGE_ASSIGN(auto ww, widen_minus_zero_point(w, zw, [&](int64_t i) {
                 return w_per_channel ? i / per_oc : int64_t{0};
               }));
  std::vector<int32_t> y(static_cast<size_t>(numel(g.output_shape())));
  conv_i32(g, wx.data(), ww.data(), y.data());
  return y;
}

Status infer_qlinear_inputs(InferContext& c, bool float_output) {
  static const char* const kNames[] = {"x",       "x_scale",      "x_zero_point",
                                       "w",       "w_scale",      "w_zero_point",
                                       "y_scale", "y_zero_point", "B"};
  const bool dequantized = float_output && !c.has_input(kQYScale) && !c.has_input(kQYZero);
  for (size_t i = 0; i < (dequantized ? 6 : 8); ++i) LEDGE_TRY(require_input(c, i, kNames[i]));
  for (size_t i : {kQX, kQXZero, kQW, kQWZero, kQYZero})
    LEDGE_TRY(check_type(c, i, kNames[i], {DType::kInt8, DType::kUInt8}));
  for (size_t i : {kQXScale, kQWScale, kQYScale})
    LEDGE_TRY(check_type(c, i, kNames[i], {DType::kFloat32}));
  LEDGE_TRY(check_type(c, kQBias, "B", {DType::kInt32}));
  LEDGE_TRY(check_same_type(c, kQX, kQXZero, "x_zero_point"));
  LEDGE_TRY(check_same_type(c, kQW, kQWZero, "w_zero_point"));
  for (size_t i : {kQXScale, kQXZero, kQYScale, kQYZero}) LEDGE_TRY(check_scalar(c, i, kNames[i]));
  return Status();
}

Status infer_qbinary_inputs(InferContext& c) {
  static const char* const kNames[] = {"a",       "a_scale",      "a_zero_point", "b",
                                       "b_scale", "b_zero_point", "y_scale",      "y_zero_point"};
  for (size_t i = 0; i < 8; ++i) LEDGE_TRY(require_input(c, i, kNames[i]));
  for (size_t i : {0, 2, 3, 5, 7})
    LEDGE_TRY(check_type(c, i, kNames[i], {DType::kInt8, DType::kUInt8}));
  for (size_t i : {1, 4, 6}) LEDGE_TRY(check_type(c, i, kNames[i], {DType::kFloat32}));
  for (size_t i : {1, 2, 4, 5, 6, 7}) LEDGE_TRY(check_scalar(c, i, kNames[i]));
  LEDGE_TRY(check_same_type(c, 0, 3, "b"));
  return check_same_type(c, 0, 7, "y_zero_point");
}

Status infer_qpool_inputs(InferContext& c) {
  static const char* const kNames[] = {"x", "x_scale", "x_zero_point", "y_scale", "y_zero_point"};
  for (size_t i = 0; i < 5; ++i) LEDGE_TRY(require_input(c, i, kNames[i]));
  for (size_t i : {0, 2, 4}) LEDGE_TRY(check_type(c, i, kNames[i], {DType::kInt8, DType::kUInt8}));
  for (size_t i : {1, 3}) LEDGE_TRY(check_type(c, i, kNames[i], {DType::kFloat32}));
  for (size_t i : {1, 2, 3, 4}) LEDGE_TRY(check_scalar(c, i, kNames[i]));
  LEDGE_TRY(check_same_type(c, 0, 2, "x_zero_point"));
  return check_same_type(c, 0, 4, "y_zero_point");
}

Expected<Shape> qlinear_weight_shape(const NodeContext& c, const TensorType& w, size_t rank) {
  if (!c.has_attr(kPackedWeightShapeAttr)) {
    if (!w.shape || w.shape->size() != rank)
      return c.fail("w must have rank " + std::to_string(rank));
    return *w.shape;
  }
  const std::vector<int64_t> dims = c.attr_ints(kPackedWeightShapeAttr);
  if (c.attr_error()) return *c.attr_error();
  if (dims.size() != rank)
    return c.fail("packed_weight_shape must have " + std::to_string(rank) + " dimensions");
  int64_t k = 1;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] < 0 || dims[i] > (int64_t{1} << 31))
      return c.fail("packed_weight_shape has a dimension out of range");
    if (i > 0) k *= dims[i];  // each factor below 2^31, at most three: checked next
    if (k > (int64_t{1} << 31)) return c.fail("packed_weight_shape is too large");
  }
  const size_t bytes = qgemm_prepacked_bytes(static_cast<size_t>(dims[0]), static_cast<size_t>(k));
  if (w.dtype != DType::kInt8 || !w.shape || w.shape->size() != 1 ||
      (*w.shape)[0] != static_cast<int64_t>(bytes))
    return c.fail("a pre-packed w of shape " + shape_to_string(dims) + " must be int8 [" +
                  std::to_string(bytes) + "]");
  return Shape(dims);
}

Expected<Tensor> qlinear_weight_values(const NodeContext& c, const Tensor& w, size_t rank) {
  LEDGE_ASSIGN(const Shape shape, qlinear_weight_shape(c, TensorType{w.dtype(), w.shape()}, rank));
  if (!c.has_attr(kPackedWeightShapeAttr)) return w;
  LEDGE_ASSIGN(Tensor values, Tensor::make(DType::kInt8, shape));
  const auto n = static_cast<size_t>(shape[0]);
  qgemm_unpack(w.data<int8_t>(), n, n == 0 ? 0 : static_cast<size_t>(values.numel()) / n,
               values.data<int8_t>());
  return values;
}

namespace {

// A per-output-channel parameter: one value, or a 1-D tensor of `channels` values.
Status check_per_channel(const KernelContext& c, const Tensor& t, int64_t channels,
                         const char* name) {
  if (t.numel() == 1 || (t.rank() == 1 && t.numel() == channels)) return Status();
  return c.fail(std::string(name) + " must be a scalar or hold one value per output channel (" +
                std::to_string(channels) + "), got shape " + shape_to_string(t.shape()));
}

template <class T>
std::vector<T> per_channel(std::vector<T> v, int64_t channels) {
  if (v.size() == 1) v.assign(static_cast<size_t>(channels), v[0]);
  return v;
}

}  // namespace

Expected<QLinearParams> qlinear_params(const KernelContext& c, int64_t channels) {
  QLinearParams p;
  LEDGE_TRY(check_per_channel(c, c.input(kQWScale), channels, "w_scale"));
  LEDGE_TRY(check_per_channel(c, c.input(kQWZero), channels, "w_zero_point"));
  LEDGE_ASSIGN(const float x_scale, scalar_float(c, kQXScale, "x_scale"));
  float y_scale = 1.f;
  if (c.has_input(kQYScale)) {
    LEDGE_ASSIGN(y_scale, scalar_float(c, kQYScale, "y_scale"));
  }
  LEDGE_ASSIGN(p.x_zero, scalar_int(c, kQXZero, "x_zero_point"));
  LEDGE_ASSIGN(p.y_zero, scalar_int(c, kQYZero, "y_zero_point"));
  p.w_zero = per_channel(read_ints(c.input(kQWZero)), channels);
  const std::vector<float> w_scale = per_channel(read_floats(c.input(kQWScale)), channels);
  p.multiplier.resize(w_scale.size());
  for (size_t oc = 0; oc < w_scale.size(); ++oc)
    p.multiplier[oc] = requant_multiplier(x_scale, w_scale[oc], y_scale);
  if (const Tensor* b = c.input_or_null(kQBias)) {
    if (b->rank() != 1 || b->numel() != channels)
      return c.fail("bias B must be 1-D with one value per output channel (" +
                    std::to_string(channels) + "), got shape " + shape_to_string(b->shape()));
    p.bias = read_ints(*b);
  }
  return p;
}

}  // namespace ledge::quant
