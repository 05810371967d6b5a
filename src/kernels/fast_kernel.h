// Fast kernels: an optional, faster implementation of an operator, bound once to fixed
// shapes and constant weights. The reference kernel in src/ops stays the definition of
// what the operator computes; tests/unit/fast_kernels_test.cpp checks every fast kernel
// against it on random shapes.
//
// The execution plan (src/runtime/plan.h) calls prepare() for each node whose operator
// has a fast kernel. prepare() returns null when the configuration is outside what the
// fast kernel handles (an unusual attribute, a non-float type...): the node then runs
// with its reference kernel. Registration is one line in src/kernels/fast_list.def.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ops/kernel.h"
#include "runtime/thread_pool.h"

namespace ledge {

class PreparedKernel {
 public:
  virtual ~PreparedKernel() = default;
  // Inputs and outputs have the shapes prepare() saw; outputs are allocated but not
  // zeroed. Pointers may differ between calls (kernels that cache them re-check).
  virtual Status run(const Tensor* const* inputs, Tensor* const* outputs) = 0;
  // True when output 0 may be the same buffer as input 0 (element-wise kernels): the
  // memory planner then reuses the input's memory where that is its last use.
  virtual bool may_run_in_place() const { return false; }
  // True when the kernel copied (packed) its constant inputs at prepare time and never
  // reads them again: the plan then releases the originals.
  virtual bool packed_constants() const { return false; }
  // Scratch memory the kernel needs during run(). Kernels of one plan run one at a time, so
  // the plan reserves the largest request once, after the activations in its arena, and
  // hands every kernel that block through set_workspace() before it runs.
  virtual size_t workspace_bytes() const { return 0; }
  virtual void set_workspace(uint8_t* /*base*/) {}
  // Whether the kernel can write output 0 as rows of its last dimension placed `stride`
  // elements apart (set_output_row_stride), rather than packed. The plan uses it to let the
  // producers of a Concat along the last axis (NHWC channels) write straight into their
  // slice of its output, which then needs no copy (src/runtime/plan.cpp).
  virtual bool accepts_output_row_stride() const { return false; }
  // Only when accepts_output_row_stride(); stride >= output 0's last dimension.
  virtual void set_output_row_stride(size_t /*stride*/) {}
};

// What prepare() may look at: attributes, the static type of every input and output,
// and the values of constant inputs (weights).
class PrepareContext : public NodeContext {
 public:
  PrepareContext(const Node& node, int64_t opset, std::vector<TensorType> input_types,
                 std::vector<const Tensor*> constants, std::vector<TensorType> output_types,
                 const ThreadPool& pool)
      : NodeContext(node, opset),
        input_types_(std::move(input_types)),
        constants_(std::move(constants)),
        output_types_(std::move(output_types)),
        pool_(pool) {}

  size_t num_inputs() const { return input_types_.size(); }
  bool has_input(size_t i) const {
    return i < input_types_.size() && input_types_[i].dtype != DType::kUndefined;
  }
  const TensorType& input_type(size_t i) const { return input_types_[i]; }
  // Static shape of input i (prepare only runs when every shape is known).
  const Shape& input_shape(size_t i) const { return *input_types_[i].shape; }
  // The value of input i when it is a constant (an initializer), else null.
  const Tensor* constant(size_t i) const { return i < constants_.size() ? constants_[i] : nullptr; }
  size_t num_outputs() const { return output_types_.size(); }
  const Shape& output_shape(size_t i) const { return *output_types_[i].shape; }
  DType output_dtype(size_t i) const { return output_types_[i].dtype; }
  const ThreadPool& pool() const { return pool_; }

 private:
  std::vector<TensorType> input_types_;
  std::vector<const Tensor*> constants_;
  std::vector<TensorType> output_types_;
  const ThreadPool& pool_;
};

using PrepareFn = Expected<std::unique_ptr<PreparedKernel>> (*)(PrepareContext&);

struct FastKernel {
  const char* name;    // operator type
  const char* domain;  // "" for ONNX, "ledge" for the lowered operators
  PrepareFn prepare;
};

// The fast kernel for an operator, or null.
const FastKernel* find_fast_kernel(const std::string& domain, const std::string& op_type);

// Sets up the process-wide state fast kernels need (XNNPACK); false if the CPU lacks what
// they require, in which case every node runs with its reference kernel.
bool fast_kernels_available();

}  // namespace ledge

// Defines the registration function named in fast_list.def.
#define LEDGE_DEFINE_FAST_KERNEL(Symbol, domain, op_type, prepare_fn) \
  namespace ledge::fast_registry {                                    \
  const ::ledge::FastKernel& Symbol() {                               \
    static const ::ledge::FastKernel k{op_type, domain, prepare_fn};  \
    return k;                                                         \
  }                                                                   \
  }
