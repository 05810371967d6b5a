// Tensors: a dtype, a shape, and a pointer into shared storage.
//
// A Tensor is a cheap-to-copy handle; copies share storage (like numpy views). Storage is
// either owned (64-byte aligned, zero-initialized, allocated by Tensor::make) or borrowed
// from an owner that outlives it (an mmap'ed file, an arena), kept alive by `owner`.
//
//   LEDGE_ASSIGN(Tensor t, Tensor::make(DType::kFloat32, {1, 3, 224, 224}));
//   float* p = t.data<float>();
//
// Allocation is checked: shapes whose element count overflows, or whose size exceeds
// the process-wide limit (tensor_byte_limit), are errors, not crashes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"

namespace ledge {

using Shape = std::vector<int64_t>;

// Number of elements, or an error if a dimension is negative or the product overflows.
Expected<int64_t> checked_numel(const Shape& shape);
// Number of elements of a shape already known to be valid.
int64_t numel(const Shape& shape);
// "1x3x224x224"; "scalar" for rank 0.
std::string shape_to_string(const Shape& shape);
// Parses "1x3x224x224" (also "1,3,224,224"); "scalar" or "" gives rank 0.
Expected<Shape> parse_shape(const std::string& text);

// Largest single tensor the process will allocate; default 8 GiB. Protects against absurd
// declared dimensions in untrusted models.
size_t tensor_byte_limit();
void set_tensor_byte_limit(size_t bytes);

class Tensor {
 public:
  Tensor() = default;

  // A new zero-filled tensor.
  static Expected<Tensor> make(DType dtype, Shape shape);
  // A tensor over memory owned by `owner`; `data` must stay valid while owner lives.
  static Tensor borrow(DType dtype, Shape shape, void* data, std::shared_ptr<const void> owner);
  // A scalar or 1-D tensor from values, for tests and tools.
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, Shape shape);

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <class T>
  T* data() {
    return static_cast<T*>(data_);
  }
  template <class T>
  const T* data() const {
    return static_cast<const T*>(data_);
  }
  template <class T>
  std::span<T> span() {
    return {data<T>(), static_cast<size_t>(numel_)};
  }
  template <class T>
  std::span<const T> span() const {
    return {data<T>(), static_cast<size_t>(numel_)};
  }

  // Same storage, another shape with the same element count.
  Expected<Tensor> reshaped(Shape shape) const;
  // A deep copy with its own storage.
  Expected<Tensor> clone() const;
  // Reads element i converted to double / int64 (for shape-like inputs and tools).
  double as_double(int64_t i) const;
  int64_t as_int64(int64_t i) const;
  // All elements as int64 (for shape-like inputs: Reshape's shape, Slice's starts, ...).
  std::vector<int64_t> to_int64_vector() const;

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  int64_t numel_ = 0;
  void* data_ = nullptr;
  std::shared_ptr<const void> owner_;
};

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, Shape shape) {
  Expected<Tensor> t = make(dtype_of<T>(), std::move(shape));
  if (!t) return Tensor();
  T* p = t->template data<T>();
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t->numel(); ++i)
    p[i] = values[i];
  return std::move(t).value();
}

}  // namespace ledge
