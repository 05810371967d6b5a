#include "runtime/session.h"

#include <algorithm>
#include <unordered_map>

#include "ir/verifier.h"
#include "lower/lower.h"
#include "runtime/arena.h"
#include "runtime/infer_types.h"
#include "runtime/plan.h"
#include "runtime/run_node.h"
#include "runtime/thread_pool.h"

namespace ledge {

namespace {

// Values visible while running a graph: its own, then those of enclosing graphs.
struct Scope {
  std::unordered_map<std::string, Tensor> values;
  const Scope* parent = nullptr;

  const Tensor* find(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto it = s->values.find(name);
      if (it != s->values.end()) return &it->second;
    }
    return nullptr;
  }
};

Status resolve_ops(const Graph& graph) {
  for (const Node& node : graph.nodes) {
    if (!find_op(node.domain, node.op_type))
      return unsupported("node " + node.label() + ": operator " +
                         (node.domain.empty() ? "" : node.domain + ".") + node.op_type +
                         " is not implemented");
    for (const auto& [k, v] : node.attributes) {
      if (auto g = std::get_if<std::shared_ptr<Graph>>(&v)) {
        if (*g) LEDGE_TRY(resolve_ops(**g));
      } else if (auto gs = std::get_if<std::vector<std::shared_ptr<Graph>>>(&v)) {
        for (const auto& sg : *gs)
          if (sg) LEDGE_TRY(resolve_ops(*sg));
      }
    }
  }
  return Status();
}

// Index of the last node that reads each value, so it can be released right after.
std::unordered_map<std::string, size_t> last_uses(const Graph& graph) {
  std::unordered_map<std::string, size_t> last;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    for (const auto& r : node_reads(graph.nodes[i])) last[r] = i;
  for (const auto& o : graph.outputs) last[o.name] = graph.nodes.size();
  return last;
}

struct Executor {
  int64_t opset;
  const RunOptions* options;
  // Last uses per graph, computed once per run: a Loop body runs many times.
  mutable std::unordered_map<const Graph*, std::unordered_map<std::string, size_t>> last_cache;

  // Runs `graph` with `inputs` bound to its declared inputs in order (subgraphs) or by
  // name (main graph, via scope.values prefilled by the caller).
  Expected<std::vector<Tensor>> run_graph(const Graph& graph, Scope& scope, bool observe) const {
    for (const auto& [name, t] : graph.initializers)
      if (!scope.values.count(name)) scope.values.emplace(name, t);
    auto cached = last_cache.find(&graph);
    if (cached == last_cache.end()) cached = last_cache.emplace(&graph, last_uses(graph)).first;
    const auto& last = cached->second;
    SubgraphRunner runner =
        [this, &scope](const Graph& g,
                       const std::vector<Tensor>& inputs) -> Expected<std::vector<Tensor>> {
      Scope inner;
      inner.parent = &scope;
      for (size_t i = 0; i < g.inputs.size() && i < inputs.size(); ++i)
        inner.values[g.inputs[i].name] = inputs[i];
      return run_graph(g, inner, false);
    };
    std::vector<const Tensor*> in_ptrs;
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      const Node& node = graph.nodes[i];
      const OpKernel* op = find_op(node.domain, node.op_type);
      if (!op) return unsupported("node " + node.label() + ": operator is not implemented");
      in_ptrs.clear();
      for (const auto& name : node.inputs) {
        if (name.empty()) {
          in_ptrs.push_back(nullptr);
          continue;
        }
        const Tensor* t = scope.find(name);
        if (!t)
          return invalid_model("node " + node.label() + ": input '" + name + "' has no value");
        in_ptrs.push_back(t);
      }
      auto outs = run_node(*op, node, opset, in_ptrs, &runner);
      if (!outs) return std::move(outs).error();
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        if (node.outputs[k].empty()) continue;
        if (observe && options->observer) options->observer(node, node.outputs[k], (*outs)[k]);
        scope.values[node.outputs[k]] = std::move((*outs)[k]);
      }
      // Release values whose last reader was this node (only this graph's own values).
      for (const auto& r : node_reads(node)) {
        auto it = last.find(r);
        if (it != last.end() && it->second == i) scope.values.erase(r);
      }
    }
    std::vector<Tensor> results;
    for (const auto& o : graph.outputs) {
      const Tensor* t = scope.find(o.name);
      if (!t) return invalid_model("graph output '" + o.name + "' was not computed");
      results.push_back(*t);
    }
    return results;
  }
};

}  // namespace

