// Semantics of the recurrent, control-flow and signal operators that the ONNX backend tests
// cover thinly: directions, sequence_lens and layout of the RNNs, Loop/Scan/If corner cases,
// DFT lengths that are not powers of two. Graphs are built directly in the IR.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>

#include "runtime/session.h"

namespace ledge {
namespace {

Tensor random_tensor(Shape shape, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  Tensor t = Tensor::make(DType::kFloat32, std::move(shape)).value();
  for (float& v : t.span<float>()) v = dist(gen);
  return t;
}

template <class T>
Tensor scalar(T v) {
  Tensor t = Tensor::make(dtype_of<T>(), {}).value();
  t.data<T>()[0] = v;
  return t;
}

ValueInfo info(const std::string& name, DType dt = DType::kUndefined) {
  ValueInfo v;
  v.name = name;
  v.type.dtype = dt;
  return v;
}

Node make_node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
               std::map<std::string, AttributeValue> attrs = {}) {
  Node n;
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

// Runs a one-node model whose graph inputs are the feeds' names.
std::vector<Tensor> run(const Node& node, const std::vector<std::pair<std::string, Tensor>>& feeds,
                        int64_t opset = 17) {
  auto model = std::make_shared<Model>();
  model->opsets[""] = opset;
  model->ir_version = 8;
  std::map<std::string, Tensor> fm;
  for (const auto& [name, t] : feeds) {
    ValueInfo v = info(name, t.dtype());
    v.type.shape = t.shape();
    model->graph.inputs.push_back(v);
    fm[name] = t;
  }
  for (const auto& o : node.outputs)
    if (!o.empty()) model->graph.outputs.push_back(info(o));
  model->graph.nodes.push_back(node);
  auto session = Session::create(model);
  EXPECT_TRUE(session.ok()) << session.error().message();
  if (!session.ok()) return {};
  auto out = (*session)->run(fm);
  EXPECT_TRUE(out.ok()) << out.error().message();
  return out.ok() ? *out : std::vector<Tensor>{};
}

// Element (i0, i1, ...) of a float tensor.
float at(const Tensor& t, std::initializer_list<int64_t> idx) {
  int64_t off = 0, d = 0;
  for (int64_t i : idx) off = off * t.dim(d++) + i;
  return t.data<float>()[off];
}

// X reversed along axis 0 (time, layout 0).
Tensor reverse_time(const Tensor& x) {
  Tensor r = Tensor::make(x.dtype(), x.shape()).value();
  const int64_t step = x.numel() / x.dim(0);
  for (int64_t t = 0; t < x.dim(0); ++t)
    std::copy_n(x.data<float>() + t * step, step, r.data<float>() + (x.dim(0) - 1 - t) * step);
  return r;
}

TEST(Lstm, ReverseIsForwardOnReversedTime) {
  const int64_t seq = 4, batch = 2, in = 3, hid = 5;
  const Tensor x = random_tensor({seq, batch, in}, 1);
  const Tensor w = random_tensor({1, 4 * hid, in}, 2);
  const Tensor r = random_tensor({1, 4 * hid, hid}, 3);
  const Tensor b = random_tensor({1, 8 * hid}, 4);
  auto rev = run(make_node("LSTM", {"X", "W", "R", "B"}, {"Y", "Y_h"},
                           {{"hidden_size", hid}, {"direction", std::string("reverse")}}),
                 {{"X", x}, {"W", w}, {"R", r}, {"B", b}}, 14);
  auto fwd = run(make_node("LSTM", {"X", "W", "R", "B"}, {"Y", "Y_h"}, {{"hidden_size", hid}}),
                 {{"X", reverse_time(x)}, {"W", w}, {"R", r}, {"B", b}}, 14);
  ASSERT_EQ(rev.size(), 2u);
  ASSERT_EQ(fwd.size(), 2u);
  for (int64_t t = 0; t < seq; ++t)
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t h = 0; h < hid; ++h)
        EXPECT_NEAR(at(rev[0], {t, 0, n, h}), at(fwd[0], {seq - 1 - t, 0, n, h}), 1e-5);
  for (int64_t i = 0; i < rev[1].numel(); ++i)
    EXPECT_NEAR(rev[1].data<float>()[i], fwd[1].data<float>()[i], 1e-5);
}

TEST(Gru, SequenceLensStopEachBatchEntry) {
  const int64_t seq = 3, in = 2, hid = 4;
  const Tensor x = random_tensor({seq, 2, in}, 5);
  const Tensor w = random_tensor({2, 3 * hid, in}, 6);
  const Tensor r = random_tensor({2, 3 * hid, hid}, 7);
  Tensor lens = Tensor::from_vector<int32_t>({3, 2}, {2});
  auto full = run(make_node("GRU", {"X", "W", "R", "", "L"}, {"Y", "Y_h"},
                            {{"hidden_size", hid}, {"direction", std::string("bidirectional")}}),
                  {{"X", x}, {"W", w}, {"R", r}, {"L", lens}}, 14);
  // Batch entry 1 alone, cut to its length of 2 steps.
  Tensor x1 = Tensor::make(DType::kFloat32, {2, 1, in}).value();
  for (int64_t t = 0; t < 2; ++t)
    for (int64_t k = 0; k < in; ++k) x1.data<float>()[t * in + k] = at(x, {t, 1, k});
  auto cut = run(make_node("GRU", {"X", "W", "R"}, {"Y", "Y_h"},
                           {{"hidden_size", hid}, {"direction", std::string("bidirectional")}}),
                 {{"X", x1}, {"W", w}, {"R", r}}, 14);
  ASSERT_EQ(full.size(), 2u);
  ASSERT_EQ(cut.size(), 2u);
  for (int64_t d = 0; d < 2; ++d) {
    for (int64_t h = 0; h < hid; ++h) {
      EXPECT_NEAR(at(full[1], {d, 1, h}), at(cut[1], {d, 0, h}), 1e-5);
      for (int64_t t = 0; t < 2; ++t)
        EXPECT_NEAR(at(full[0], {t, d, 1, h}), at(cut[0], {t, d, 0, h}), 1e-5);
      EXPECT_EQ(at(full[0], {2, d, 1, h}), 0.f);  // past the end of the sequence
    }
  }
}

TEST(Rnn, Layout1IsBatchMajor) {
  const int64_t seq = 3, batch = 2, in = 2, hid = 3;
  const Tensor x = random_tensor({seq, batch, in}, 8);
  Tensor xb = Tensor::make(DType::kFloat32, {batch, seq, in}).value();
  for (int64_t t = 0; t < seq; ++t)
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t k = 0; k < in; ++k) xb.data<float>()[(n * seq + t) * in + k] = at(x, {t, n, k});
  const Tensor w = random_tensor({2, hid, in}, 9);
  const Tensor r = random_tensor({2, hid, hid}, 10);
  const std::map<std::string, AttributeValue> attrs = {{"hidden_size", hid},
                                                       {"direction", std::string("bidirectional")}};
  auto a = run(make_node("RNN", {"X", "W", "R"}, {"Y", "Y_h"}, attrs),
               {{"X", x}, {"W", w}, {"R", r}}, 14);
  auto attrs1 = attrs;
  attrs1["layout"] = int64_t{1};
  auto b = run(make_node("RNN", {"X", "W", "R"}, {"Y", "Y_h"}, attrs1),
               {{"X", xb}, {"W", w}, {"R", r}}, 14);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].shape(), (Shape{batch, seq, 2, hid}));
  EXPECT_EQ(b[1].shape(), (Shape{batch, 2, hid}));
  for (int64_t t = 0; t < seq; ++t)
    for (int64_t d = 0; d < 2; ++d)
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t h = 0; h < hid; ++h) {
          EXPECT_FLOAT_EQ(at(a[0], {t, d, n, h}), at(b[0], {n, t, d, h}));
          if (t == 0) {
            EXPECT_FLOAT_EQ(at(a[1], {d, n, h}), at(b[1], {n, d, h}));
          }
        }
}

