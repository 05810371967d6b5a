#include "runtime/plan.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "ir/verifier.h"
#include "kernels/fast_kernel.h"
#include "runtime/memory_plan.h"

namespace ledge {

struct ExecutionPlan::Step {
  const Node* node = nullptr;
  const OpKernel* op = nullptr;
  std::unique_ptr<PreparedKernel> fast;
  bool view = false;         // output 0 is input 0's memory under another shape: nothing to run
  std::vector<int> inputs;   // value ids, -1 for absent
  std::vector<int> outputs;  // value ids, -1 for unnamed outputs
  std::vector<const Tensor*> in_ptrs;
  std::vector<Tensor*> out_ptrs;
  // The reference path: outputs as the kernel context expects them.
  std::vector<Tensor> ref_outputs;
  std::vector<Tensor> ref_scratch;  // outputs the graph does not name, which kernels still write
  std::unique_ptr<KernelContext> ref_context;
};

ExecutionPlan::~ExecutionPlan() = default;

struct ExecutionPlan::ConcatSlices {
  std::vector<int> concat_of;       // per value: the Concat output it is a slice of, or -1
  std::vector<bool> whole;          // per value: a Concat output made of slices
  std::vector<size_t> byte_offset;  // per value: where its slice starts in the whole
  std::vector<size_t> row_stride;   // per value: elements between its rows (0: packed)
};

namespace {

bool is_view_op(const Node& n) {
  if (!n.domain.empty()) return false;
  return n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" ||
         n.op_type == "Unsqueeze" || n.op_type == "Identity" ||
         (n.op_type == "Dropout" && (n.outputs.size() < 2 || n.outputs[1].empty()));
}

// The Concat's axis as an index into a shape of `rank` dimensions, or -1 when invalid.
int64_t concat_axis(const Node& n, size_t rank) {
  int64_t axis = 0;
  if (auto it = n.attributes.find("axis"); it != n.attributes.end())
    if (const auto* v = std::get_if<int64_t>(&it->second)) axis = *v;
  if (axis < 0) axis += static_cast<int64_t>(rank);
  return axis >= 0 && axis < static_cast<int64_t>(rank) ? axis : -1;
}

// A packed copy of a slice whose rows lie `stride` elements apart.
Tensor packed_copy(const Tensor& slice, size_t stride) {
  auto packed = Tensor::make(slice.dtype(), slice.shape());
  if (!packed || slice.numel() == 0) return packed ? std::move(*packed) : Tensor();
  const size_t elem = dtype_size(slice.dtype());
  const auto width = static_cast<size_t>(slice.shape().back());
  const size_t rows = width ? static_cast<size_t>(slice.numel()) / width : 0;
  const auto* src = static_cast<const uint8_t*>(slice.raw());
  auto* dst = static_cast<uint8_t*>(packed->raw());
  for (size_t r = 0; r < rows; ++r)
    std::memcpy(dst + r * width * elem, src + r * stride * elem, width * elem);
  return std::move(*packed);
}

}  // namespace

// A Concat along the last axis (NHWC channels: SqueezeNet's fire modules, Inception's
// branches) whose every input is produced by a fast kernel that can write strided rows, is
// read by nothing else and does not leave the graph: each producer writes its rows into its
// slice of the Concat's output, and the Concat runs nothing.
ExecutionPlan::ConcatSlices ExecutionPlan::place_concat_slices(const std::vector<TensorType>& types,
                                                               size_t num_fixed) {
  const size_t n = types.size();
  ConcatSlices c{std::vector<int>(n, -1), std::vector<bool>(n, false), std::vector<size_t>(n, 0),
                 std::vector<size_t>(n, 0)};
  std::vector<int> reads(n, 0);
  std::vector<Step*> producer(n, nullptr);
  for (auto& step : steps_) {
    for (int v : step->inputs)
      if (v >= 0) ++reads[v];
    for (int v : step->outputs)
      if (v >= 0) producer[v] = step.get();
  }
  std::vector<bool> leaves(n, false);
  for (int v : output_values_) leaves[v] = true;
  for (auto& step : steps_) {
    const Node& node = *step->node;
    if (!step->fast || !node.domain.empty() || node.op_type != "Concat" ||
        step->outputs.size() != 1 || step->outputs[0] < 0 || step->inputs.empty())
      continue;
    const int out = step->outputs[0];
    const Shape& y = *types[out].shape;
    if (y.empty() || concat_axis(node, y.size()) != static_cast<int64_t>(y.size()) - 1) continue;
    bool ok = true;
    for (size_t i = 0; i < step->inputs.size() && ok; ++i) {
      const int v = step->inputs[i];
      const Step* p = v >= 0 ? producer[v] : nullptr;
      ok = v >= 0 && static_cast<size_t>(v) >= num_fixed && reads[v] == 1 && !leaves[v] &&
           c.concat_of[v] < 0 && types[v].dtype == types[out].dtype && p && p->fast &&
           p->outputs[0] == v && p->fast->accepts_output_row_stride();
    }
    if (!ok) continue;
    const auto width = static_cast<size_t>(y.back());
    const size_t elem = dtype_size(types[out].dtype);
    size_t offset = 0;
    for (int v : step->inputs) {
      c.concat_of[v] = out;
      c.byte_offset[v] = offset * elem;
      c.row_stride[v] = width;
      producer[v]->fast->set_output_row_stride(width);
      offset += static_cast<size_t>(types[v].shape->back());
    }
    c.whole[out] = true;
  }
  return c;
}

Status check_value_sizes(const Graph& graph) {
  // Inference accepts any static shape; memory is where sizes must be real.
  for (const Node& n : graph.nodes)
    for (const auto& o : n.outputs) {
      if (o.empty()) continue;
      const TensorType& t = graph.value_types.at(o);
      auto count = checked_numel(*t.shape);
      if (!count) return std::move(count).error().with_context("value '" + o + "'");
      if (static_cast<uint64_t>(*count) > tensor_byte_limit() / dtype_size(t.dtype))
        return resource_limit("value '" + o + "' of shape " + shape_to_string(*t.shape) +
                              " exceeds the limit of " + std::to_string(tensor_byte_limit() >> 20) +
                              " MiB");
    }
  return Status();
}

std::string why_not_plannable(const Graph& graph) {
  for (const auto& in : graph.inputs)
    if (!graph.initializers.count(in.name) && !in.type.is_static())
      return "input '" + in.name + "' has shape " + in.type.to_string();
  for (const Node& n : graph.nodes) {
    if (n.has_subgraph()) return "node " + n.label() + " has a subgraph";
    for (const auto& o : n.outputs) {
      if (o.empty()) continue;
      auto it = graph.value_types.find(o);
      if (it == graph.value_types.end() || !it->second.is_static() ||
          it->second.dtype == DType::kUndefined)
        return "the shape of '" + o + "' (node " + n.label() + ") is not known before running";
    }
  }
  return "";
}

Expected<std::unique_ptr<ExecutionPlan>> ExecutionPlan::build(
    Graph graph, int64_t opset, std::shared_ptr<const ThreadPool> pool,
    std::shared_ptr<Arena> arena) {
  if (std::string why = why_not_plannable(graph); !why.empty())
    return internal_error("cannot plan: " + why);
  std::unique_ptr<ExecutionPlan> p(new ExecutionPlan());
  p->graph_ = std::move(graph);
  p->opset_ = opset;
  p->pool_ = std::move(pool);
  p->arena_ = arena ? std::move(arena) : std::make_shared<Arena>();
  const Graph& g = p->graph_;

  // Values: initializers, inputs, then node outputs in order.
  std::unordered_map<std::string, int> ids;
  std::vector<TensorType> types;
  auto add_value = [&](const std::string& name, TensorType t) {
    ids[name] = static_cast<int>(types.size());
    types.push_back(std::move(t));
    return ids[name];
  };
  for (const auto& [name, t] : g.initializers) add_value(name, TensorType{t.dtype(), t.shape()});
  for (const auto& in : g.inputs)
    if (!ids.count(in.name)) {
      p->input_values_.push_back(add_value(in.name, in.type));
      p->input_names_.push_back(in.name);
    }
  const size_t num_fixed = types.size();
  for (const Node& n : g.nodes)
    for (const auto& o : n.outputs)
      if (!o.empty()) add_value(o, g.value_types.at(o));
  LEDGE_TRY(check_value_sizes(g));
  p->values_.resize(types.size());
  p->value_offset_.assign(types.size(), -1);
  for (const auto& [name, t] : g.initializers) p->values_[ids[name]] = t;

  // Last step that reads each value; graph outputs live to the end.
  const size_t end_step = g.nodes.size();
  std::vector<size_t> last_read(types.size(), 0);
  for (size_t s = 0; s < g.nodes.size(); ++s)
    for (const auto& r : g.nodes[s].inputs)
      if (!r.empty()) last_read[ids.at(r)] = s;
  for (const auto& o : g.outputs) {
    if (!ids.count(o.name)) return invalid_model("graph output '" + o.name + "' is never computed");
    last_read[ids[o.name]] = end_step;
    p->output_values_.push_back(ids[o.name]);
  }

  // Steps and buffers. A buffer holds one or more values (views and in-place outputs
  // share their input's buffer).
  std::vector<BufferLifetime> buffers;
  std::vector<int> buffer_of(types.size(), -1);
  std::vector<std::vector<int>> buffer_values;
  auto new_buffer = [&](int v, size_t step) {
    const size_t bytes = static_cast<size_t>(numel(*types[v].shape)) * dtype_size(types[v].dtype);
    buffer_of[v] = static_cast<int>(buffers.size());
    buffers.push_back({bytes, step, std::max(step, last_read[v])});
    buffer_values.push_back({v});
  };
  auto join_buffer = [&](int v, int b) {
    buffer_of[v] = b;
    buffers[b].last_step = std::max(buffers[b].last_step, last_read[v]);
    buffer_values[b].push_back(v);
  };
  // Weights that only packing kernels read live on in those kernels alone: each is released
  // as soon as its last reader has packed it, so the model never holds two copies of
  // every weight at once.
  std::vector<int> reads_left(types.size(), 0);
  std::vector<bool> pinned(types.size(), false);
  for (const Node& n : g.nodes)
    for (const auto& r : n.inputs)
      if (!r.empty()) ++reads_left[ids.at(r)];
  for (int v : p->output_values_) pinned[v] = true;
  // A weight that is also an input may be fed: the session must still know it has a value.
  for (const auto& in : g.inputs)
    if (ids.count(in.name)) pinned[ids.at(in.name)] = true;
  auto release_packed = [&](const Step& step) {
    for (size_t i = 0; i < step.inputs.size(); ++i) {
      const int v = step.inputs[i];
      if (v < 0 || static_cast<size_t>(v) >= num_fixed) continue;
      const std::string& name = step.node->inputs[i];
      auto it = p->graph_.initializers.find(name);
      if (it == p->graph_.initializers.end()) continue;
      if (!(step.fast && step.fast->packed_constants() && i > 0)) pinned[v] = true;
      if (--reads_left[v] > 0 || pinned[v]) continue;
      p->released_bytes_ += it->second.nbytes();
      p->released_.push_back(name);
      p->values_[v] = Tensor();
      p->graph_.initializers.erase(it);
    }
  };
  for (size_t s = 0; s < g.nodes.size(); ++s) {
    const Node& n = g.nodes[s];
    auto step = std::make_unique<Step>();
    step->node = &n;
    step->op = find_op(n.domain, n.op_type);
    if (!step->op) return unsupported("node " + n.label() + ": operator is not implemented");
    std::vector<TensorType> in_types, out_types;
    std::vector<const Tensor*> constants;
    for (const auto& r : n.inputs) {
      const int v = r.empty() ? -1 : ids.at(r);
      step->inputs.push_back(v);
      in_types.push_back(v < 0 ? TensorType{} : types[v]);
      constants.push_back(v >= 0 && static_cast<size_t>(v) < num_fixed && g.initializers.count(r)
                              ? &g.initializers.at(r)
                              : nullptr);
    }
    for (const auto& o : n.outputs) {
      step->outputs.push_back(o.empty() ? -1 : ids.at(o));
      out_types.push_back(o.empty() ? TensorType{} : types[ids.at(o)]);
    }
    if (const FastKernel* fk = find_fast_kernel(n.domain, n.op_type)) {
      PrepareContext pc(n, opset, in_types, constants, out_types, *p->pool_);
      auto prepared = fk->prepare(pc);
      if (!prepared) return std::move(prepared).error().with_context("node " + n.label());
      step->fast = std::move(prepared).value();
    }
    release_packed(*step);
    p->steps_.push_back(std::move(step));
  }

  // Concats whose producers write their slices of the output themselves (no copy).
  const ConcatSlices slices = p->place_concat_slices(types, num_fixed);

  for (size_t s = 0; s < p->steps_.size(); ++s) {
    Step& step = *p->steps_[s];
    const Node& n = *step.node;
    const int in0 = step.inputs.empty() ? -1 : step.inputs[0];
    const int out0 = step.outputs.empty() ? -1 : step.outputs[0];
    const bool in0_in_arena = in0 >= 0 && buffer_of[in0] >= 0;
    if (out0 >= 0 && slices.concat_of[out0] >= 0) {
      // A slice: the Concat's buffer, live from its first slice's producer on.
      const int whole = slices.concat_of[out0];
      if (buffer_of[whole] < 0) new_buffer(whole, s);
      join_buffer(out0, buffer_of[whole]);
    } else if (out0 >= 0 && slices.whole[out0]) {
      step.view = true;  // its inputs are already in place
      buffers[buffer_of[out0]].last_step =
          std::max(buffers[buffer_of[out0]].last_step, std::max(s, last_read[out0]));
    } else if (!step.fast && is_view_op(n) && in0_in_arena && out0 >= 0 &&
               types[in0].dtype == types[out0].dtype) {
      step.view = true;
      join_buffer(out0, buffer_of[in0]);
    } else if (step.fast && step.fast->may_run_in_place() && in0_in_arena && out0 >= 0 &&
               buffers[buffer_of[in0]].last_step == s &&
               buffers[buffer_of[in0]].bytes ==
                   static_cast<size_t>(numel(*types[out0].shape)) * dtype_size(types[out0].dtype)) {
      join_buffer(out0, buffer_of[in0]);
    } else if (out0 >= 0) {
      new_buffer(out0, s);
    }
    for (size_t k = 1; k < step.outputs.size(); ++k)
      if (step.outputs[k] >= 0) new_buffer(step.outputs[k], s);
  }

  const MemoryPlan mp = plan_memory(buffers);
  for (size_t b = 0; b < buffers.size(); ++b)
    for (int v : buffer_values[b])
      p->value_offset_[v] = static_cast<int64_t>(mp.offsets[b] + slices.byte_offset[v]);
  p->row_stride_ = slices.row_stride;
  // Fast kernels' scratch goes after the activations, shared by all (see workspace_bytes).
  size_t workspace = 0;
  for (const auto& step : p->steps_)
    if (step->fast) workspace = std::max(workspace, step->fast->workspace_bytes());
  p->workspace_offset_ = (mp.arena_bytes + 63) / 64 * 64;
  p->arena_bytes_ = workspace ? p->workspace_offset_ + workspace : mp.arena_bytes;
  for (size_t v = 0; v < types.size(); ++v)
    if (p->value_offset_[v] >= 0) p->values_[v] = Tensor();  // bound below
  // Types of arena values; bind() points them into the arena.
  p->types_for_bind_ = std::move(types);
  // values_ is not resized from here on: steps keep pointers into it.
  for (auto& step : p->steps_) {
    for (int v : step->inputs) step->in_ptrs.push_back(v >= 0 ? &p->values_[v] : nullptr);
    for (int v : step->outputs) step->out_ptrs.push_back(v >= 0 ? &p->values_[v] : nullptr);
    if (!step->fast && !step->view) {
      step->ref_outputs.resize(step->outputs.size());
      step->ref_scratch.resize(step->outputs.size());
      LEDGE_TRY(p->allocate_scratch(*step));
      step->ref_context = std::make_unique<KernelContext>(*step->node, opset, step->in_ptrs,
                                                          &step->ref_outputs, nullptr);
    }
  }
  return p;
}

}  // namespace ledge

