// Scan: runs `body` once per position along the scan axis of the scan inputs, threading
// N state values through the iterations and stacking K per-iteration scan outputs.
//
// Scan-9+ inputs: (state_1..state_N, scan_1..scan_M); attributes num_scan_inputs (M),
// scan_input_axes / scan_input_directions (per scan input), scan_output_axes /
// scan_output_directions (per scan output). Body: (states, scan slices) -> (states, scan
// output elements). Outputs: final states, then scan outputs stacked along their axes.
//
// Scan-8 has a leading batch axis on every input and output and an optional first input
// sequence_lens [batch]: each batch entry is scanned separately over its own length along
// axis 1; `directions` reverses scan inputs; scan outputs are written in iteration order
// and padded with zeros up to the longest sequence.
#include "ops/control_flow_common.h"

namespace ledge {
namespace {

struct Config {
  const Graph* body;
  size_t first;   // index of the first state input (1 in Scan-8, after sequence_lens)
  size_t states;  // N
  size_t scans;   // M
  size_t outs;    // K
  std::vector<int64_t> in_axes, in_dirs, out_axes, out_dirs;
  bool v8;
};

Expected<Config> parse(const NodeContext& c, size_t num_inputs) {
  Config cfg;
  cfg.v8 = c.opset() < 9;
  cfg.body = c.attr_graph("body");
  if (!cfg.body) return c.fail("needs a body graph");
  const int64_t m = c.attr_int("num_scan_inputs", 0);
  cfg.first = cfg.v8 ? 1 : 0;
  if (m < 1 || static_cast<size_t>(m) + cfg.first > num_inputs)
    return c.fail("num_scan_inputs must be in [1, " + std::to_string(num_inputs - cfg.first) +
                  "], got " + std::to_string(m));
  cfg.scans = static_cast<size_t>(m);
  cfg.states = num_inputs - cfg.first - cfg.scans;
  const Graph& g = *cfg.body;
  if (g.inputs.size() != cfg.states + cfg.scans)
    return c.fail("body has " + std::to_string(g.inputs.size()) + " inputs, expected " +
                  std::to_string(cfg.states + cfg.scans));
  if (g.outputs.size() < cfg.states)
    return c.fail("body has " + std::to_string(g.outputs.size()) + " outputs, expected at least " +
                  std::to_string(cfg.states));
  cfg.outs = g.outputs.size() - cfg.states;
  if (c.node().outputs.size() > cfg.states + cfg.outs)
    return c.fail("has " + std::to_string(c.node().outputs.size()) + " outputs, expected " +
                  std::to_string(cfg.states + cfg.outs));

  auto list = [&](const char* name, size_t n, std::vector<int64_t>& v) -> Status {
    v = c.attr_ints(name, std::vector<int64_t>(n, 0));
    if (v.size() != n)
      return c.fail(std::string(name) + " has " + std::to_string(v.size()) + " entries, expected " +
                    std::to_string(n));
    return Status();
  };
  if (cfg.v8) {
    LEDGE_TRY(list("directions", cfg.scans, cfg.in_dirs));
    cfg.in_axes.assign(cfg.scans, 1);  // after the batch axis
    cfg.out_axes.assign(cfg.outs, 1);
    cfg.out_dirs.assign(cfg.outs, 0);
  } else {
    LEDGE_TRY(list("scan_input_axes", cfg.scans, cfg.in_axes));
    LEDGE_TRY(list("scan_input_directions", cfg.scans, cfg.in_dirs));
    LEDGE_TRY(list("scan_output_axes", cfg.outs, cfg.out_axes));
    LEDGE_TRY(list("scan_output_directions", cfg.outs, cfg.out_dirs));
  }
  for (int64_t d : cfg.in_dirs)
    if (d != 0 && d != 1) return c.fail("scan directions must be 0 or 1");
  for (int64_t d : cfg.out_dirs)
    if (d != 0 && d != 1) return c.fail("scan_output_directions must be 0 or 1");
  return cfg;
}

// An axis attribute value normalized for `rank`, or an error naming the node.
Expected<int64_t> scan_axis(const NodeContext& c, const char* what, int64_t axis, int64_t rank) {
  auto a = normalize_axis(axis, rank);
  if (!a) return c.fail(std::string(what) + ": " + a.error().message());
  return *a;
}

// Drops dimension `axis` of a static type (unknown rank stays unknown).
TensorType drop_axis(const TensorType& t, int64_t axis) {
  TensorType r = t;
  if (r.shape) r.shape->erase(r.shape->begin() + axis);
  return r;
}

TensorType insert_axis(const TensorType& t, int64_t axis, int64_t dim) {
  TensorType r = t;
  if (r.shape) r.shape->insert(r.shape->begin() + axis, dim);
  return r;
}

// Validates the input types, normalizes the axes and computes the static output types.
Expected<std::vector<TensorType>> output_types(const NodeContext& c, Config& cfg,
                                               const std::vector<const TensorType*>& in) {
  int64_t seq = -1, batch = -1;
  auto agree = [&](int64_t& known, int64_t d, const char* what) -> Status {
    if (d < 0) return Status();
    if (known >= 0 && known != d)
      return c.fail(std::string("scan inputs disagree on the ") + what + ": " +
                    std::to_string(known) + " and " + std::to_string(d));
    known = d;
    return Status();
  };
  std::vector<TensorType> body_in;
  for (size_t i = 0; i < cfg.states; ++i) {
    const TensorType& t = *in[cfg.first + i];
    if (cfg.v8) {
      if (t.shape && t.shape->empty()) return c.fail("state inputs need a batch axis");
      if (t.shape) LEDGE_TRY(agree(batch, (*t.shape)[0], "batch size"));
      body_in.push_back(t.shape ? drop_axis(t, 0) : t);
    } else {
      body_in.push_back(t);
    }
  }
  for (size_t j = 0; j < cfg.scans; ++j) {
    const TensorType& t = *in[cfg.first + cfg.states + j];
    int64_t& axis = cfg.in_axes[j];
    if (!t.shape) {
      body_in.push_back(TensorType{t.dtype, std::nullopt});
      continue;
    }
    const int64_t rank = static_cast<int64_t>(t.shape->size());
    if (cfg.v8 && rank < 2) return c.fail("scan inputs need batch and sequence axes");
    LEDGE_ASSIGN(axis, scan_axis(c, "scan_input_axes", axis, rank));
    if (rank == 0) return c.fail("scan inputs need a scan axis");
    LEDGE_TRY(agree(seq, (*t.shape)[static_cast<size_t>(axis)], "sequence length"));
    if (cfg.v8) {
      LEDGE_TRY(agree(batch, (*t.shape)[0], "batch size"));
      body_in.push_back(drop_axis(drop_axis(t, axis), 0));
    } else {
      body_in.push_back(drop_axis(t, axis));
    }
  }
  if (cfg.v8 && cfg.first < in.size() && in[0]) {
    const TensorType& sl = *in[0];
    if (sl.dtype != DType::kInt64 && sl.dtype != DType::kUndefined)
      return c.fail("sequence_lens must be int64, got " + sl.to_string());
    if (sl.shape && sl.shape->size() != 1) return c.fail("sequence_lens must have rank 1");
    if (sl.shape) LEDGE_TRY(agree(batch, (*sl.shape)[0], "batch size"));
  }

  const auto body_out = cf::subgraph_output_types(*cfg.body, body_in, c.opset());
  std::vector<TensorType> out;
  for (size_t i = 0; i < cfg.states; ++i) {
    TensorType t = cf::merge_types(body_in[i], body_out[i]);
    t.dtype = body_in[i].dtype;
    out.push_back(cfg.v8 ? insert_axis(t, 0, batch) : t);
  }
  for (size_t k = 0; k < cfg.outs; ++k) {
    const TensorType& e = body_out[cfg.states + k];
    if (!e.shape) {
      out.push_back(TensorType{e.dtype, std::nullopt});
      continue;
    }
    if (cfg.v8) {
      out.push_back(insert_axis(insert_axis(e, 0, seq), 0, batch));
      continue;
    }
    int64_t& axis = cfg.out_axes[k];
    LEDGE_ASSIGN(axis,
                 scan_axis(c, "scan_output_axes", axis, static_cast<int64_t>(e.shape->size()) + 1));
    out.push_back(insert_axis(e, axis, seq));
  }
  return out;
}

Status infer_scan(InferContext& c) {
  LEDGE_ASSIGN(Config cfg, parse(c, c.num_inputs()));
  std::vector<const TensorType*> in;
  for (size_t i = 0; i < c.num_inputs(); ++i) {
    if (i >= cfg.first && !c.has_input(i))
      return c.fail("input " + std::to_string(i) + " must not be empty");
    in.push_back(c.has_input(i) ? &c.input_type(i) : nullptr);
  }
  LEDGE_ASSIGN(const auto out, output_types(c, cfg, in));
  for (size_t i = 0; i < c.num_outputs(); ++i) LEDGE_TRY(c.set_output(i, out[i]));
  return Status();
}

// Runs the scan over one set of inputs (all of Scan-9, one batch entry of Scan-8) for `len`
// iterations; returns the final states and, per scan output, the elements in iteration order.
Status scan_once(KernelContext& c, const Config& cfg, std::vector<Tensor>& states,
                 const std::vector<Tensor>& scan_in, const std::vector<int64_t>& axes, int64_t len,
                 std::vector<std::vector<Tensor>>& elems) {
  elems.assign(cfg.outs, {});
  std::vector<Tensor> inputs;
  for (int64_t it = 0; it < len; ++it) {
    inputs = states;
    for (size_t j = 0; j < cfg.scans; ++j) {
      const int64_t pos = cfg.in_dirs[j] ? len - 1 - it : it;
      LEDGE_ASSIGN(Tensor slice, cf::take(scan_in[j], axes[j], pos));
      inputs.push_back(std::move(slice));
    }
    LEDGE_ASSIGN(std::vector<Tensor> results, c.run_subgraph(*cfg.body, inputs));
    if (results.size() != cfg.states + cfg.outs) return internal_error("Scan: body output count");
    for (size_t i = 0; i < cfg.states; ++i) {
      if (results[i].dtype() != states[i].dtype())
        return c.fail("state " + std::to_string(i) + " changed type from " +
                      std::string(dtype_name(states[i].dtype())) + " to " +
                      std::string(dtype_name(results[i].dtype())));
      states[i] = std::move(results[i]);
    }
    for (size_t k = 0; k < cfg.outs; ++k) elems[k].push_back(std::move(results[cfg.states + k]));
  }
  return Status();
}

Status run_scan(KernelContext& c) {
  LEDGE_ASSIGN(Config cfg, parse(c, c.num_inputs()));
  std::vector<TensorType> types;
  std::vector<const TensorType*> in;
  types.reserve(c.num_inputs());
  for (size_t i = 0; i < c.num_inputs(); ++i)
    types.push_back(c.has_input(i) ? TensorType{c.input(i).dtype(), c.input(i).shape()}
                                   : TensorType{});
  for (size_t i = 0; i < c.num_inputs(); ++i) in.push_back(c.has_input(i) ? &types[i] : nullptr);
  LEDGE_ASSIGN(const auto want, output_types(c, cfg, in));

  std::vector<Tensor> states, scan_in;
  for (size_t i = 0; i < cfg.states; ++i) states.push_back(c.input(cfg.first + i));
  for (size_t j = 0; j < cfg.scans; ++j) scan_in.push_back(c.input(cfg.first + cfg.states + j));
  const int64_t seq = scan_in[0].dim(cfg.in_axes[0]);

  std::vector<Tensor> outputs(cfg.states + cfg.outs);
  std::vector<std::vector<Tensor>> elems;
  if (!cfg.v8) {
    LEDGE_TRY(scan_once(c, cfg, states, scan_in, cfg.in_axes, seq, elems));
    for (size_t i = 0; i < cfg.states; ++i) outputs[i] = states[i];
    for (size_t k = 0; k < cfg.outs; ++k) {
      // Without a declared element type infer could not normalize the axis.
      const TensorType& w = want[cfg.states + k];
      const int64_t rank = !elems[k].empty() ? elems[k][0].rank()
                           : w.shape         ? static_cast<int64_t>(w.shape->size()) - 1
                                             : 0;
      LEDGE_ASSIGN(const int64_t axis, scan_axis(c, "scan_output_axes", cfg.out_axes[k], rank + 1));
      TensorType elem = w;
      if (elem.shape) elem.shape->erase(elem.shape->begin() + axis);
      auto stacked = cf::stack(elems[k], axis, cfg.out_dirs[k] != 0, elem);
      if (!stacked) return std::move(stacked).error().with_context("node " + c.node().label());
      outputs[cfg.states + k] = std::move(stacked).value();
    }
  } else {
    const int64_t batch = scan_in[0].dim(0);
    std::vector<int64_t> lens(static_cast<size_t>(batch), seq);
    if (c.has_input(0)) {
      lens = c.input(0).to_int64_vector();
      for (int64_t len : lens)
        if (len < 0 || len > seq)
          return c.fail("sequence_lens value " + std::to_string(len) + " is outside [0, " +
                        std::to_string(seq) + "]");
    }
    // Per batch entry the scan axis is 0 (the batch axis is gone).
    const std::vector<int64_t> axes(cfg.scans, 0);
    std::vector<std::vector<Tensor>> final_states(cfg.states), per_batch(cfg.outs);
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<Tensor> st, sin;
      for (const Tensor& s : states) {
        LEDGE_ASSIGN(Tensor t, cf::take(s, 0, b));
        st.push_back(std::move(t));
      }
      for (const Tensor& s : scan_in) {
        LEDGE_ASSIGN(Tensor t, cf::take(s, 0, b));
        sin.push_back(std::move(t));
      }
      LEDGE_TRY(scan_once(c, cfg, st, sin, axes, lens[static_cast<size_t>(b)], elems));
      for (size_t i = 0; i < cfg.states; ++i) final_states[i].push_back(st[i]);
      for (size_t k = 0; k < cfg.outs; ++k) {
        // Shorter sequences are padded with zeros to the full length.
        TensorType e = drop_axis(drop_axis(want[cfg.states + k], 0), 0);
        if (!elems[k].empty() && !per_batch[k].empty() &&
            elems[k][0].shape() !=
                Shape(per_batch[k][0].shape().begin() + 1, per_batch[k][0].shape().end()))
          return c.fail("scan output " + std::to_string(k) +
                        " differs in shape between batch entries");
        if (elems[k].empty() && !per_batch[k].empty())
          e = TensorType{per_batch[k][0].dtype(),
                         Shape(per_batch[k][0].shape().begin() + 1, per_batch[k][0].shape().end())};
        auto stacked = cf::stack(elems[k], 0, false, e, seq);
        if (!stacked) return std::move(stacked).error().with_context("node " + c.node().label());
        per_batch[k].push_back(std::move(stacked).value());
      }
    }
    for (size_t i = 0; i < cfg.states; ++i) {
      TensorType e = drop_axis(want[i], 0);
      if (e.dtype == DType::kUndefined) e.dtype = states[i].dtype();
      auto stacked = cf::stack(final_states[i], 0, false, e);
      if (!stacked) return std::move(stacked).error().with_context("node " + c.node().label());
      outputs[i] = std::move(stacked).value();
    }
    for (size_t k = 0; k < cfg.outs; ++k) {
      auto stacked = cf::stack(per_batch[k], 0, false, drop_axis(want[cfg.states + k], 0));
      if (!stacked) return std::move(stacked).error().with_context("node " + c.node().label());
      outputs[cfg.states + k] = std::move(stacked).value();
    }
  }
  for (size_t i = 0; i < c.num_outputs(); ++i) {
    LEDGE_TRY(cf::check_output(c, outputs[i], want[i], "Scan", i));
    c.set_output(i, std::move(outputs[i]));
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Scan, ledge::infer_scan, ledge::run_scan)