// A body computing (cond, x + a) -> scan output x + a, where a comes from the outer scope.
std::shared_ptr<Graph> add_body(bool declare_shapes) {
  auto g = std::make_shared<Graph>();
  g->inputs = {info("i", DType::kInt64), info("c", DType::kBool), info("x", DType::kFloat32)};
  g->nodes = {make_node("Add", {"x", "a"}, {"y"})};
  ValueInfo y = info("y", DType::kFloat32);
  if (declare_shapes) y.type.shape = std::vector<int64_t>{2};
  g->outputs = {info("c", DType::kBool), y, y};
  return g;
}

TEST(Loop, CarriesValuesAndStacksScanOutputs) {
  const Tensor x0 = Tensor::from_vector<float>({1, 2}, {2});
  const Tensor a = Tensor::from_vector<float>({10, 20}, {2});
  auto out = run(make_node("Loop", {"M", "", "x0"}, {"x", "s"}, {{"body", add_body(false)}}),
                 {{"M", scalar<int64_t>(3)}, {"x0", x0}, {"a", a}}, 16);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape(), (Shape{2}));
  EXPECT_FLOAT_EQ(at(out[0], {0}), 31.f);
  EXPECT_FLOAT_EQ(at(out[0], {1}), 62.f);
  ASSERT_EQ(out[1].shape(), (Shape{3, 2}));
  EXPECT_FLOAT_EQ(at(out[1], {1, 0}), 21.f);
}

TEST(Loop, ZeroIterationsGiveInputsAndEmptyScans) {
  const Tensor x0 = Tensor::from_vector<float>({1, 2}, {2});
  const Tensor a = Tensor::from_vector<float>({10, 20}, {2});
  auto out = run(make_node("Loop", {"M", "", "x0"}, {"x", "s"}, {{"body", add_body(true)}}),
                 {{"M", scalar<int64_t>(0)}, {"x0", x0}, {"a", a}}, 16);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(at(out[0], {1}), 2.f);
  EXPECT_EQ(out[1].shape(), (Shape{0, 2}));
}

