// Loop: runs `body` while the trip count M (optional) is not reached and the condition
// (optional) holds. Body inputs: (iteration_num, cond, v_1..v_N); body outputs: (cond,
// v_1..v_N, scan_1..scan_K). Node outputs: the final v_1..v_N, then each scan output of all
// iterations stacked along a new axis 0.
//
//   M absent, cond absent:  loop forever (the body's cond output is ignored)
//   M absent, cond given:   while (cond)
//   M given,  cond absent:  for (i = 0; i < M; ++i) (the body's cond output is ignored)
//   M given,  cond given:   for (i = 0; i < M && cond; ++i)
#include <limits>

#include "ops/control_flow_common.h"

namespace ledge {
namespace {

struct Sizes {
  size_t carried;  // N
  size_t scans;    // K
};

Expected<Sizes> check_body(const NodeContext& c, size_t num_inputs, const Graph** body) {
  *body = c.attr_graph("body");
  if (!*body) return c.fail("needs a body graph");
  if (num_inputs < 2) return c.fail("needs the inputs M and cond (either may be empty)");
  const size_t n = num_inputs - 2;
  const Graph& g = **body;
  if (g.inputs.size() != n + 2)
    return c.fail("body has " + std::to_string(g.inputs.size()) + " inputs, expected " +
                  std::to_string(n + 2) + " (iteration_num, cond and the loop-carried values)");
  if (g.outputs.size() < n + 1)
    return c.fail("body has " + std::to_string(g.outputs.size()) + " outputs, expected at least " +
                  std::to_string(n + 1) + " (cond and the loop-carried values)");
  const size_t k = g.outputs.size() - 1 - n;
  if (c.node().outputs.size() > n + k)
    return c.fail("has " + std::to_string(c.node().outputs.size()) + " outputs, expected " +
                  std::to_string(n + k));
  return Sizes{n, k};
}

// Types the body's formal inputs have for the given loop-carried types.
std::vector<TensorType> body_input_types(const std::vector<TensorType>& carried) {
  std::vector<TensorType> t{TensorType{DType::kInt64, std::vector<int64_t>{}},
                            TensorType{DType::kBool, std::vector<int64_t>{}}};
  for (const auto& v : carried) {
    // Carried values may change shape between iterations: keep only the element type.
    t.push_back(TensorType{v.dtype, std::nullopt});
  }
  return t;
}

// Static output types of the node for loop-carried inputs of `carried` types; `trips` is
// the exact iteration count when known, else -1.
std::vector<TensorType> output_types(const Graph& body, const Sizes& s,
                                     const std::vector<TensorType>& carried, int64_t trips,
                                     int64_t opset) {
  const auto body_t = cf::subgraph_output_types(body, body_input_types(carried), opset);
  std::vector<TensorType> out;
  for (size_t i = 0; i < s.carried; ++i) {
    // After zero iterations the input, after more the body's output.
    TensorType t = trips == 0 ? carried[i] : cf::merge_types(carried[i], body_t[1 + i]);
    t.dtype = carried[i].dtype;
    out.push_back(std::move(t));
  }
  for (size_t k = 0; k < s.scans; ++k) {
    TensorType t = body_t[1 + s.carried + k];
    if (t.shape) t.shape->insert(t.shape->begin(), trips);
    out.push_back(std::move(t));
  }
  return out;
}

Status infer_loop(InferContext& c) {
  const Graph* body = nullptr;
  LEDGE_ASSIGN(const Sizes s, check_body(c, c.num_inputs(), &body));
  int64_t trips = -1;
  if (c.has_input(0)) {
    const TensorType& m = c.input_type(0);
    if (m.dtype != DType::kInt64 && m.dtype != DType::kUndefined)
      return c.fail("M must be int64, got " + m.to_string());
    if (!cf::is_single_element(m)) return c.fail("M must have a single element");
    const Tensor* mv = c.input_value(0);
    if (mv && mv->numel() == 1 && !c.has_input(1)) trips = std::max<int64_t>(mv->as_int64(0), 0);
  }
  if (c.has_input(1)) {
    const TensorType& cond = c.input_type(1);
    if (cond.dtype != DType::kBool && cond.dtype != DType::kUndefined)
      return c.fail("cond must be bool, got " + cond.to_string());
    if (!cf::is_single_element(cond)) return c.fail("cond must have a single element");
    const Tensor* cv = c.input_value(1);
    if (cv && cv->numel() == 1 && cv->as_int64(0) == 0) trips = 0;
  }
  std::vector<TensorType> carried;
  for (size_t i = 0; i < s.carried; ++i) {
    if (!c.has_input(2 + i)) return c.fail("loop-carried input " + std::to_string(i) + " is empty");
    carried.push_back(c.input_type(2 + i));
  }
  const auto out = output_types(*body, s, carried, trips, c.opset());
  for (size_t i = 0; i < c.num_outputs(); ++i) LEDGE_TRY(c.set_output(i, out[i]));
  return Status();
}

Expected<Tensor> scalar_int64(int64_t v) {
  LEDGE_ASSIGN(Tensor t, Tensor::make(DType::kInt64, {}));
  t.data<int64_t>()[0] = v;
  return t;
}

Expected<Tensor> scalar_bool(bool v) {
  LEDGE_ASSIGN(Tensor t, Tensor::make(DType::kBool, {}));
  t.data<bool>()[0] = v;
  return t;
}

Status run_loop(KernelContext& c) {
  const Graph* body = nullptr;
  LEDGE_ASSIGN(const Sizes s, check_body(c, c.num_inputs(), &body));
  int64_t max_trips = std::numeric_limits<int64_t>::max();
  if (c.has_input(0)) {
    if (c.input(0).numel() != 1) return c.fail("M must have a single element");
    max_trips = c.input(0).as_int64(0);
  }
  const bool has_cond = c.has_input(1);
  bool cond = true;
  if (has_cond) {
    if (c.input(1).numel() != 1) return c.fail("cond must have a single element");
    cond = c.input(1).as_int64(0) != 0;
  }

  std::vector<Tensor> carried;
  std::vector<TensorType> carried_types;
  for (size_t i = 0; i < s.carried; ++i) {
    carried.push_back(c.input(2 + i));
    carried_types.push_back(TensorType{c.input(2 + i).dtype(), c.input(2 + i).shape()});
  }
  std::vector<std::vector<Tensor>> scans(s.scans);
  std::vector<Tensor> inputs;
  int64_t i = 0;
  for (; i < max_trips && cond; ++i) {
    inputs.clear();
    LEDGE_ASSIGN(Tensor iter, scalar_int64(i));
    LEDGE_ASSIGN(Tensor cond_in, scalar_bool(cond));
    inputs.push_back(std::move(iter));
    inputs.push_back(std::move(cond_in));
    inputs.insert(inputs.end(), carried.begin(), carried.end());
    LEDGE_ASSIGN(std::vector<Tensor> results, c.run_subgraph(*body, inputs));
    if (results.size() != 1 + s.carried + s.scans) return internal_error("Loop: body output count");
    const Tensor& cond_out = results[0];
    if (cond_out.dtype() != DType::kBool || cond_out.numel() != 1)
      return c.fail("the body's cond output must be a single bool, got " +
                    TensorType{cond_out.dtype(), cond_out.shape()}.to_string());
    if (has_cond) cond = cond_out.as_int64(0) != 0;
    for (size_t k = 0; k < s.carried; ++k) {
      Tensor& v = results[1 + k];
      if (v.dtype() != carried[k].dtype())
        return c.fail("loop-carried value " + std::to_string(k) + " changed type from " +
                      std::string(dtype_name(carried[k].dtype())) + " to " +
                      std::string(dtype_name(v.dtype())));
      carried[k] = std::move(v);
    }
    for (size_t k = 0; k < s.scans; ++k) {
      Tensor& v = results[1 + s.carried + k];
      if (!scans[k].empty() &&
          (v.dtype() != scans[k][0].dtype() || v.shape() != scans[k][0].shape()))
        return c.fail("scan output " + std::to_string(k) + " changed from " +
                      TensorType{scans[k][0].dtype(), scans[k][0].shape()}.to_string() + " to " +
                      TensorType{v.dtype(), v.shape()}.to_string() + " between iterations");
      scans[k].push_back(std::move(v));
    }
  }

  // What infer promised for these inputs, to check the results against and to shape scan
  // outputs of zero iterations.
  const auto want = output_types(*body, s, carried_types, i, c.opset());
  for (size_t k = 0; k < s.carried && k < c.num_outputs(); ++k) {
    LEDGE_TRY(cf::check_output(c, carried[k], want[k], "Loop", k));
    c.set_output(k, carried[k]);
  }
  for (size_t k = 0; k < s.scans && s.carried + k < c.num_outputs(); ++k) {
    TensorType elem = want[s.carried + k];
    if (elem.shape) elem.shape->erase(elem.shape->begin());
    if (scans[k].empty() && (!elem.shape || elem.dtype == DType::kUndefined)) {
      // No iteration showed the element shape: infer it from the initial values' shapes.
      std::vector<TensorType> in = body_input_types(carried_types);
      for (size_t j = 0; j < s.carried; ++j) in[2 + j] = carried_types[j];
      const TensorType inferred =
          cf::subgraph_output_types(*body, in, c.opset(), true)[1 + s.carried + k];
      if (elem.dtype == DType::kUndefined) elem.dtype = inferred.dtype;
      if (!elem.shape && elem.dtype == inferred.dtype) elem.shape = inferred.shape;
    }
    auto stacked = cf::stack(scans[k], 0, false, elem);
    if (!stacked) return std::move(stacked).error().with_context("node " + c.node().label());
    LEDGE_TRY(cf::check_output(c, *stacked, want[s.carried + k], "Loop", s.carried + k));
    c.set_output(s.carried + k, std::move(stacked).value());
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Loop, ledge::infer_loop, ledge::run_loop)
