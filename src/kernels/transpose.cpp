// Transpose for any element size: dimensions that stay adjacent are merged first, so the
// layout changes the CPU lowering inserts (NCHW ↔ NHWC) become a batch of 2-D
// transposes, done in cache-sized tiles; other permutations walk the output in order.
#include "kernels/transpose.h"

#include <algorithm>
#include <cstring>

namespace ledge {

namespace {

// Few rows (an image's 3 channels): stream through every row at once, writing in order.
// R is a constant so that the compiler interleaves the rows with vector shuffles (a byte
// loop over a runtime row count took 0.12 ms for a 224x224 image, 5% of an int8 MobileNet).
template <class T, size_t R>
void interleave_rows(const T* sv, T* dv, size_t batch, size_t cols, const ThreadPool* pool) {
  auto span = [&](size_t t) {
    const size_t b = t / 64, c0 = cols * (t % 64) / 64, c1 = cols * (t % 64 + 1) / 64;
    const T* s = sv + b * R * cols;
    T* d = dv + b * R * cols;
    for (size_t c = c0; c < c1; ++c)
      for (size_t r = 0; r < R; ++r) d[c * R + r] = s[r * cols + c];
  };
  if (pool) {
    pool->parallel_for(batch * 64, span);
  } else {
    for (size_t t = 0; t < batch * 64; ++t) span(t);
  }
}

// interleave_rows<T, rows> for 1 to 8 rows; false for more.
template <class T, size_t R = 1>
bool interleave_few_rows(const T* sv, T* dv, size_t batch, size_t rows, size_t cols,
                         const ThreadPool* pool) {
  if constexpr (R > 8) {
    return false;
  } else {
    if (rows != R) return interleave_few_rows<T, R + 1>(sv, dv, batch, rows, cols, pool);
    interleave_rows<T, R>(sv, dv, batch, cols, pool);
    return true;
  }
}

// dst[b][c][r] = src[b][r][c] for elements of type T (any type of the element's size).
template <class T>
void batched_2d_typed(const uint8_t* src, uint8_t* dst, size_t batch, size_t rows, size_t cols,
                      const ThreadPool* pool) {
  const auto* sv = reinterpret_cast<const T*>(src);
  auto* dv = reinterpret_cast<T*>(dst);
  if (interleave_few_rows<T>(sv, dv, batch, rows, cols, pool)) return;
  constexpr size_t kTile = 32;
  const size_t row_tiles = (rows + kTile - 1) / kTile;
  auto tile = [&](size_t t) {
    const size_t b = t / row_tiles, r0 = (t % row_tiles) * kTile;
    const size_t r1 = std::min(rows, r0 + kTile);
    const T* s = sv + b * rows * cols;
    T* d = dv + b * rows * cols;
    for (size_t c0 = 0; c0 < cols; c0 += kTile) {
      const size_t c1 = std::min(cols, c0 + kTile);
      for (size_t c = c0; c < c1; ++c)
        for (size_t r = r0; r < r1; ++r) d[c * rows + r] = s[r * cols + c];
    }
  };
  if (pool) {
    pool->parallel_for(batch * row_tiles, tile);
  } else {
    for (size_t t = 0; t < batch * row_tiles; ++t) tile(t);
  }
}

// The element size picks the type; the layout of the values does not matter.
void batched_2d(const uint8_t* src, uint8_t* dst, size_t batch, size_t rows, size_t cols,
                size_t elem, const ThreadPool* pool) {
  switch (elem) {
    case 1:
      return batched_2d_typed<uint8_t>(src, dst, batch, rows, cols, pool);
    case 2:
      return batched_2d_typed<uint16_t>(src, dst, batch, rows, cols, pool);
    case 4:
      return batched_2d_typed<uint32_t>(src, dst, batch, rows, cols, pool);
    case 8:
      return batched_2d_typed<uint64_t>(src, dst, batch, rows, cols, pool);
    default:
      break;
  }
  for (size_t b = 0; b < batch; ++b) {
    const uint8_t* s = src + b * rows * cols * elem;
    uint8_t* d = dst + b * rows * cols * elem;
    for (size_t c = 0; c < cols; ++c)
      for (size_t r = 0; r < rows; ++r)
        std::memcpy(d + (c * rows + r) * elem, s + (r * cols + c) * elem, elem);
  }
}

void generic(const uint8_t* src, uint8_t* dst, const TransposePlan& p) {
  const size_t rank = p.dims.size();
  std::vector<size_t> stride(rank, 1), out_dims(rank), idx(rank, 0);
  for (size_t i = rank; i-- > 1;) stride[i - 1] = stride[i] * p.dims[i];
  size_t total = 1;
  for (size_t i = 0; i < rank; ++i) total *= (out_dims[i] = p.dims[p.perm[i]]);
  for (size_t o = 0; o < total; ++o) {
    size_t off = 0;
    for (size_t i = 0; i < rank; ++i) off += idx[i] * stride[p.perm[i]];
    std::memcpy(dst + o * p.elem, src + off * p.elem, p.elem);
    for (size_t i = rank; i-- > 0;) {
      if (++idx[i] < out_dims[i]) break;
      idx[i] = 0;
    }
  }
}

}  // namespace

std::optional<TransposePlan> plan_transpose(const Shape& x, std::vector<int64_t> perm,
                                            size_t elem) {
  const size_t rank = x.size();
  if (perm.empty())
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
  if (perm.size() != rank) return std::nullopt;
  // Drop size-1 dimensions, then merge input axes that stay adjacent in the output.
  std::vector<size_t> kept;  // input axes with size > 1, in output order
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || static_cast<size_t>(p) >= rank || seen[static_cast<size_t>(p)])
      return std::nullopt;
    seen[static_cast<size_t>(p)] = true;
    if (x[static_cast<size_t>(p)] != 1) kept.push_back(static_cast<size_t>(p));
  }
  std::vector<std::vector<size_t>> groups;  // runs of consecutive input axes
  for (size_t a : kept) {
    if (!groups.empty() && groups.back().back() + 1 == a)
      groups.back().push_back(a);
    else
      groups.push_back({a});
  }
  std::vector<size_t> order(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return groups[a][0] < groups[b][0]; });
  TransposePlan p;
  p.elem = elem;
  p.dims.resize(groups.size());
  p.perm.resize(groups.size());
  for (size_t pos = 0; pos < order.size(); ++pos) {
    size_t d = 1;
    for (size_t a : groups[order[pos]]) d *= static_cast<size_t>(x[a]);
    p.dims[pos] = d;
  }
  for (size_t i = 0; i < groups.size(); ++i)
    p.perm[i] = static_cast<size_t>(std::find(order.begin(), order.end(), i) - order.begin());
  if (p.dims.empty()) {
    p.dims = {1};
    p.perm = {0};
  }
  return p;
}

