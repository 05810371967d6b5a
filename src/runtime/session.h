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
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "ops/kernel.h"

namespace ledge {

class Arena;
class ExecutionPlan;
class ThreadPool;

struct SessionOptions {
  // Fixes dynamic dimensions of inputs: name → full shape.
  std::map<std::string, Shape> shape_overrides;
  // Worker threads for the fast kernels (1: the calling thread only).
  int threads = 1;
  // Rewrite the graph for speed (fold constants, fuse, choose the fast kernels' layout).
  // false runs every node as written with the reference kernels: per-node observers then
  // see every original value.
  bool optimize = true;
  // Scratch memory for intermediate tensors; sessions given the same arena share it and
  // take turns running. Null: the session has its own.
  std::shared_ptr<Arena> arena;
};

// What a session holds, for `ledge bench` and the memory report.
struct SessionStats {
  size_t weights_bytes = 0;     // initializers of the graph the session runs
  size_t arena_bytes = 0;       // the planned activation arena (0 when not planned)
  size_t nodes = 0;             // nodes of the graph the session runs (after optimization)
  size_t fast_nodes = 0;        // of those, nodes run by fast kernels (or free views)
  size_t concats_in_place = 0;  // Concat nodes whose inputs were written into their output
  int threads = 1;
  // Operators (domain.op) of the nodes that run with reference kernels, with counts.
  std::map<std::string, int> reference_ops;
  std::string plan_note;  // why the session runs unplanned, when it does
};

struct RunOptions {
  // Called with every value a node of the main graph produces, in execution order.
  std::function<void(const Node& node, const std::string& name, const Tensor& value)> observer;
  // false: the observer reads no values (it times nodes), so values written in place into
  // a Concat's output are passed as they lie, strided, not as packed copies.
  bool observe_values = true;
};

class Session {
 public:
  ~Session();
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
  Expected<std::vector<Tensor>> run_interpreted(const std::map<std::string, Tensor>& feeds,
                                                const RunOptions& options) const;
  // The plan for these feeds' shapes, built on first use; null when the graph cannot be
  // planned (control flow, data-dependent shapes).
  Expected<ExecutionPlan*> plan_for(const std::map<std::string, Tensor>& feeds) const;

  std::shared_ptr<Model> model_;
  std::vector<ValueInfo> inputs_;
  std::vector<ValueInfo> outputs_;
  int64_t opset_ = 0;
  bool planned_ = false;  // optimize was asked for
  std::shared_ptr<ThreadPool> pool_;
  std::shared_ptr<Arena> arena_;
  mutable std::mutex plan_mutex_;
  mutable std::unique_ptr<ExecutionPlan> plan_;
  mutable std::string plan_note_;
};

// Checks a tensor fed for `info`: element type, rank and every known dimension.
Status check_feed(const ValueInfo& info, const Tensor& t);

// The batch size input `name` declares when it is fixed (its first dimension), else 0:
// tools that feed data in batches must then pad the last one.
int64_t fixed_batch_size(const Session& session, const std::string& name);

}  // namespace ledge