Status check_feed(const ValueInfo& info, const Tensor& t) {
  if (info.type.dtype != DType::kUndefined && t.dtype() != info.type.dtype)
    return invalid_argument("input '" + info.name + "' must be " +
                            std::string(dtype_name(info.type.dtype)) + ", got " +
                            std::string(dtype_name(t.dtype())));
  if (info.type.shape) {
    const auto& s = *info.type.shape;
    bool ok = s.size() == t.shape().size();
    for (size_t i = 0; ok && i < s.size(); ++i) ok = s[i] < 0 || s[i] == t.shape()[i];
    if (!ok)
      return invalid_argument("input '" + info.name + "' must have shape " + info.type.to_string() +
                              ", got " + shape_to_string(t.shape()));
  }
  return Status();
}

Expected<std::unique_ptr<Session>> Session::create(std::shared_ptr<Model> model,
                                                   SessionOptions options) {
  if (!model) return invalid_argument("no model");
  Graph& graph = model->graph;
  LEDGE_TRY(verify_graph(graph));
  LEDGE_TRY(resolve_ops(graph));
  LEDGE_TRY(apply_shape_overrides(graph, options.shape_overrides));
  const int64_t opset = model->opset("");
  LEDGE_TRY(infer_types(graph, opset));

  std::unique_ptr<Session> s(new Session());
  s->opset_ = opset;
  s->pool_ = std::make_shared<ThreadPool>(options.threads);
  if (options.optimize) {
    // Rewrite a copy (tensors are shared, not copied): the caller's model stays as written.
    // A model handed over outright (nobody else holds it) is rewritten in place, which lets
    // weights be freed as they are re-laid out and packed.
    auto lowered = model.use_count() == 1 ? model : std::make_shared<Model>(*model);
    model.reset();
    // A prepared artifact skips the passes and the lowering (a third of a small model's load),
    // unless shapes were overridden: fixed shapes may let them do more than at compile time.
#if defined(LEDGE_PREPARED_ONLY)
    // ledge-run-small leaves the passes and the lowering out (docs/artifact.md); with
    // overridden shapes a prepared graph still runs, only without what they might add.
    if (!lowered->prepared_for_cpu)
      return unsupported(
          "this runner runs only artifacts prepared by `ledge compile` (without the "
          "optimizer and the lowering, it cannot prepare a model itself)");
#else
    if (!lowered->prepared_for_cpu || !options.shape_overrides.empty())
      LEDGE_TRY(prepare_for_cpu(*lowered));
#endif
    model = std::move(lowered);
    s->planned_ = true;
    s->arena_ = options.arena ? options.arena : std::make_shared<Arena>();
  }
  s->model_ = std::move(model);
  const Graph& graph_run = s->model_->graph;
  if (s->planned_ && why_not_plannable(graph_run).empty()) {
    if (Status sizes = check_value_sizes(graph_run); !sizes.ok())
      s->plan_note_ = sizes.error().message();
  }
  if (s->planned_ && s->plan_note_.empty() && why_not_plannable(graph_run).empty()) {
    // Every shape is fixed, so this plan is final: it takes the graph, frees the weights its
    // kernels packed, and the session keeps what remains. (With dynamic shapes the session
    // keeps every weight for the plans of other shapes.)
    LEDGE_ASSIGN(s->plan_,
                 ExecutionPlan::build(std::move(s->model_->graph), opset, s->pool_, s->arena_));
    s->model_->graph = s->plan_->graph();
  }
  for (const auto& in : graph_run.inputs)
    if (!graph_run.initializers.count(in.name)) s->inputs_.push_back(in);
  for (const auto& out : graph_run.outputs) {
    ValueInfo info = out;
    auto it = graph_run.value_types.find(out.name);
    if (info.type.dtype == DType::kUndefined && it != graph_run.value_types.end())
      info.type = it->second;
    s->outputs_.push_back(std::move(info));
  }
  return s;
}

Session::~Session() = default;