void run_transpose(const TransposePlan& p, const void* src_v, void* dst_v, const ThreadPool* pool) {
  const auto* src = static_cast<const uint8_t*>(src_v);
  auto* dst = static_cast<uint8_t*>(dst_v);
  const size_t rank = p.dims.size();
  if (rank == 1) {
    std::memcpy(dst, src, p.dims[0] * p.elem);
  } else if (rank == 3 && p.perm == std::vector<size_t>{0, 2, 1}) {
    batched_2d(src, dst, p.dims[0], p.dims[1], p.dims[2], p.elem, pool);
  } else if (rank == 2 && p.perm == std::vector<size_t>{1, 0}) {
    batched_2d(src, dst, 1, p.dims[0], p.dims[1], p.elem, pool);
  } else {
    generic(src, dst, p);
  }
}

namespace {

class TransposeKernel : public PreparedKernel {
 public:
  TransposeKernel(TransposePlan plan, const ThreadPool& pool)
      : plan_(std::move(plan)), pool_(pool) {}
  Status run(const Tensor* const* in, Tensor* const* out) override {
    run_transpose(plan_, in[0]->raw(), out[0]->raw(), &pool_);
    return Status();
  }

 private:
  TransposePlan plan_;
  const ThreadPool& pool_;
};

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const Shape& x = c.input_shape(0);
  if (numel(x) == 0) return std::unique_ptr<PreparedKernel>();
  auto plan = plan_transpose(x, c.attr_ints("perm"), dtype_size(c.input_type(0).dtype));
  if (!plan) return std::unique_ptr<PreparedKernel>();
  return std::unique_ptr<PreparedKernel>(new TransposeKernel(std::move(*plan), c.pool()));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(Transpose, "", "Transpose", ledge::prepare)
