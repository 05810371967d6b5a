// The execution plan: a graph whose every shape is known, turned into a fixed list of
// steps over tensors whose memory was planned ahead (runtime/memory_plan.h).
//
// Building the plan picks each node's kernel (the fast one when it handles the node,
// else the reference), decides which outputs can reuse an input's memory (element-wise
// kernels in place; Reshape-like views share their input; the inputs of a Concat along the
// last axis are written by their producers straight into their slices of its output, when
// those kernels can write strided rows, and the Concat copies nothing), places every intermediate
// tensor in one arena, and binds tensors to it. A run then only calls kernels: it
// allocates nothing except the tensors it returns (copies of the graph outputs, which
// the caller owns).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/arena.h"
#include "runtime/session.h"
#include "runtime/thread_pool.h"

namespace ledge {

class ExecutionPlan {
 public:
  // `graph` must be typed (infer_types) with static shapes everywhere; see plannable().
  static Expected<std::unique_ptr<ExecutionPlan>> build(Graph graph, int64_t opset,
                                                        std::shared_ptr<const ThreadPool> pool,
                                                        std::shared_ptr<Arena> arena);
  ~ExecutionPlan();

  // Feeds were checked by the session against the graph's inputs.
  Expected<std::vector<Tensor>> run(const std::map<std::string, Tensor>& feeds,
                                    const RunOptions& options);

  const Graph& graph() const { return graph_; }
  size_t arena_bytes() const { return arena_bytes_; }
  size_t steps() const;
  size_t fast_steps() const;
  std::map<std::string, int> reference_ops() const;
  // Initializers the plan released because fast kernels hold packed copies of them.
  const std::vector<std::string>& released_constants() const { return released_; }
  size_t released_bytes() const { return released_bytes_; }
  // Concat nodes whose inputs were written in place (they run no kernel).
  size_t concats_in_place() const;

 private:
  struct Step;
  struct ConcatSlices;
  ExecutionPlan() = default;
  ConcatSlices place_concat_slices(const std::vector<TensorType>& types, size_t num_fixed);
  Status bind(uint8_t* base);
  Status allocate_scratch(Step& step);

  Graph graph_;
  int64_t opset_ = 0;
  std::shared_ptr<const ThreadPool> pool_;
  std::shared_ptr<Arena> arena_;
  std::vector<Tensor> values_;
  std::vector<TensorType> types_for_bind_;
  std::vector<int64_t> value_offset_;  // arena offset of each value, -1 when not in the arena
  // Per value: elements from one row of its last dimension to the next when it is a slice of
  // a Concat's output (0: packed). Observers get packed copies of such values.
  std::vector<size_t> row_stride_;
  std::vector<int> input_values_;  // fed graph inputs, in graph.inputs order
  std::vector<std::string> input_names_;
  std::vector<int> output_values_;
  std::vector<std::unique_ptr<Step>> steps_;
  size_t arena_bytes_ = 0;
  size_t workspace_offset_ = 0;  // fast kernels' shared scratch, after the activations
  std::vector<std::string> released_;
  size_t released_bytes_ = 0;
  uint8_t* bound_base_ = nullptr;
};

// Why `graph` cannot be planned ("" when it can): a shape not known statically, a node
// with a subgraph (If, Loop, Scan), an output whose shape depends on data.
std::string why_not_plannable(const Graph& graph);
// Every value's size against the tensor limit; the plan would allocate them all up front.
// (A session then runs unplanned, so the error comes from the node that needs the memory.)
Status check_value_sizes(const Graph& graph);

}  // namespace ledge