namespace ledge {

Status ExecutionPlan::allocate_scratch(Step& step) {
  bool unnamed = false;
  for (int v : step.outputs) unnamed |= v < 0;
  if (!unnamed) return Status();
  std::vector<TensorType> types(step.inputs.size());
  std::vector<const TensorType*> type_ptrs(step.inputs.size(), nullptr);
  std::vector<const Tensor*> values(step.inputs.size(), nullptr);
  for (size_t i = 0; i < step.inputs.size(); ++i) {
    if (step.inputs[i] < 0) continue;
    types[i] = types_for_bind_.empty() ? TensorType{} : types_for_bind_[step.inputs[i]];
    type_ptrs[i] = &types[i];
    if (value_offset_[step.inputs[i]] < 0 && values_[step.inputs[i]].defined())
      values[i] = &values_[step.inputs[i]];
  }
  InferContext ic(*step.node, opset_, type_ptrs, values, step.outputs.size());
  LEDGE_TRY(step.op->infer(ic));
  for (size_t o = 0; o < step.outputs.size(); ++o) {
    const TensorType& t = ic.outputs()[o];
    if (step.outputs[o] >= 0 || t.dtype == DType::kUndefined || !t.is_static()) continue;
    LEDGE_ASSIGN(step.ref_scratch[o], Tensor::make(t.dtype, *t.shape));
  }
  return Status();
}

Status ExecutionPlan::bind(uint8_t* base) {
  // The arena owns the memory; tensors keep it alive through the plan's shared_ptr.
  std::shared_ptr<const void> owner(arena_, arena_.get());
  for (size_t v = 0; v < values_.size(); ++v) {
    if (value_offset_[v] < 0) continue;
    const TensorType& t = types_for_bind_[v];
    values_[v] = Tensor::borrow(t.dtype, *t.shape, base + value_offset_[v], owner);
  }
  for (auto& step : steps_)
    if (step->fast && step->fast->workspace_bytes())
      step->fast->set_workspace(base + workspace_offset_);
  bound_base_ = base;
  return Status();
}

size_t ExecutionPlan::steps() const { return steps_.size(); }

size_t ExecutionPlan::concats_in_place() const {
  size_t n = 0;
  for (const auto& s : steps_) n += s->view && s->fast;
  return n;
}

size_t ExecutionPlan::fast_steps() const {
  size_t n = 0;
  for (const auto& s : steps_) n += s->fast || s->view;
  return n;
}

std::map<std::string, int> ExecutionPlan::reference_ops() const {
  std::map<std::string, int> ops;
  for (const auto& s : steps_)
    if (!s->fast && !s->view)
      ++ops[(s->node->domain.empty() ? "" : s->node->domain + ".") + s->node->op_type];
  return ops;
}

Expected<std::vector<Tensor>> ExecutionPlan::run(const std::map<std::string, Tensor>& feeds,
                                                 const RunOptions& options) {
  std::lock_guard<std::mutex> lock(arena_->mutex());
  LEDGE_TRY(arena_->reserve(arena_bytes_));
  if (arena_->data() != bound_base_) LEDGE_TRY(bind(arena_->data()));
  for (size_t k = 0; k < input_values_.size(); ++k) {
    auto it = feeds.find(input_names_[k]);
    if (it == feeds.end()) return invalid_argument("input '" + input_names_[k] + "' was not given");
    values_[input_values_[k]] = it->second;
  }
  for (auto& step : steps_) {
    if (step->view) {
      // Nothing to run: a view of its input, or a Concat whose inputs were written in place.
    } else if (step->fast) {
      Status st = step->fast->run(step->in_ptrs.data(), step->out_ptrs.data());
      if (!st.ok()) return std::move(st).error().with_context("node " + step->node->label());
    } else {
      // Reference kernels expect zeroed outputs of the inferred shape.
      for (size_t o = 0; o < step->outputs.size(); ++o) {
        Tensor& bound = step->out_ptrs[o] ? *step->out_ptrs[o] : step->ref_scratch[o];
        if (bound.defined()) std::memset(bound.raw(), 0, bound.nbytes());
        step->ref_outputs[o] = bound;
      }
      LEDGE_TRY(step->op->run(*step->ref_context));
      for (size_t o = 0; o < step->outputs.size(); ++o) {
        if (!step->out_ptrs[o]) continue;
        Tensor& bound = *step->out_ptrs[o];
        const Tensor& got = step->ref_outputs[o];
        if (got.raw() == bound.raw()) continue;
        // The kernel replaced its output (a view of its input, a fresh allocation): copy it
        // into the planned memory so lifetimes stay as planned.
        if (got.dtype() != bound.dtype() || got.shape() != bound.shape())
          return internal_error("node " + step->node->label() + " produced " +
                                shape_to_string(got.shape()) + ", planned " +
                                shape_to_string(bound.shape()));
        std::memcpy(bound.raw(), got.raw(), bound.nbytes());
        step->ref_outputs[o] = Tensor();
      }
    }
    if (options.observer)
      for (size_t o = 0; o < step->outputs.size(); ++o) {
        if (!step->out_ptrs[o]) continue;
        const size_t stride = row_stride_[static_cast<size_t>(step->outputs[o])];
        if (stride && options.observe_values)
          options.observer(*step->node, step->node->outputs[o],
                           packed_copy(*step->out_ptrs[o], stride));
        else
          options.observer(*step->node, step->node->outputs[o], *step->out_ptrs[o]);
      }
  }
  std::vector<Tensor> results;
  results.reserve(output_values_.size());
  for (int v : output_values_) {
    if (value_offset_[v] < 0) {
      results.push_back(values_[v]);  // an input or a constant, shared
      continue;
    }
    LEDGE_ASSIGN(Tensor copy, values_[v].clone());
    results.push_back(std::move(copy));
  }
  // Drop references to the caller's feeds.
  for (int v : input_values_) values_[v] = Tensor();
  return results;
}

}  // namespace ledge
