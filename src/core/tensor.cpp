#include "core/tensor.h"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "core/memory.h"

namespace ledge {

namespace {
std::atomic<size_t> g_byte_limit{size_t{8} << 30};
constexpr size_t kAlignment = 64;
}  // namespace

size_t tensor_byte_limit() { return g_byte_limit.load(); }
void set_tensor_byte_limit(size_t bytes) { g_byte_limit.store(bytes); }

Expected<int64_t> checked_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument("negative dimension in shape " + shape_to_string(shape));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return resource_limit("shape " + shape_to_string(shape) + " has too many elements");
    n *= d;
  }
  return n;
}

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s;
}

Expected<Shape> parse_shape(const std::string& text) {
  Shape shape;
  if (text.empty() || text == "scalar") return shape;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find_first_of("x,", pos);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(pos, end - pos);
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
        part.size() > 15)
      return invalid_argument("bad shape '" + text + "': expected dimensions like 1x3x224x224");
    shape.push_back(std::stoll(part));
    pos = end + 1;
  }
  return shape;
}

Expected<Tensor> Tensor::make(DType dtype, Shape shape) {
  if (!dtype_is_storable(dtype))
    return unsupported("cannot allocate a tensor of element type " +
                       std::string(dtype_name(dtype)));
  LEDGE_ASSIGN(int64_t n, checked_numel(shape));
  const size_t elem = dtype_size(dtype);
  if (static_cast<uint64_t>(n) > tensor_byte_limit() / elem)
    return resource_limit("tensor of shape " + shape_to_string(shape) + " (" +
                          std::string(dtype_name(dtype)) + ") exceeds the limit of " +
                          std::to_string(tensor_byte_limit() >> 20) + " MiB");
  const size_t bytes = static_cast<size_t>(n) * elem;
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = allocate_block(rounded == 0 ? kAlignment : rounded, kAlignment, true);
  if (!p) return resource_limit("out of memory allocating " + std::to_string(bytes) + " bytes");
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.numel_ = n;
  t.data_ = p;
  t.owner_ =
      std::shared_ptr<const void>(p, [](const void* q) { free_block(const_cast<void*>(q)); });
  return t;
}

Tensor Tensor::borrow(DType dtype, Shape shape, void* data, std::shared_ptr<const void> owner) {
  Tensor t;
  t.dtype_ = dtype;
  t.numel_ = ::ledge::numel(shape);
  t.shape_ = std::move(shape);
  t.data_ = data;
  t.owner_ = std::move(owner);
  return t;
}

Expected<Tensor> Tensor::reshaped(Shape shape) const {
  LEDGE_ASSIGN(int64_t n, checked_numel(shape));
  if (n != numel_)
    return invalid_argument("cannot reshape " + shape_to_string(shape_) + " to " +
                            shape_to_string(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Expected<Tensor> Tensor::clone() const {
  LEDGE_ASSIGN(Tensor t, make(dtype_, shape_));
  if (nbytes()) std::memcpy(t.data_, data_, nbytes());
  return t;
}

double Tensor::as_double(int64_t i) const {
  double v = 0;
  (void)dispatch(dtype_,
                 [&]<class T>() { v = static_cast<double>(static_cast<const T*>(data_)[i]); });
  return v;
}

int64_t Tensor::as_int64(int64_t i) const {
  int64_t v = 0;
  (void)dispatch(dtype_, [&]<class T>() {
    if constexpr (is_floating_v<T>) {
      // Saturate instead of the undefined float-to-int conversion of NaN or huge values.
      const double d = static_cast<double>(static_cast<const T*>(data_)[i]);
      v = std::isnan(d)  ? 0
          : d >= 9.2e18  ? INT64_MAX
          : d <= -9.2e18 ? INT64_MIN
                         : static_cast<int64_t>(d);
    } else
      v = static_cast<int64_t>(static_cast<const T*>(data_)[i]);
  });
  return v;
}

std::vector<int64_t> Tensor::to_int64_vector() const {
  std::vector<int64_t> v(static_cast<size_t>(numel_));
  for (int64_t i = 0; i < numel_; ++i) v[static_cast<size_t>(i)] = as_int64(i);
  return v;
}

}  // namespace ledge
