// Transpose for any element size: dimensions that stay adjacent are merged first, so the
// layout changes the CPU lowering inserts (NCHW ↔ NHWC) become a batch of 2-D
// transposes, done in cache-sized tiles; other permutations walk the output in order.
#include <algorithm>
#include <cstring>

#include "kernels/fast_kernel.h"

namespace ledge {
namespace {

class TransposeKernel : public PreparedKernel {
 public:
  TransposeKernel(std::vector<size_t> dims, std::vector<size_t> perm, size_t elem,
                  const ThreadPool& pool)
      : dims_(std::move(dims)), perm_(std::move(perm)), elem_(elem), pool_(pool) {}

  Status run(const Tensor* const* in, Tensor* const* out) override {
    const auto* src = static_cast<const uint8_t*>(in[0]->raw());
    auto* dst = static_cast<uint8_t*>(out[0]->raw());
    const size_t rank = dims_.size();
    if (rank == 3 && perm_ == std::vector<size_t>{0, 2, 1}) {
      batched_2d(src, dst, dims_[0], dims_[1], dims_[2]);
    } else if (rank == 2 && perm_ == std::vector<size_t>{1, 0}) {
      batched_2d(src, dst, 1, dims_[0], dims_[1]);
    } else {
      generic(src, dst);
    }
    return Status();
  }

 private:
  // dst[b][c][r] = src[b][r][c]
  void batched_2d(const uint8_t* src, uint8_t* dst, size_t batch, size_t rows, size_t cols) {
    constexpr size_t kTile = 32;
    const size_t row_tiles = (rows + kTile - 1) / kTile;
    pool_.parallel_for(batch * row_tiles, [&](size_t t) {
      const size_t b = t / row_tiles, r0 = (t % row_tiles) * kTile;
      const size_t r1 = std::min(rows, r0 + kTile);
      const uint8_t* s = src + b * rows * cols * elem_;
      uint8_t* d = dst + b * rows * cols * elem_;
      for (size_t c0 = 0; c0 < cols; c0 += kTile) {
        const size_t c1 = std::min(cols, c0 + kTile);
        if (elem_ == 4) {
          const auto* s4 = reinterpret_cast<const uint32_t*>(s);
          auto* d4 = reinterpret_cast<uint32_t*>(d);
          for (size_t c = c0; c < c1; ++c)
            for (size_t r = r0; r < r1; ++r) d4[c * rows + r] = s4[r * cols + c];
        } else {
          for (size_t c = c0; c < c1; ++c)
            for (size_t r = r0; r < r1; ++r)
              std::memcpy(d + (c * rows + r) * elem_, s + (r * cols + c) * elem_, elem_);
        }
      }
    });
  }

  void generic(const uint8_t* src, uint8_t* dst) {
    const size_t rank = dims_.size();
    std::vector<size_t> stride(rank, 1), out_dims(rank), idx(rank, 0);
    for (size_t i = rank; i-- > 1;) stride[i - 1] = stride[i] * dims_[i];
    size_t total = 1;
    for (size_t i = 0; i < rank; ++i) total *= (out_dims[i] = dims_[perm_[i]]);
    for (size_t o = 0; o < total; ++o) {
      size_t off = 0;
      for (size_t i = 0; i < rank; ++i) off += idx[i] * stride[perm_[i]];
      std::memcpy(dst + o * elem_, src + off * elem_, elem_);
      for (size_t i = rank; i-- > 0;) {
        if (++idx[i] < out_dims[i]) break;
        idx[i] = 0;
      }
    }
  }

  std::vector<size_t> dims_, perm_;
  size_t elem_;
  const ThreadPool& pool_;
};

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const Shape& x = c.input_shape(0);
  const size_t rank = x.size();
  std::vector<int64_t> perm = c.attr_ints("perm");
  if (perm.empty())
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
  if (perm.size() != rank || numel(x) == 0) return std::unique_ptr<PreparedKernel>();
  // Drop size-1 dimensions, then merge input axes that stay adjacent in the output.
  std::vector<size_t> kept;  // input axes with size > 1, in output order
  for (int64_t p : perm) {
    if (p < 0 || static_cast<size_t>(p) >= rank) return std::unique_ptr<PreparedKernel>();
    if (x[static_cast<size_t>(p)] != 1) kept.push_back(static_cast<size_t>(p));
  }
  std::vector<std::vector<size_t>> groups;  // runs of consecutive input axes
  for (size_t a : kept) {
    if (!groups.empty() && groups.back().back() + 1 == a)
      groups.back().push_back(a);
    else
      groups.push_back({a});
  }
  // Merged input dims, in input order, and the permutation over them.
  std::vector<size_t> order(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return groups[a][0] < groups[b][0]; });
  std::vector<size_t> dims(groups.size()), new_perm(groups.size());
  for (size_t pos = 0; pos < order.size(); ++pos) {
    size_t d = 1;
    for (size_t a : groups[order[pos]]) d *= static_cast<size_t>(x[a]);
    dims[pos] = d;
  }
  for (size_t i = 0; i < groups.size(); ++i)
    new_perm[i] = static_cast<size_t>(std::find(order.begin(), order.end(), i) - order.begin());
  if (dims.empty()) {
    dims = {1};
    new_perm = {0};
  }
  return std::unique_ptr<PreparedKernel>(new TransposeKernel(
      std::move(dims), std::move(new_perm), dtype_size(c.input_type(0).dtype), c.pool()));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(Transpose, "", "Transpose", ledge::prepare)
