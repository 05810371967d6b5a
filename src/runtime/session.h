// A Session runs a Model with the reference kernels.
//
//   LEDGE_ASSIGN(auto session, Session::create(model));
//   LEDGE_ASSIGN(auto outputs, session->run({{"input", image}}));
//
// create() is the prepare phase: it verifies the graph, resolves every operator (an
// unknown one is an error naming the node), and infers static types with any dimension
// overrides applied. run() checks the feeds against the declared inputs, then executes the
// nodes in order, releasing each intermediate tensor after its last use.
//
// Ownership: the session shares the model (shared_ptr); returned tensors own their storage
// or share it with the model's initializers.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "ops/kernel.h"

namespace ledge {

struct SessionOptions {
  // Fixes dynamic dimensions of inputs: name → full shape.
  std::map<std::string, Shape> shape_overrides;
  // Worker threads for the fast kernels (1: the calling thread only).
  int threads = 1;
  // Rewrite the graph for speed (fold constants, fuse, choose the fast kernels' layout).
  // false runs every node as written with the reference kernels: per-node observers then
  // see every original value.
  bool optimize = true;
};

// What a session holds, for `ledge bench` and the memory report.
struct SessionStats {
  size_t weights_bytes = 0;  // initializers of the graph the session runs
  size_t arena_bytes = 0;    // the planned activation arena (0 when not planned)
  size_t nodes = 0;          // nodes of the graph the session runs (after optimization)
};

struct RunOptions {
  // Called with every value a node of the main graph produces, in execution order.
  std::function<void(const Node& node, const std::string& name, const Tensor& value)> observer;
};

class Session {
 public:
  static Expected<std::unique_ptr<Session>> create(std::shared_ptr<Model> model,
                                                   SessionOptions options = {});

  // Inputs the caller must feed (graph inputs that are not initializers), with overrides
  // applied to their shapes.
  const std::vector<ValueInfo>& inputs() const { return inputs_; }
  const std::vector<ValueInfo>& outputs() const { return outputs_; }
  const Model& model() const { return *model_; }
  SessionStats stats() const;

  // Runs the model; returns the outputs in the order of outputs().
  Expected<std::vector<Tensor>> run(const std::map<std::string, Tensor>& feeds,
                                    const RunOptions& options = {}) const;

 private:
  Session() = default;
  std::shared_ptr<Model> model_;
  std::vector<ValueInfo> inputs_;
  std::vector<ValueInfo> outputs_;
  int64_t opset_ = 0;
};

// Checks a tensor fed for `info`: element type, rank and every known dimension.
Status check_feed(const ValueInfo& info, const Tensor& t);

}  // namespace ledge
