// Building small models in tests and checking that a rewrite keeps their results.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/verifier.h"
#include "runtime/session.h"

namespace ledge::testing {

inline ValueInfo typed_value(const std::string& name, DType dtype, std::vector<int64_t> shape) {
  ValueInfo v;
  v.name = name;
  v.type.dtype = dtype;
  v.type.shape = std::move(shape);
  v.dim_names.assign(v.type.shape->size(), "");
  return v;
}

inline ValueInfo untyped_value(const std::string& name) {
  ValueInfo v;
  v.name = name;
  return v;
}

// Fluent construction: ModelBuilder b(13); b.input("x", ...); b.node("Relu", {"x"}, {"y"});
class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset = 13) : model_(std::make_shared<Model>()) {
    model_->opsets[""] = opset;
    model_->ir_version = 8;
  }
  ModelBuilder& input(const std::string& name, DType dtype, std::vector<int64_t> shape) {
    model_->graph.inputs.push_back(typed_value(name, dtype, std::move(shape)));
    return *this;
  }
  ModelBuilder& output(const std::string& name) {
    model_->graph.outputs.push_back(untyped_value(name));
    return *this;
  }
  ModelBuilder& init(const std::string& name, Tensor t) {
    model_->graph.initializers[name] = std::move(t);
    return *this;
  }
  Node& node(const std::string& op, std::vector<std::string> inputs,
             std::vector<std::string> outputs) {
    Node n;
    n.op_type = op;
    n.name = outputs.empty() ? op : outputs[0];
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    model_->graph.nodes.push_back(std::move(n));
    return model_->graph.nodes.back();
  }
  Model& model() { return *model_; }
  std::shared_ptr<Model> build() { return model_; }

 private:
  std::shared_ptr<Model> model_;
};

inline Tensor random_tensor(DType dtype, const Shape& shape, uint32_t seed) {
  Tensor t = Tensor::make(dtype, shape).value();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  (void)dispatch(dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, bool>)
        p[i] = u(rng) > 0;
      else if constexpr (is_floating_v<T>)
        p[i] = static_cast<T>(static_cast<float>(u(rng)));
      else
        p[i] = static_cast<T>(std::lround(u(rng) * 10) + (std::is_signed_v<T> ? 0 : 10));
    }
  });
  return t;
}

inline std::shared_ptr<Graph> clone_graph(const Graph& g) {
  auto c = std::make_shared<Graph>(g);
  for (auto& n : c->nodes)
    for (auto& [k, v] : n.attributes) {
      if (auto sg = std::get_if<std::shared_ptr<Graph>>(&v)) {
        if (*sg) *sg = clone_graph(**sg);
      } else if (auto sgs = std::get_if<std::vector<std::shared_ptr<Graph>>>(&v)) {
        for (auto& s : *sgs)
          if (s) s = clone_graph(*s);
      }
    }
  return c;
}

// A deep copy: passes edit subgraphs in place.
inline std::shared_ptr<Model> clone_model(const Model& m) {
  auto c = std::make_shared<Model>(m);
  c->graph = *clone_graph(m.graph);
  return c;
}

// Feeds for every input that is not an initializer, from a fixed seed; dynamic dimensions
// become 2.
inline std::map<std::string, Tensor> random_feeds(const Model& m, uint32_t seed = 7) {
  std::map<std::string, Tensor> feeds;
  for (const auto& in : m.graph.inputs) {
    if (m.graph.initializers.count(in.name)) continue;
    Shape s = in.type.shape.value_or(Shape{});
    for (auto& d : s)
      if (d < 0) d = 2;
    feeds[in.name] = random_tensor(in.type.dtype, s, seed++);
  }
  return feeds;
}

inline Expected<std::vector<Tensor>> run_model(const Model& m,
                                               const std::map<std::string, Tensor>& feeds) {
  LEDGE_ASSIGN(auto session, Session::create(clone_model(m)));
  return session->run(feeds);
}

// Every output equal in dtype and shape, values within tolerance (exact for integers).
inline void expect_same_outputs(const std::vector<Tensor>& want, const std::vector<Tensor>& got,
                                double rtol = 1e-5, double atol = 1e-6) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t k = 0; k < want.size(); ++k) {
    ASSERT_EQ(want[k].dtype(), got[k].dtype()) << "output " << k;
    ASSERT_EQ(want[k].shape(), got[k].shape()) << "output " << k;
    const bool is_float = dtype_is_float(want[k].dtype());
    for (int64_t i = 0; i < want[k].numel(); ++i) {
      if (is_float) {
        const double w = want[k].as_double(i), g = got[k].as_double(i);
        ASSERT_LE(std::fabs(w - g), atol + rtol * std::fabs(w))
            << "output " << k << " element " << i << ": " << g << " != " << w;
      } else {
        ASSERT_EQ(want[k].as_int64(i), got[k].as_int64(i)) << "output " << k << " element " << i;
      }
    }
  }
}

inline int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op_type == op;
  return n;
}

}  // namespace ledge::testing