TEST(If, BranchesMayReturnOuterValuesOfOtherShapes) {
  auto then_g = std::make_shared<Graph>();
  then_g->outputs = {info("p")};
  auto else_g = std::make_shared<Graph>();
  else_g->outputs = {info("q")};
  const Tensor p = Tensor::from_vector<float>({1, 2, 3}, {3});
  const Tensor q = Tensor::from_vector<float>({4}, {1});
  for (bool cond : {true, false}) {
    auto out =
        run(make_node("If", {"c"}, {"y"}, {{"then_branch", then_g}, {"else_branch", else_g}}),
            {{"c", scalar<bool>(cond)}, {"p", p}, {"q", q}}, 11);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].numel(), cond ? 3 : 1);
  }
}

TEST(Scan, ReverseInputAlongAxisOneAndOutputAlongLastAxis) {
  // state += column; scan output = state. x is [2, 3], scanned along axis 1 backwards.
  auto body = std::make_shared<Graph>();
  body->inputs = {info("s", DType::kFloat32), info("col", DType::kFloat32)};
  body->nodes = {make_node("Add", {"s", "col"}, {"s2"})};
  body->outputs = {info("s2", DType::kFloat32), info("s2", DType::kFloat32)};
  const Tensor s0 = Tensor::from_vector<float>({0, 100}, {2});
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto out = run(make_node("Scan", {"s0", "x"}, {"s", "o"},
                           {{"body", body},
                            {"num_scan_inputs", int64_t{1}},
                            {"scan_input_axes", std::vector<int64_t>{1}},
                            {"scan_input_directions", std::vector<int64_t>{1}},
                            {"scan_output_axes", std::vector<int64_t>{-1}}}),
                 {{"s0", s0}, {"x", x}}, 16);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(at(out[0], {0}), 6.f);
  EXPECT_FLOAT_EQ(at(out[0], {1}), 115.f);
  ASSERT_EQ(out[1].shape(), (Shape{2, 3}));
  // Iterations see columns 2, 1, 0: running sums 3, 5, 6 and 106, 111, 115.
  const float want[] = {3, 5, 6, 106, 111, 115};
  for (int64_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(out[1].data<float>()[i], want[i]);
}

std::vector<std::complex<double>> naive_dft(const std::vector<std::complex<double>>& x, bool inv) {
  const size_t n = x.size();
  std::vector<std::complex<double>> y(n);
  for (size_t k = 0; k < n; ++k)
    for (size_t j = 0; j < n; ++j)
      y[k] += x[j] * std::polar(1.0, (inv ? 2 : -2) * std::numbers::pi * double(j * k) / double(n));
  if (inv)
    for (auto& v : y) v /= double(n);
  return y;
}

TEST(Dft, MatchesTheDefinitionForAnyLength) {
  for (int64_t n : {1, 6, 8, 12}) {
    for (bool inverse : {false, true}) {
      const Tensor x = random_tensor({1, n, 2}, static_cast<uint32_t>(n));
      auto out = run(make_node("DFT", {"x"}, {"y"}, {{"inverse", int64_t{inverse}}}), {{"x", x}});
      ASSERT_EQ(out.size(), 1u);
      std::vector<std::complex<double>> v;
      for (int64_t j = 0; j < n; ++j) v.emplace_back(at(x, {0, j, 0}), at(x, {0, j, 1}));
      const auto want = naive_dft(v, inverse);
      for (int64_t k = 0; k < n; ++k) {
        EXPECT_NEAR(at(out[0], {0, k, 0}), want[k].real(), 1e-5) << n;
        EXPECT_NEAR(at(out[0], {0, k, 1}), want[k].imag(), 1e-5) << n;
      }
    }
  }
}

TEST(Dft, OnesidedPadsToDftLength) {
  const Tensor x = random_tensor({2, 5, 1}, 11);
  auto out = run(make_node("DFT", {"x", "n"}, {"y"}, {{"onesided", int64_t{1}}}),
                 {{"x", x}, {"n", scalar<int64_t>(9)}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 5, 2}));  // 9 / 2 + 1 bins
  std::vector<std::complex<double>> v(9);
  for (int64_t j = 0; j < 5; ++j) v[j] = at(x, {1, j, 0});
  const auto want = naive_dft(v, false);
  for (int64_t k = 0; k < 5; ++k) EXPECT_NEAR(at(out[0], {1, k, 0}), want[k].real(), 1e-5);
}

TEST(Window, SymmetricHannEndsAtZero) {
  auto out = run(make_node("HannWindow", {"n"}, {"y"},
                           {{"periodic", int64_t{0}}, {"output_datatype", int64_t{11}}}),
                 {{"n", scalar<int64_t>(5)}});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].dtype(), DType::kFloat64);
  const double want[] = {0, 0.5, 1, 0.5, 0};
  for (int64_t i = 0; i < 5; ++i) EXPECT_NEAR(out[0].data<double>()[i], want[i], 1e-12);
}

}  // namespace
}  // namespace ledge
