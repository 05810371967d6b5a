#include "ops/kernel.h"

namespace ledge {

template <class T>
const T* NodeContext::get(const std::string& name) const {
  auto it = node_.attributes.find(name);
  if (it == node_.attributes.end()) return nullptr;
  if (const T* v = std::get_if<T>(&it->second)) return v;
  if (!attr_error_) attr_error_ = fail("attribute '" + name + "' has the wrong type");
  return nullptr;
}

int64_t NodeContext::attr_int(const std::string& name, int64_t def) const {
  const int64_t* v = get<int64_t>(name);
  return v ? *v : def;
}
float NodeContext::attr_float(const std::string& name, float def) const {
  auto it = node_.attributes.find(name);
  // Some exporters write integer values for float attributes; accept them.
  if (it != node_.attributes.end())
    if (const int64_t* i = std::get_if<int64_t>(&it->second)) return static_cast<float>(*i);
  const float* v = get<float>(name);
  return v ? *v : def;
}
std::string NodeContext::attr_string(const std::string& name, const std::string& def) const {
  const std::string* v = get<std::string>(name);
  return v ? *v : def;
}
std::vector<int64_t> NodeContext::attr_ints(const std::string& name,
                                            std::vector<int64_t> def) const {
  const auto* v = get<std::vector<int64_t>>(name);
  return v ? *v : def;
}
std::vector<float> NodeContext::attr_floats(const std::string& name, std::vector<float> def) const {
  const auto* v = get<std::vector<float>>(name);
  return v ? *v : def;
}
std::vector<std::string> NodeContext::attr_strings(const std::string& name,
                                                   std::vector<std::string> def) const {
  const auto* v = get<std::vector<std::string>>(name);
  return v ? *v : def;
}
const Tensor* NodeContext::attr_tensor(const std::string& name) const { return get<Tensor>(name); }
const Graph* NodeContext::attr_graph(const std::string& name) const {
  const auto* g = get<std::shared_ptr<Graph>>(name);
  return g ? g->get() : nullptr;
}

Error NodeContext::fail(const std::string& message) const {
  return invalid_model("node " + node_.label() + ": " + message);
}
Error NodeContext::fail_unsupported(const std::string& message) const {
  return unsupported("node " + node_.label() + ": " + message);
}

InferContext::InferContext(const Node& node, int64_t opset,
                           std::vector<const TensorType*> input_types,
                           std::vector<const Tensor*> input_values, size_t num_outputs)
    : NodeContext(node, opset),
      input_types_(std::move(input_types)),
      input_values_(std::move(input_values)),
      outputs_(num_outputs) {
  input_values_.resize(input_types_.size(), nullptr);
}

const TensorType& InferContext::input_type(size_t i) const {
  static const TensorType kAbsent;
  return has_input(i) ? *input_types_[i] : kAbsent;
}

const Tensor* InferContext::input_value(size_t i) const {
  return has_input(i) ? input_values_[i] : nullptr;
}

int64_t InferContext::input_rank(size_t i) const {
  const TensorType& t = input_type(i);
  return t.shape ? static_cast<int64_t>(t.shape->size()) : -1;
}

Status InferContext::set_output(size_t i, TensorType type) {
  if (i >= outputs_.size()) return Status();  // optional output the model does not use
  outputs_[i] = std::move(type);
  return Status();
}

Status InferContext::set_output(size_t i, DType dtype, std::vector<int64_t> shape) {
  return set_output(i, TensorType{dtype, std::move(shape)});
}

Status InferContext::set_output_unknown(size_t i, DType dtype, int64_t rank) {
  // A rank taken from a declared dimension (Reshape's target shape of length n) can be any
  // number a file states; no tensor has that many dimensions.
  if (rank > kMaxRank)
    return fail("output " + std::to_string(i) + " would have rank " + std::to_string(rank) +
                ", more than the " + std::to_string(kMaxRank) + " supported");
  TensorType t{dtype, std::nullopt};
  if (rank >= 0) t.shape = std::vector<int64_t>(static_cast<size_t>(rank), -1);
  return set_output(i, std::move(t));
}

KernelContext::KernelContext(const Node& node, int64_t opset, std::vector<const Tensor*> inputs,
                             std::vector<Tensor>* outputs, const SubgraphRunner* runner)
    : NodeContext(node, opset), inputs_(std::move(inputs)), outputs_(outputs), runner_(runner) {}

Expected<Tensor*> KernelContext::allocate_output(size_t i, DType dtype,
                                                 std::vector<int64_t> shape) {
  if (i >= outputs_->size()) return internal_error("output index out of range");
  auto t = Tensor::make(dtype, std::move(shape));
  if (!t) return std::move(t).error().with_context("node " + node_.label());
  (*outputs_)[i] = std::move(t).value();
  return &(*outputs_)[i];
}

Expected<std::vector<Tensor>> KernelContext::run_subgraph(const Graph& g,
                                                          const std::vector<Tensor>& inputs) const {
  if (!runner_) return internal_error("no subgraph runner for node " + node_.label());
  return (*runner_)(g, inputs);
}

}  // namespace ledge
