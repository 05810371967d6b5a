// Helpers of the integer-path tests: random 8-bit tensors, one-shot sessions, and a
// byte-for-byte comparison (fast integer kernels must equal their references exactly).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <type_traits>

#include "runtime/session.h"

namespace ledge::testing {

template <class T>
Tensor random_ints(Shape shape, std::mt19937& rng, int lo, int hi) {
  Tensor t = *Tensor::make(std::is_same_v<T, uint8_t> ? DType::kUInt8 : DType::kInt8, shape);
  std::uniform_int_distribution<int> d(lo, hi);
  for (T& v : t.span<T>()) v = static_cast<T>(d(rng));
  return t;
}

inline Tensor scalar_f(float v) { return Tensor::from_vector<float>({v}, {}); }

// Runs m once; with optimize, expects at least min_fast nodes on fast kernels.
inline Tensor run_one(const std::shared_ptr<Model>& m, const std::map<std::string, Tensor>& feeds,
                      bool optimize, size_t min_fast = 0) {
  SessionOptions o;
  o.optimize = optimize;
  auto s = Session::create(m, o);
  EXPECT_TRUE(s.ok()) << s.error().message();
  if (!s.ok()) return Tensor();
  EXPECT_GE((*s)->stats().fast_nodes, min_fast);
  auto out = (*s)->run(feeds);
  EXPECT_TRUE(out.ok()) << out.error().message();
  return out.ok() ? (*out)[0] : Tensor();
}

inline void expect_same_bytes(const Tensor& want, const Tensor& got, const std::string& what) {
  ASSERT_EQ(want.dtype(), got.dtype()) << what;
  ASSERT_EQ(want.shape(), got.shape()) << what;
  const auto* a = static_cast<const uint8_t*>(want.raw());
  const auto* b = static_cast<const uint8_t*>(got.raw());
  size_t differ = 0, first = 0;
  for (size_t i = 0; i < want.nbytes(); ++i)
    if (a[i] != b[i] && differ++ == 0) first = i;
  EXPECT_EQ(differ, 0u) << what << ": first difference at byte " << first;
}

}  // namespace ledge::testing
