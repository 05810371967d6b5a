// The intermediate representation: plain data.
//
// A Model owns a Graph; a Graph owns its Nodes, initializers and the types of its values.
// Values are named by strings (as in ONNX): a node input names the value it reads, "" marks
// an absent optional input. Subgraphs (If/Loop/Scan bodies) live in node attributes and
// may read values of enclosing graphs by name.
//
//   Graph
//   ├── inputs   [ValueInfo]    values fed by the caller
//   ├── initializers {name → Tensor}   constant weights (may also be listed as inputs)
//   ├── nodes    [Node]         in topological order (the importer sorts them)
//   └── outputs  [ValueInfo]
//
// Passes are free functions over these structs; the verifier (verifier.h) checks the
// invariants after each of them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/tensor.h"

namespace ledge {

struct Graph;

// Static type of a value: element type plus a shape that may be partly unknown.
// dims[i] == -1 is an unknown dimension; a missing shape is an unknown rank.
struct TensorType {
  DType dtype = DType::kUndefined;
  std::optional<std::vector<int64_t>> shape;

  bool has_rank() const { return shape.has_value(); }
  bool is_static() const;         // rank and every dimension known
  std::string to_string() const;  // "float32[1x3x?x?]"
};

struct ValueInfo {
  std::string name;
  TensorType type;
  // Symbolic names of dimensions as declared by the model ("batch", "N"); "" where none.
  std::vector<std::string> dim_names;
};

// A typed attribute. The variant's alternatives mirror ONNX's attribute types.
using AttributeValue =
    std::variant<int64_t, float, std::string, Tensor, std::shared_ptr<Graph>, std::vector<int64_t>,
                 std::vector<float>, std::vector<std::string>, std::vector<Tensor>,
                 std::vector<std::shared_ptr<Graph>>>;

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" is the default ONNX domain
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, AttributeValue> attributes;

  bool has_attr(const std::string& n) const { return attributes.count(n) != 0; }
  // True when an attribute holds a graph (If, Loop, Scan): its nodes may read outer values.
  bool has_subgraph() const;
  // A printable label: "'conv1' (Conv)", or "#12 (Conv)" for unnamed nodes.
  std::string label() const;
};

struct Graph {
  std::string name;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::map<std::string, Tensor> initializers;
  std::vector<Node> nodes;
  // Types of intermediate values, from the model file or from shape inference.
  std::map<std::string, TensorType> value_types;

  const ValueInfo* find_input(const std::string& n) const;
};

struct Model {
  Graph graph;
  int64_t ir_version = 0;
  std::map<std::string, int64_t> opsets;  // domain → version; "" is ai.onnx
  std::string producer;
  std::string source_path;  // file the model came from, for messages
  // The graph already went through the CPU preparation (portable passes and lowering:
  // lower/lower.h), as in an artifact from `ledge compile`: a session does not repeat them.
  // Artifacts record it (metadata "ledge.prepared" = "cpu").
  bool prepared_for_cpu = false;

  // Opset version of a domain ("" and "ai.onnx" are the same); 0 when not imported.
  int64_t opset(const std::string& domain) const;
};

}  // namespace ledge
