// Stores the weights of the integer matrix products (ledge.NhwcQLinearConv that are not
// depthwise, ledge.QFullyConnected) in the packed layout their kernel reads
// (src/ops/qgemm_weight_layout.h), so that a session over an artifact uses them in place from
// the file mapping instead of packing every weight at load. Only where the kernel will take
// them: int8 weights with zero points all 0, uint8 activations, one group. The node keeps
// W's logical shape in packed_weight_shape; its reference kernel unpacks.
//
// Padding to whole panels of 32 columns can make a narrow weight several times larger (a
// 10-class classifier's 10 columns take 32); such weights, small by nature, stay unpacked in
// the file and are packed at load: only weights that grow by at most 1/8 are pre-packed.
#include <map>

#include "lower/lower.h"
#include "lower/lower_util.h"
#include "ops/lowered_common.h"
#include "ops/qgemm_weight_layout.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

bool is_integer_product(const Node& n) {
  return n.domain == kLoweredDomain &&
         (n.op_type == "NhwcQLinearConv" || n.op_type == "QFullyConnected");
}

// Input i of n when it is an initializer.
const Tensor* initializer(const Graph& g, const Node& n, size_t i) {
  return i < n.inputs.size() ? find_initializer(g, n.inputs[i]) : nullptr;
}

bool all_zero(const Tensor& t) {
  for (int64_t i = 0; i < t.numel(); ++i)
    if (t.as_int64(i) != 0) return false;
  return true;
}

// The conditions of the kernel's qgemm path (src/kernels/qconv.cpp) that the graph shows.
bool takes_packed_weights(const Graph& g, const Node& n) {
  if (!is_integer_product(n) || n.has_attr(kPackedWeightShapeAttr)) return false;
  const Tensor* w = initializer(g, n, quant::kQW);
  const Tensor* x_zero = initializer(g, n, quant::kQXZero);
  const Tensor* w_zero = initializer(g, n, quant::kQWZero);
  if (!w || !x_zero || !w_zero || w->dtype() != DType::kInt8 || x_zero->dtype() != DType::kUInt8 ||
      !all_zero(*w_zero) || w->numel() == 0)
    return false;
  if (n.op_type == "QFullyConnected") return w->rank() == 2;
  auto group = n.attributes.find("group");
  const bool one_group =
      group == n.attributes.end() ||
      (std::holds_alternative<int64_t>(group->second) && std::get<int64_t>(group->second) == 1);
  // A one-channel-to-one-channel convolution runs as depthwise.
  return w->rank() == 4 && one_group && !(w->dim(0) == 1 && w->dim(3) == 1);
}

bool padding_is_small(const Tensor& w) {
  const auto rows = static_cast<size_t>(w.dim(0));
  const size_t bytes = static_cast<size_t>(w.numel());
  return qgemm_prepacked_bytes(rows, bytes / rows) <= bytes + bytes / 8;
}

}  // namespace

void prepack_int8_weights(Graph& graph) {
  NameMaker names(graph);
  std::map<std::string, std::string> packed_name;  // weights read by several nodes: packed once
  for (Node& n : graph.nodes) {
    if (!takes_packed_weights(graph, n)) continue;
    const std::string& w_name = n.inputs[quant::kQW];
    const Tensor& w = graph.initializers.at(w_name);
    if (!padding_is_small(w)) continue;
    auto known = packed_name.find(w_name);
    if (known == packed_name.end()) {
      const auto rows = static_cast<size_t>(w.dim(0));
      const size_t depth = static_cast<size_t>(w.numel()) / rows;
      Expected<Tensor> block =
          Tensor::make(DType::kInt8, {static_cast<int64_t>(qgemm_prepacked_bytes(rows, depth))});
      if (!block) continue;  // out of memory: the kernel packs at load instead
      qgemm_pack_into(w.data<int8_t>(), rows, depth, block->data<int8_t>());
      const std::string name = names.make(w_name + "_packed");
      graph.initializers[name] = std::move(*block);
      known = packed_name.emplace(w_name, name).first;
    }
    n.attributes[kPackedWeightShapeAttr] = w.shape();
    n.inputs[quant::kQW] = known->second;
  }
}

}  // namespace ledge
