// Element-wise operators: behaviour the ONNX backend tests do not cover (old opsets, integer
// edge cases, conversions that would be undefined behaviour in C++).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "ops/kernel.h"
#include "runtime/run_node.h"

namespace ledge {
namespace {

// Runs one node of the default domain; undefined tensors are absent optional inputs.
Expected<std::vector<Tensor>> run(const std::string& op, const std::vector<Tensor>& inputs,
                                  std::map<std::string, AttributeValue> attrs = {},
                                  int64_t opset = 17, size_t outputs = 1) {
  const OpKernel* k = find_op("", op);
  if (!k) return unsupported(op + " is not registered");
  Node node;
  node.op_type = op;
  node.attributes = std::move(attrs);
  std::vector<const Tensor*> ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    node.inputs.push_back(inputs[i].defined() ? "in" + std::to_string(i) : "");
    ptrs.push_back(inputs[i].defined() ? &inputs[i] : nullptr);
  }
  for (size_t i = 0; i < outputs; ++i) node.outputs.push_back("out" + std::to_string(i));
  return run_node(*k, node, opset, ptrs, nullptr);
}

template <class T>
Tensor vec(std::vector<T> v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, shape);
}

template <class T>
Tensor scalar(T v) {
  return Tensor::from_vector(std::vector<T>{v}, {});
}

