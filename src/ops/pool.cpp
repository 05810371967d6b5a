// Sliding-window pooling: MaxPool (with the optional Indices output), AveragePool and LpPool,
// over 1-D to N-D inputs [N, C, D1, ...], with strides, dilations, pads / auto_pad and
// ceil_mode. Older versions lack some attributes (AveragePool-1 has no count_include_pad,
// MaxPool-1 no Indices); their defaults give the old behaviour.
#include <cmath>
#include <limits>

#include "ops/nn_common.h"

namespace ledge {
namespace {

enum class PoolKind { kMax, kAverage, kLp };

Expected<Window> read_pool_window(const NodeContext& c, int64_t rank) {
  LEDGE_ASSIGN(std::vector<int64_t> kernel, read_kernel_shape(c, rank - 2, true));
  return read_window(c, rank - 2, std::move(kernel), true, true);
}

template <PoolKind kind>
Status infer_pool(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  const DType dt = c.input_dtype(0);
  if (kind == PoolKind::kMax) {
    if (dt != DType::kUndefined && !dtype_is_float(dt) && dt != DType::kInt8 && dt != DType::kUInt8)
      return c.fail_unsupported("MaxPool does not take " + std::string(dtype_name(dt)));
    const int64_t so = c.attr_int("storage_order", 0);
    if (so != 0 && so != 1) return c.fail("storage_order must be 0 or 1");
  } else {
    LEDGE_TRY(require_float(c, 0));
    const int64_t cip = c.attr_int("count_include_pad", 0);
    if (cip != 0 && cip != 1) return c.fail("count_include_pad must be 0 or 1");
  }
  const int64_t rank = c.input_rank(0);
  if (rank < 0) {
    LEDGE_TRY(c.set_output_unknown(1, DType::kInt64));
    return c.set_output_unknown(0, dt);
  }
  if (rank < 3) return c.fail("input has rank " + std::to_string(rank) + ", expected 3 or more");
  LEDGE_ASSIGN(Window w, read_pool_window(c, rank));
  const std::vector<int64_t>& xd = *c.input_type(0).shape;
  std::vector<int64_t> out = {xd[0], xd[1]};
  for (size_t i = 0; i + 2 < xd.size(); ++i) {
    LEDGE_ASSIGN(Extent e, window_extent(c, w, i, xd[i + 2]));
    out.push_back(e.out);
  }
  if (kind == PoolKind::kMax) LEDGE_TRY(c.set_output(1, DType::kInt64, out));
  return c.set_output(0, dt, std::move(out));
}

// The input positions one output position reads along one spatial dimension, and how many
// taps fall inside the padded input (the divisor of AveragePool with count_include_pad).
struct Taps {
  std::vector<int64_t> positions;
  int64_t padded_count = 0;
};

template <PoolKind kind, class T>
Status pool_kernel(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const int64_t rank = x.rank();
  const size_t r = static_cast<size_t>(rank - 2);
  LEDGE_ASSIGN(Window w, read_pool_window(c, rank));
  std::vector<int64_t> in(r), out(r);
  // taps[d][o]: the positions read by output coordinate o along dimension d.
  std::vector<std::vector<Taps>> taps(r);
  for (size_t d = 0; d < r; ++d) {
    in[d] = x.dim(static_cast<int64_t>(d) + 2);
    LEDGE_ASSIGN(Extent e, window_extent(c, w, d, in[d]));
    out[d] = e.out;
    taps[d].resize(static_cast<size_t>(e.out));
    for (int64_t o = 0; o < e.out; ++o) {
      Taps& t = taps[d][static_cast<size_t>(o)];
      for (int64_t k = 0; k < w.kernel[d]; ++k) {
        const int64_t p = o * w.strides[d] - e.pad_begin + k * w.dilations[d];
        if (p >= 0 && p < in[d]) t.positions.push_back(p);
        if (p >= -e.pad_begin && p < in[d] + e.pad_end) ++t.padded_count;
      }
    }
  }
  const int64_t planes = x.dim(0) * x.dim(1), I = numel(in), O = numel(out);
  if (planes * O == 0) return Status();
  const bool count_include_pad = c.attr_int("count_include_pad", 0) == 1;
  const double p_norm = c.attr_float("p", 2.f);
  const bool column_major = c.attr_int("storage_order", 0) == 1;
  Tensor* indices = c.num_outputs() > 1 && !c.node().outputs[1].empty() ? &c.output(1) : nullptr;
  // Strides of the flattened index that Indices reports (row- or column-major).
  std::vector<int64_t> index_strides = strides_of(in);
  if (column_major) {
    int64_t s = 1;
    for (size_t d = 0; d < r; ++d) {
      index_strides[d] = s;
      s *= in[d];
    }
  }
  const std::vector<int64_t> in_strides = strides_of(in);
  const T* px = x.data<T>();
  T* py = y.data<T>();

  // Per-output scratch, reused: the position lists and the index over their product.
  std::vector<const std::vector<int64_t>*> lists(r);
  std::vector<int64_t> k(r), sizes(r);
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* xp = px + plane * I;
    std::vector<int64_t> o(r, 0);
    int64_t oi = 0;
    do {
      // Visit the cartesian product of the per-dimension positions.
      bool empty = false;
      int64_t divisor = 1;
      for (size_t d = 0; d < r; ++d) {
        const Taps& t = taps[d][static_cast<size_t>(o[d])];
        lists[d] = &t.positions;
        sizes[d] = static_cast<int64_t>(t.positions.size());
        empty = empty || t.positions.empty();
        divisor *= count_include_pad ? t.padded_count : static_cast<int64_t>(t.positions.size());
      }
      double sum = 0;
      compute_t<T> best{};
      int64_t best_index = 0;
      bool have = false;
      if (!empty) {
        std::fill(k.begin(), k.end(), 0);
        do {
          int64_t off = 0, idx = 0;
          for (size_t d = 0; d < r; ++d) {
            const int64_t p = (*lists[d])[static_cast<size_t>(k[d])];
            off += p * in_strides[d];
            idx += p * index_strides[d];
          }
          const compute_t<T> v = static_cast<compute_t<T>>(xp[off]);
          if constexpr (kind == PoolKind::kMax) {
            if (!have || v > best ||
                (std::isnan(static_cast<double>(v)) && !std::isnan(static_cast<double>(best)))) {
              best = v;
              best_index = idx;
            }
          } else if constexpr (kind == PoolKind::kAverage) {
            sum += static_cast<double>(v);
          } else {
            sum += std::pow(std::fabs(static_cast<double>(v)), p_norm);
          }
          have = true;
        } while (next_index(k, sizes));
      }
      if constexpr (kind == PoolKind::kMax) {
        // A window entirely in the padding (only with pads larger than the kernel) sees
        // nothing: report the lowest value.
        if (!have) {
          if constexpr (is_floating_v<T>)
            best = -std::numeric_limits<compute_t<T>>::infinity();
          else
            best = std::numeric_limits<T>::lowest();
        }
        py[plane * O + oi] = static_cast<T>(best);
        if (indices) indices->data<int64_t>()[plane * O + oi] = plane * I + best_index;
      } else if constexpr (kind == PoolKind::kAverage) {
        py[plane * O + oi] =
            static_cast<T>(divisor > 0 ? sum / static_cast<double>(divisor) : std::nan(""));
      } else {
        py[plane * O + oi] = static_cast<T>(std::pow(sum, 1.0 / p_norm));
      }
      ++oi;
    } while (next_index(o, out));
  }
  return Status();
}

Status run_max_pool(KernelContext& c) {
  return dispatch<TypeSet::kFloat | TypeSet::kSigned | TypeSet::kUnsigned>(
      c.input(0).dtype(), [&]<class T>() -> Status { return pool_kernel<PoolKind::kMax, T>(c); });
}
Status run_average_pool(KernelContext& c) {
  return dispatch<TypeSet::kFloat>(c.input(0).dtype(), [&]<class T>() -> Status {
    return pool_kernel<PoolKind::kAverage, T>(c);
  });
}
Status run_lp_pool(KernelContext& c) {
  return dispatch<TypeSet::kFloat>(
      c.input(0).dtype(), [&]<class T>() -> Status { return pool_kernel<PoolKind::kLp, T>(c); });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(MaxPool, ledge::infer_pool<ledge::PoolKind::kMax>, ledge::run_max_pool)
LEDGE_DEFINE_OP(AveragePool, ledge::infer_pool<ledge::PoolKind::kAverage>, ledge::run_average_pool)
LEDGE_DEFINE_OP(LpPool, ledge::infer_pool<ledge::PoolKind::kLp>, ledge::run_lp_pool)