SessionStats Session::stats() const {
  SessionStats st;
  for (const auto& [name, t] : model_->graph.initializers) st.weights_bytes += t.nbytes();
  st.nodes = model_->graph.nodes.size();
  st.threads = pool_ ? pool_->threads() : 1;
  std::lock_guard<std::mutex> lock(plan_mutex_);
  if (plan_) {
    st.arena_bytes = plan_->arena_bytes();
    st.fast_nodes = plan_->fast_steps();
    st.concats_in_place = plan_->concats_in_place();
    st.weights_bytes += plan_->released_bytes();  // now held, packed, by the kernels
    st.reference_ops = plan_->reference_ops();
  }
  st.plan_note = planned_ ? plan_note_ : "optimization off";
  return st;
}

Expected<ExecutionPlan*> Session::plan_for(const std::map<std::string, Tensor>& feeds) const {
  if (!planned_ || !plan_note_.empty()) return nullptr;
  const Graph& graph = model_->graph;
  if (plan_) {
    bool same = true;
    for (const auto& in : plan_->graph().inputs) {
      auto it = feeds.find(in.name);
      same = same && (it == feeds.end() || it->second.shape() == *in.type.shape);
    }
    if (same) return plan_.get();
  }
  // Dynamic dimensions: plan for the shapes fed this time (and keep that plan until the
  // shapes change).
  Graph fixed = graph;
  std::map<std::string, Shape> shapes;
  for (const auto& in : inputs_) shapes[in.name] = feeds.at(in.name).shape();
  LEDGE_TRY(apply_shape_overrides(fixed, shapes));
  fixed.value_types.clear();
  std::map<std::string, Tensor> known;
  LEDGE_TRY(infer_types(fixed, opset_, &known));
  fold_known_values(fixed, known);
  if (std::string why = why_not_plannable(fixed); !why.empty()) {
    plan_note_ = why;
    plan_.reset();
    return nullptr;
  }
  // Too large for these shapes: run node by node, so the node that needs the memory says so.
  if (!check_value_sizes(fixed).ok()) return nullptr;
  LEDGE_ASSIGN(plan_, ExecutionPlan::build(std::move(fixed), opset_, pool_, arena_));
  return plan_.get();
}

Expected<std::vector<Tensor>> Session::run(const std::map<std::string, Tensor>& feeds,
                                           const RunOptions& options) const {
  const Graph& graph = model_->graph;
  for (const auto& [name, t] : feeds) {
    const ValueInfo* info = graph.find_input(name);
    if (!info) return invalid_argument("the model has no input named '" + name + "'");
    LEDGE_TRY(check_feed(*info, t));
    // Optimization folded the weights into kernels; feeding one would silently not count.
    if (planned_ && std::none_of(inputs_.begin(), inputs_.end(),
                                 [&, fed = &name](const ValueInfo& v) { return v.name == *fed; }))
      return invalid_argument("input '" + name +
                              "' has a default value (an initializer) that the optimized session "
                              "compiled in; to feed it, create the session with optimize = false");
  }
  for (const auto& in : inputs_)
    if (!feeds.count(in.name)) return invalid_argument("input '" + in.name + "' was not given");
  if (planned_) {
    std::lock_guard<std::mutex> lock(plan_mutex_);
    LEDGE_ASSIGN(ExecutionPlan * plan, plan_for(feeds));
    if (plan) return plan->run(feeds, options);
  }
  return run_interpreted(feeds, options);
}

Expected<std::vector<Tensor>> Session::run_interpreted(const std::map<std::string, Tensor>& feeds,
                                                       const RunOptions& options) const {
  const Graph& graph = model_->graph;
  Scope scope;
  for (const auto& [name, t] : feeds) {
    const ValueInfo* info = graph.find_input(name);
    if (!info) return invalid_argument("the model has no input named '" + name + "'");
    LEDGE_TRY(check_feed(*info, t));
    scope.values[name] = t;
  }
  for (const auto& in : inputs_)
    if (!feeds.count(in.name)) return invalid_argument("input '" + in.name + "' was not given");
  Executor ex{opset_, &options, {}};
  return ex.run_graph(graph, scope, true);
}

int64_t fixed_batch_size(const Session& session, const std::string& name) {
  for (const auto& in : session.inputs())
    if (in.name == name && in.type.shape && !in.type.shape->empty() && (*in.type.shape)[0] > 0)
      return (*in.type.shape)[0];
  return 0;
}

}  // namespace ledge
