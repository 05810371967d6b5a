// The operator interface: one file per operator (or per family of trivially similar
// operators) in src/ops/, registered by one line in src/ops/op_list.def.
//
// Each operator provides two functions:
//
//   infer(InferContext&)  validates attributes and input types, and sets the output types.
//                         It runs statically (shapes may be partly unknown; input values are
//                         known only for constants) and again at run time with every shape
//                         and input value known, which is where output shapes come from.
//   run(KernelContext&)   the reference computation. Outputs whose shape infer fixed are
//                         already allocated (zeroed); for data-dependent shapes (NonZero,
//                         TopK with unknown K...) run calls ctx.allocate_output.
//
// infer is the prepare phase: once it succeeds, run may trust attributes and shapes.
//
//   static Status infer(InferContext& c) { return c.set_output(0, c.input_type(0)); }
//   static Status run(KernelContext& c) {
//     return unary_map(c, [](auto x) { return x < 0 ? -x : x; });
//   }
//   LEDGE_DEFINE_OP(Abs, infer, run)
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace ledge {

// Attribute access shared by both contexts. A missing attribute gives the default; an
// attribute of the wrong type records an error (see error()) and gives the default.
class NodeContext {
 public:
  NodeContext(const Node& node, int64_t opset) : node_(node), opset_(opset) {}

  const Node& node() const { return node_; }
  // Version of the default ONNX opset the model imports (selects operator versions).
  int64_t opset() const { return opset_; }

  bool has_attr(const std::string& name) const { return node_.has_attr(name); }
  int64_t attr_int(const std::string& name, int64_t def = 0) const;
  float attr_float(const std::string& name, float def = 0.f) const;
  std::string attr_string(const std::string& name, const std::string& def = "") const;
  std::vector<int64_t> attr_ints(const std::string& name, std::vector<int64_t> def = {}) const;
  std::vector<float> attr_floats(const std::string& name, std::vector<float> def = {}) const;
  std::vector<std::string> attr_strings(const std::string& name,
                                        std::vector<std::string> def = {}) const;
  const Tensor* attr_tensor(const std::string& name) const;  // null when missing
  const Graph* attr_graph(const std::string& name) const;    // null when missing

  // An error naming this node: "node 'x' (Conv): <message>".
  Error fail(const std::string& message) const;
  Error fail_unsupported(const std::string& message) const;
  // The first attribute type error seen, if any.
  const std::optional<Error>& attr_error() const { return attr_error_; }

 protected:
  const Node& node_;
  int64_t opset_;
  mutable std::optional<Error> attr_error_;

 private:
  template <class T>
  const T* get(const std::string& name) const;
};

class InferContext : public NodeContext {
 public:
  InferContext(const Node& node, int64_t opset, std::vector<const TensorType*> input_types,
               std::vector<const Tensor*> input_values, size_t num_outputs);

  size_t num_inputs() const { return input_types_.size(); }
  size_t num_outputs() const { return outputs_.size(); }
  // False for an absent optional input ("" in the model, or past the end).
  bool has_input(size_t i) const { return i < input_types_.size() && input_types_[i]; }
  // Type of input i; an undefined type when absent.
  const TensorType& input_type(size_t i) const;
  DType input_dtype(size_t i) const { return input_type(i).dtype; }
  // Value of input i when known (always at run time; for constants statically).
  const Tensor* input_value(size_t i) const;
  // The rank of input i when known, else -1.
  int64_t input_rank(size_t i) const;

  Status set_output(size_t i, TensorType type);
  Status set_output(size_t i, DType dtype, std::vector<int64_t> shape);
  // The most dimensions an inferred output may have (no model comes near it).
  static constexpr int64_t kMaxRank = 64;
  // Output of unknown shape (data-dependent or not yet inferable): `rank` unknown dimensions,
  // or an unknown rank when negative. A rank above kMaxRank is an error.
  Status set_output_unknown(size_t i, DType dtype, int64_t rank = -1);
  std::vector<TensorType>& outputs() { return outputs_; }

 private:
  std::vector<const TensorType*> input_types_;
  std::vector<const Tensor*> input_values_;
  std::vector<TensorType> outputs_;
};

// Runs a subgraph (If branch, Loop body) in the scope of the calling node.
using SubgraphRunner = std::function<Expected<std::vector<Tensor>>(
    const Graph& graph, const std::vector<Tensor>& inputs)>;

class KernelContext : public NodeContext {
 public:
  KernelContext(const Node& node, int64_t opset, std::vector<const Tensor*> inputs,
                std::vector<Tensor>* outputs, const SubgraphRunner* runner);

  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return outputs_->size(); }
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i]; }
  // Input i; never null for inputs that infer required.
  const Tensor& input(size_t i) const { return *inputs_[i]; }
  const Tensor* input_or_null(size_t i) const { return has_input(i) ? inputs_[i] : nullptr; }

  // Output i as allocated from the inferred type (undefined when infer left it unknown).
  Tensor& output(size_t i) { return (*outputs_)[i]; }
  // Allocates (or re-allocates) output i; for data-dependent shapes.
  Expected<Tensor*> allocate_output(size_t i, DType dtype, std::vector<int64_t> shape);
  // Sets output i to an existing tensor (e.g. Identity shares its input).
  void set_output(size_t i, Tensor t) { (*outputs_)[i] = std::move(t); }

  // Runs a subgraph attribute; only for control-flow operators.
  Expected<std::vector<Tensor>> run_subgraph(const Graph& g,
                                             const std::vector<Tensor>& inputs) const;

 private:
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor>* outputs_;
  const SubgraphRunner* runner_;
};

struct OpKernel {
  const char* name;  // ONNX op_type
  Status (*infer)(InferContext&);
  Status (*run)(KernelContext&);
  const char* domain = "";  // "" is the default ONNX domain
};

// Looks up an operator; null when ledge does not implement it.
const OpKernel* find_op(const std::string& domain, const std::string& op_type);
// Names of all implemented operators, sorted.
std::vector<std::string> implemented_ops();

}  // namespace ledge

// Defines the registration function named in op_list.def.
#define LEDGE_DEFINE_OP(Name, infer_fn, run_fn) \
  LEDGE_DEFINE_OP_IN_DOMAIN(Name, "", infer_fn, run_fn)
// The same for an operator of another domain (such as "ai.onnx.preview.training").
#define LEDGE_DEFINE_OP_IN_DOMAIN(Name, domain, infer_fn, run_fn)      \
  namespace ledge::op_registry {                                       \
  const ::ledge::OpKernel& Name() {                                    \
    static const ::ledge::OpKernel k{#Name, infer_fn, run_fn, domain}; \
    return k;                                                          \
  }                                                                    \
  }
