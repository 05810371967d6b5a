// Split: cuts a tensor into pieces along one axis.
//
// The sizes come from the 'split' attribute (before opset 13), the second input (Split-1 and
// from opset 13), or else equal parts: as many as there are outputs, or 'num_outputs'
// (opset 18), where the last part may be smaller.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

// Sizes of the parts along an axis of size `dim` (-1: unknown), or nullopt when unknown.
Expected<std::optional<std::vector<int64_t>>> split_sizes(const InferContext& c, int64_t dim) {
  using Result = std::optional<std::vector<int64_t>>;
  const int64_t n = static_cast<int64_t>(c.num_outputs());
  std::optional<std::vector<int64_t>> sizes;
  if (c.has_input(1)) {
    sizes = known_ints(c, 1);
    if (!sizes) return Result();
  } else if (c.has_attr("split")) {
    sizes = c.attr_ints("split");
  }
  if (sizes) {
    if (static_cast<int64_t>(sizes->size()) != n)
      return c.fail("split has " + std::to_string(sizes->size()) + " sizes for " +
                    std::to_string(n) + " outputs");
    int64_t sum = 0;
    for (int64_t s : *sizes) {
      if (s < 0) return c.fail("split has a negative size " + std::to_string(s));
      sum += s;
    }
    if (dim >= 0 && sum != dim)
      return c.fail("split sizes add up to " + std::to_string(sum) + ", the axis has size " +
                    std::to_string(dim));
    return Result(sizes);
  }
  if (dim < 0) return Result();
  if (c.has_attr("num_outputs")) {
    const int64_t k = c.attr_int("num_outputs");
    if (k != n) return c.fail("num_outputs does not match the number of outputs");
    // Opset 18: parts of ceil(dim / n), the last one smaller.
    const int64_t part = (dim + n - 1) / n;
    std::vector<int64_t> v;
    int64_t left = dim;
    for (int64_t i = 0; i < n; ++i) {
      v.push_back(std::min(part, left));
      left -= v.back();
    }
    return Result(v);
  }
  if (dim % n != 0)
    return c.fail("cannot split an axis of size " + std::to_string(dim) + " into " +
                  std::to_string(n) + " equal parts");
  return Result(std::vector<int64_t>(static_cast<size_t>(n), dim / n));
}

Status infer_split(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0));
  LEDGE_TRY(require_index_input(c, 1, "split"));
  if (c.num_outputs() == 0) return c.fail("needs at least one output");
  const DType dtype = c.input_dtype(0);
  const auto* in = input_shape(c, 0);
  if (!in) {
    for (size_t i = 0; i < c.num_outputs(); ++i) LEDGE_TRY(c.set_output_unknown(i, dtype));
    return Status();
  }
  const int64_t rank = static_cast<int64_t>(in->size());
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", 0), rank));
  if (rank == 0) return c.fail("cannot split a scalar");
  LEDGE_ASSIGN(auto sizes, split_sizes(c, (*in)[static_cast<size_t>(axis)]));
  for (size_t i = 0; i < c.num_outputs(); ++i) {
    std::vector<int64_t> out = *in;
    out[static_cast<size_t>(axis)] = sizes ? (*sizes)[i] : -1;
    LEDGE_TRY(c.set_output(i, TensorType{dtype, out}));
  }
  return Status();
}

Status run_split(KernelContext& c) {
  const Tensor& x = c.input(0);
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", 0), x.rank()));
  const size_t a = static_cast<size_t>(axis);
  const int64_t outer = dims_product(x.shape(), 0, a);
  const int64_t inner = dims_product(x.shape(), a + 1, x.shape().size());
  const size_t esz = dtype_size(x.dtype());
  const auto* px = static_cast<const uint8_t*>(x.raw());
  const int64_t in_block = x.shape()[a] * inner;
  int64_t at = 0;
  for (size_t i = 0; i < c.num_outputs(); ++i) {
    Tensor& y = c.output(i);
    // infer fixes every output's shape at run time, unused ones included.
    if (!y.defined()) return internal_error("Split output " + std::to_string(i) + " is missing");
    const int64_t block = y.shape()[a] * inner;
    auto* py = static_cast<uint8_t*>(y.raw());
    if (block > 0)
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(py + o * block * esz, px + (o * in_block + at) * esz,
                    static_cast<size_t>(block) * esz);
    at += block;
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Split, ledge::infer_split, ledge::run_split)