template <class T>
std::vector<T> values(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

TEST(Elementwise, IntegerDivisionTruncatesAndRejectsZero) {
  auto r = run("Div", {vec<int32_t>({7, -7, INT32_MIN}), vec<int32_t>({2, 2, -1})});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(values<int32_t>((*r)[0]), (std::vector<int32_t>{3, -3, INT32_MIN}));
  auto z = run("Div", {vec<int64_t>({1}), vec<int64_t>({0})});
  EXPECT_FALSE(z.ok());
}

TEST(Elementwise, ModFollowsPythonOrC) {
  auto py = run("Mod", {vec<int32_t>({-4, 4, -4, INT32_MIN}), vec<int32_t>({3, -3, -3, -1})});
  ASSERT_TRUE(py.ok()) << py.error().message();
  EXPECT_EQ(values<int32_t>((*py)[0]), (std::vector<int32_t>{2, -2, -1, 0}));
  auto c = run("Mod", {vec<int32_t>({-4, 4}), vec<int32_t>({3, -3})}, {{"fmod", int64_t{1}}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(values<int32_t>((*c)[0]), (std::vector<int32_t>{-1, 1}));
  EXPECT_FALSE(run("Mod", {vec<uint8_t>({1}), vec<uint8_t>({0})}).ok());
  EXPECT_FALSE(run("Mod", {vec<float>({1}), vec<float>({2})}).ok());  // fmod=0 on floats
}

TEST(Elementwise, IntegerOverflowWraps) {
  auto r = run("Add", {vec<int32_t>({INT32_MAX}), vec<int32_t>({1})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(values<int32_t>((*r)[0])[0], INT32_MIN);
  auto m = run("Mul", {vec<uint16_t>({65535}), vec<uint16_t>({65535})});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(values<uint16_t>((*m)[0])[0], 1);
  auto a = run("Abs", {vec<int8_t>({-128, -5})});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(values<int8_t>((*a)[0]), (std::vector<int8_t>{-128, 5}));
}

TEST(Elementwise, PowMixedTypes) {
  auto r = run("Pow", {vec<int64_t>({2, 2, -1, 1, 3}), vec<int64_t>({10, -1, -3, -5, 2})});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(values<int64_t>((*r)[0]), (std::vector<int64_t>{1024, 0, -1, 1, 9}));
  auto f = run("Pow", {vec<int32_t>({4, 2}), vec<float>({0.5f, 1e10f})});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(values<int32_t>((*f)[0]), (std::vector<int32_t>{2, INT32_MAX}));  // saturates
  auto h = run("Pow", {vec<Float16>({Float16(3.0f)}), vec<uint8_t>({2})});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(static_cast<float>(values<Float16>((*h)[0])[0]), 9.0f);
}

TEST(Elementwise, BitShiftPastWidthGivesZero) {
  auto r = run("BitShift", {vec<uint8_t>({1, 1, 128}), vec<uint8_t>({7, 8, 200})},
               {{"direction", std::string("LEFT")}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(values<uint8_t>((*r)[0]), (std::vector<uint8_t>{128, 0, 0}));
  EXPECT_FALSE(
      run("BitShift", {vec<uint8_t>({1}), vec<uint8_t>({1})}, {{"direction", std::string("UP")}})
          .ok());
}

TEST(Elementwise, LegacyAxisBroadcast) {
  // Opset 6: B of shape [3] aligned at axis 1 of A [2,3,2].
  Tensor a = vec<float>({0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}, {2, 3, 2});
  Tensor b = vec<float>({10, 20, 30});
  auto r = run("Add", {a, b}, {{"broadcast", int64_t{1}}, {"axis", int64_t{1}}}, 6);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(values<float>((*r)[0]),
            (std::vector<float>{10, 10, 20, 20, 30, 30, 11, 11, 21, 21, 31, 31}));
  EXPECT_FALSE(run("Add", {a, b}, {{"broadcast", int64_t{1}}, {"axis", int64_t{2}}}, 6).ok());
  auto eq = run("Equal", {a, b}, {{"broadcast", int64_t{1}}, {"axis", int64_t{1}}}, 6);
  ASSERT_TRUE(eq.ok()) << eq.error().message();
}

TEST(Elementwise, PReluPerChannelBeforeOpset7) {
  Tensor x = vec<float>({-1, -1, -1, -1, -1, -1}, {1, 3, 2});
  auto r = run("PRelu", {x, vec<float>({1, 2, 3})}, {}, 6);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(values<float>((*r)[0]), (std::vector<float>{-1, -1, -2, -2, -3, -3}));
  // Opset 7+: numpy broadcasting, so [3] would meet X's last dimension (2) and fail.
  EXPECT_FALSE(run("PRelu", {x, vec<float>({1, 2, 3})}, {}, 9).ok());
}

TEST(Elementwise, ClipAttributesAndInputs) {
  auto old = run("Clip", {vec<float>({-5, 0, 5})}, {{"min", -1.0f}, {"max", 2.0f}}, 6);
  ASSERT_TRUE(old.ok()) << old.error().message();
  EXPECT_EQ(values<float>((*old)[0]), (std::vector<float>{-1, 0, 2}));
  auto ints = run("Clip", {vec<int32_t>({-5, 0, 5}), scalar<int32_t>(3), scalar<int32_t>(1)});
  ASSERT_TRUE(ints.ok()) << ints.error().message();
  EXPECT_EQ(values<int32_t>((*ints)[0]), (std::vector<int32_t>{1, 1, 1}));  // max wins
  auto only_max = run("Clip", {vec<uint8_t>({1, 9}), Tensor(), scalar<uint8_t>(4)});
  ASSERT_TRUE(only_max.ok()) << only_max.error().message();
  EXPECT_EQ(values<uint8_t>((*only_max)[0]), (std::vector<uint8_t>{1, 4}));
  EXPECT_FALSE(run("Clip", {vec<float>({1}), vec<float>({1, 2})}).ok());
}

TEST(Elementwise, RoundHalfToEven) {
  auto r = run("Round", {vec<double>({0.5, 1.5, 2.5, -2.5, -0.4, 3.7})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(values<double>((*r)[0]), (std::vector<double>{0, 2, 2, -2, -0.0, 4}));
}

TEST(Elementwise, IsInfDetectsEachSign) {
  const float inf = std::numeric_limits<float>::infinity();
  auto r = run("IsInf", {vec<float>({inf, -inf, 1, NAN})}, {{"detect_positive", int64_t{0}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(values<bool>((*r)[0]), (std::vector<bool>{false, true, false, false}));
}

TEST(Cast, FloatToIntegerSaturates) {
  auto r = run("Cast", {vec<float>({NAN, 1e20f, -1e20f, -2.7f, 2.7f})},
               {{"to", static_cast<int64_t>(DType::kInt32)}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(values<int32_t>((*r)[0]), (std::vector<int32_t>{0, INT32_MAX, INT32_MIN, -2, 2}));
  auto u = run("Cast", {vec<double>({-1.0, 300.0, 1e300})},
               {{"to", static_cast<int64_t>(DType::kUInt8)}});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(values<uint8_t>((*u)[0]), (std::vector<uint8_t>{0, 255, 255}));
  auto l =
      run("Cast", {vec<double>({9.3e18, -9.3e18})}, {{"to", static_cast<int64_t>(DType::kInt64)}});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(values<int64_t>((*l)[0]), (std::vector<int64_t>{INT64_MAX, INT64_MIN}));
}

TEST(Cast, DoubleToHalfRoundsOnce) {
  // Just above the tie between 1 and 1 + 2^-10: through float it would round to 1.
  const double d = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  auto r = run("Cast", {vec<double>({d})}, {{"to", static_cast<int64_t>(DType::kFloat16)}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(values<Float16>((*r)[0])[0].bits, 0x3c01);
}

TEST(Cast, StringTypeNameBeforeOpset6AndBool) {
  auto r = run("Cast", {vec<float>({0.0f, -0.5f, NAN})}, {{"to", std::string("BOOL")}}, 1);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(values<bool>((*r)[0]), (std::vector<bool>{false, true, true}));
  auto b =
      run("Cast", {vec<bool>({true, false})}, {{"to", static_cast<int64_t>(DType::kBFloat16)}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(static_cast<float>(values<BFloat16>((*b)[0])[0]), 1.0f);
  EXPECT_FALSE(run("Cast", {vec<float>({1})}, {{"to", int64_t{8}}}).ok());  // string
}

TEST(Softmax, CoercesTo2DBeforeOpset13) {
  Tensor x = vec<float>({0, 0, 0, 0, 0, 0}, {2, 3});
  auto old = run("Softmax", {x}, {{"axis", int64_t{0}}}, 11);
  ASSERT_TRUE(old.ok());
  for (float v : values<float>((*old)[0])) EXPECT_NEAR(v, 1.0f / 6, 1e-6);
  auto now = run("Softmax", {x}, {{"axis", int64_t{0}}}, 13);
  ASSERT_TRUE(now.ok());
  for (float v : values<float>((*now)[0])) EXPECT_NEAR(v, 0.5f, 1e-6);
  auto hm = run("Hardmax", {vec<float>({1, 3, 3, 2, 0, 1}, {2, 3})}, {{"axis", int64_t{0}}}, 13);
  ASSERT_TRUE(hm.ok());
  EXPECT_EQ(values<float>((*hm)[0]), (std::vector<float>{0, 1, 1, 1, 0, 0}));
  EXPECT_FALSE(run("Softmax", {x}, {{"axis", int64_t{2}}}, 13).ok());
}

TEST(Dropout, InferenceAndTrainingWithZeroRatio) {
  Tensor x = vec<float>({1, 2});
  auto old = run("Dropout", {x}, {{"ratio", 0.3f}}, 7, 2);
  ASSERT_TRUE(old.ok()) << old.error().message();
  EXPECT_EQ((*old)[1].dtype(), DType::kFloat32);  // the mask had the data's type before 10
  EXPECT_EQ(values<float>((*old)[1]), (std::vector<float>{1, 1}));
  auto zero = run("Dropout", {x, scalar<float>(0.0f), scalar<bool>(true)}, {}, 13, 2);
  ASSERT_TRUE(zero.ok()) << zero.error().message();
  EXPECT_EQ(values<float>((*zero)[0]), (std::vector<float>{1, 2}));
  EXPECT_EQ(values<bool>((*zero)[1]), (std::vector<bool>{true, true}));
  auto train = run("Dropout", {x, scalar<float>(0.5f), scalar<bool>(true)}, {}, 13, 2);
  ASSERT_FALSE(train.ok());
  EXPECT_EQ(train.error().code(), ErrorCode::kUnsupported);
}

TEST(Elementwise, VariadicAndWhereBroadcast) {
  auto m = run("Mean", {vec<float>({1, 2}, {2, 1}), vec<float>({3, 4, 5}), scalar<float>(2)});
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ((*m)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(values<float>((*m)[0]),
            (std::vector<float>{2, 7.0f / 3, 8.0f / 3, 7.0f / 3, 8.0f / 3, 3}));
  auto mx = run("Max", {vec<float>({1, NAN}), scalar<float>(1.5f)});
  ASSERT_TRUE(mx.ok());
  EXPECT_EQ(values<float>((*mx)[0])[0], 1.5f);
  EXPECT_TRUE(std::isnan(values<float>((*mx)[0])[1]));
  auto w =
      run("Where", {vec<bool>({true, false}, {2, 1}), vec<int64_t>({1, 2, 3}), scalar<int64_t>(0)});
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(values<int64_t>((*w)[0]), (std::vector<int64_t>{1, 2, 3, 0, 0, 0}));
}

TEST(Elementwise, RejectsTypesOutsideTheSpec) {
  EXPECT_FALSE(run("Sqrt", {vec<int32_t>({4})}).ok());
  EXPECT_FALSE(run("Add", {vec<float>({1}), vec<double>({1})}).ok());
  EXPECT_FALSE(run("And", {vec<int32_t>({1}), vec<int32_t>({1})}).ok());
  EXPECT_FALSE(run("Add", {vec<float>({1, 2}), vec<float>({1, 2, 3})}).ok());
}

}  // namespace
}  // namespace ledge
