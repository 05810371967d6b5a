// ledge's integer matrix product (src/kernels/qgemm.h): every path this CPU has, bit for bit
// against qgemm_reference and against a triple loop written here from the ONNX definition,
// on shapes that leave partial register tiles, partial panels and partial depth steps; the
// same for the float-output form (qgemm_f32).
#include "kernels/qgemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops/quant_common.h"
#include "runtime/thread_pool.h"

namespace ledge {
namespace {

// One product's operands, unpacked: A [m][lda], W [n][k].
struct Problem {
  size_t m = 0, n = 0, k = 0, lda = 0, ldc = 0;
  std::vector<uint8_t> a;
  std::vector<int8_t> w;
  std::vector<int32_t> bias;  // empty: none
  std::vector<float> multiplier;
  int32_t a_zero_point = 0, y_zero_point = 0;

  QGemmRequant requant() const {
    QGemmRequant r;
    r.bias = bias.empty() ? nullptr : bias.data();
    r.multiplier = multiplier.data();
    r.a_zero_point = a_zero_point;
    r.y_zero_point = y_zero_point;
    // The promise that lets the vector paths skip the NaN test, wherever it holds: both
    // epilogues are then checked against the reference.
    r.multipliers_finite =
        std::all_of(multiplier.begin(), multiplier.end(), [](float v) { return std::isfinite(v); });
    return r;
  }
};

// What differs between the two forms of the product: C's element type, the functions, and
// the epilogue as the ONNX definition (uint8) or ledge.QFullyConnected (float) writes it.
template <class Out>
struct Form;

template <>
struct Form<uint8_t> {
  static constexpr const char* kName = "uint8";
  static uint8_t sentinel() { return 0xA5; }
  static uint8_t from_acc(int32_t acc, float multiplier, int32_t y_zero_point) {
    return quant::saturate_round<uint8_t, float>(static_cast<float>(acc) * multiplier,
                                                 y_zero_point);
  }
  static std::vector<QGemmPath> paths() { return qgemm_paths(); }
  static constexpr auto reference = qgemm_reference;
};

template <>
struct Form<float> {
  static constexpr const char* kName = "float";
  // A signaling NaN with a payload: no product gives it.
  static float sentinel() { return std::bit_cast<float>(0x7fa5a5a5u); }
  static float from_acc(int32_t acc, float multiplier, int32_t /*y_zero_point*/) {
    return static_cast<float>(acc) * multiplier;
  }
  static std::vector<QGemmF32Path> paths() { return qgemm_f32_paths(); }
  static constexpr auto reference = qgemm_f32_reference;
};

// The bits of a result: float results must match bit for bit (-0, NaN payloads included).
uint32_t bits(uint8_t v) { return v; }
uint32_t bits(float v) { return std::bit_cast<uint32_t>(v); }

// QLinearConv / QLinearMatMul (or the float-output QFullyConnected) straight from the
// definition, on the unpacked weights.
template <class Out = uint8_t>
std::vector<Out> triple_loop(const Problem& p) {
  std::vector<Out> c(p.m * p.n);
  for (size_t i = 0; i < p.m; ++i)
    for (size_t j = 0; j < p.n; ++j) {
      int32_t acc = 0;
      for (size_t q = 0; q < p.k; ++q)
        acc = quant::wrap_add(
            acc, (static_cast<int32_t>(p.a[i * p.lda + q]) - p.a_zero_point) * p.w[j * p.k + q]);
      if (!p.bias.empty()) acc = quant::wrap_add(acc, p.bias[j]);
      c[i * p.n + j] = Form<Out>::from_acc(acc, p.multiplier[j], p.y_zero_point);
    }
  return c;
}

// Runs fn on p into a C of ldc columns filled with the sentinel (C's elements past column
// n must keep it); checks the padding and returns the m x n result.
template <class Out, class Fn>
std::vector<Out> run(const Problem& p, const QGemmWeights& w, Fn&& fn) {
  const Out sentinel = Form<Out>::sentinel();
  std::vector<Out> c(p.m * p.ldc, sentinel);
  fn(p.a.data(), w, p.requant(), c.data());
  std::vector<Out> out(p.m * p.n);
  for (size_t i = 0; i < p.m; ++i) {
    for (size_t j = 0; j < p.n; ++j) out[i * p.n + j] = c[i * p.ldc + j];
    for (size_t j = p.n; j < p.ldc; ++j)
      EXPECT_EQ(bits(c[i * p.ldc + j]), bits(sentinel)) << "row " << i << " padding column " << j;
  }
  return out;
}

// The first element where got and want differ in their bits, or npos.
template <class Out>
size_t first_difference(const std::vector<Out>& got, const std::vector<Out>& want) {
  for (size_t e = 0; e < want.size(); ++e)
    if (bits(got[e]) != bits(want[e])) return e;
  return std::string::npos;
}

// Every path against the reference and the triple loop; the first mismatch is reported.
template <class Out = uint8_t>
void expect_every_path_exact(const Problem& p, const std::string& what) {
  auto packed = qgemm_pack(p.w.data(), p.n, p.k);
  ASSERT_TRUE(packed.ok());
  const QGemmWeights& w = *packed;
  const std::vector<Out> want = triple_loop<Out>(p);
  const std::vector<Out> reference =
      run<Out>(p, w, [&](const uint8_t* a, const QGemmWeights& ww, const QGemmRequant& r, Out* c) {
        Form<Out>::reference(p.m, a, p.lda, ww, r, c, p.ldc);
      });
  ASSERT_EQ(first_difference(reference, want), std::string::npos)
      << what << ": the " << Form<Out>::kName << " reference differs from the triple loop";
  for (const auto& path : Form<Out>::paths()) {
    const std::vector<Out> got = run<Out>(
        p, w, [&](const uint8_t* a, const QGemmWeights& ww, const QGemmRequant& r, Out* c) {
          path.fn(p.m, a, p.lda, ww, r, c, p.ldc);
        });
    const size_t e = first_difference(got, want);
    ASSERT_EQ(e, std::string::npos)
        << what << " " << Form<Out>::kName << " path " << path.name << " row " << e / p.n
        << " column " << e % p.n << ": " << +got[e] << " instead of " << +want[e];
  }
}

struct Random {
  std::mt19937 rng;
  explicit Random(unsigned seed) : rng(seed) {}
  size_t size(size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(rng); }
  int integer(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  float log_uniform(float lo, float hi) {
    return std::exp(std::uniform_real_distribution<float>(std::log(lo), std::log(hi))(rng));
  }
};

// tight: rows of A exactly k bytes apart, so that AddressSanitizer sees any read past the
// last row's k-th byte.
Problem random_problem(Random& rnd, size_t m, size_t n, size_t k, bool tight = false) {
  Problem p;
  p.m = m, p.n = n, p.k = k;
  p.lda = tight ? k : k + rnd.size(0, 5);
  p.ldc = n + rnd.size(0, 5);
  p.a.resize(m * p.lda);
  for (uint8_t& v : p.a) v = static_cast<uint8_t>(rnd.integer(0, 255));
  p.w.resize(n * k);
  for (int8_t& v : p.w) v = static_cast<int8_t>(rnd.integer(-128, 127));
  p.a_zero_point = rnd.integer(0, 255);
  p.y_zero_point = rnd.integer(0, 255);
  // Typical multipliers keep most results inside 0..255; a few large ones saturate.
  p.multiplier.resize(n);
  for (float& v : p.multiplier) v = rnd.log_uniform(1e-4f, 1e-1f);
  for (size_t j = 0; j < n; j += 7) p.multiplier[j] = rnd.log_uniform(1.f, 100.f);
  return p;
}

TEST(QGemm, PathsAreListedBestFirstWithTheReferenceLast) {
  const auto paths = qgemm_paths();
  ASSERT_FALSE(paths.empty());
  EXPECT_STREQ(paths.back().name, "reference");
  for (const QGemmPath& path : paths) std::printf("qgemm path: %s\n", path.name);
}

TEST(QGemm, EveryPathIsExactOnRandomShapes) {
  Random rnd(11);
  for (int trial = 0; trial < 80; ++trial) {
    const size_t m = rnd.size(1, 40), n = rnd.size(1, 80), k = rnd.size(1, 300);
    Problem p = random_problem(rnd, m, n, k);
    if (trial % 2) {  // with a bias half of the time, of any int32 value
      p.bias.resize(n);
      for (int32_t& v : p.bias) v = rnd.integer(-100000, 100000);
    }
    expect_every_path_exact(p, "trial " + std::to_string(trial) + " m " + std::to_string(m) +
                                   " n " + std::to_string(n) + " k " + std::to_string(k));
  }
}

// Every width of the last panel (1..32 columns past whole panels), every depth tail and
// every row tail of the tiles.
TEST(QGemm, EveryPathIsExactOnEveryTail) {
  Random rnd(12);
  for (size_t n : {1, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 80})
    for (size_t k : {1, 2, 3, 4, 5, 7, 8, 67})
      for (size_t m : {1, 5, 7, 8, 9, 13, 17}) {
        Problem p = random_problem(rnd, m, n, k, /*tight=*/true);
        p.bias.resize(n);
        for (int32_t& v : p.bias) v = rnd.integer(-5000, 5000);
        expect_every_path_exact(
            p, "m " + std::to_string(m) + " n " + std::to_string(n) + " k " + std::to_string(k));
      }
}

// Extreme operands: A all 255 and W all -128 or 127 with a long depth drive the int32
// accumulator (and the bias addition) around 2^32, where only modular arithmetic agrees.
TEST(QGemm, EveryPathWrapsAndSaturatesLikeTheReference) {
  Random rnd(13);
  for (int trial = 0; trial < 12; ++trial) {
    const size_t m = rnd.size(1, 20), n = rnd.size(1, 70), k = rnd.size(1, 300);
    Problem p = random_problem(rnd, m, n, k);
    std::fill(p.a.begin(), p.a.end(), uint8_t{255});
    for (size_t j = 0; j < n; ++j)
      for (size_t q = 0; q < k; ++q) p.w[j * k + q] = (j + trial) % 2 ? int8_t{127} : int8_t{-128};
    p.a_zero_point = trial % 3 == 0 ? 0 : (trial % 3 == 1 ? 255 : 128);
    p.bias.resize(n);
    // Biases near the int32 limits: acc + bias wraps for either sign of acc.
    for (size_t j = 0; j < n; ++j)
      p.bias[j] = j % 3 == 0   ? std::numeric_limits<int32_t>::max() - rnd.integer(0, 1000)
                  : j % 3 == 1 ? std::numeric_limits<int32_t>::min() + rnd.integer(0, 1000)
                               : rnd.integer(-1000, 1000);
    for (size_t j = 0; j < n; ++j)  // from far below the range to far above it
      p.multiplier[j] = rnd.log_uniform(1e-9f, 1.f);
    expect_every_path_exact(p, "extreme trial " + std::to_string(trial));
  }
  // A depth of 70001 makes the sum itself pass 2^31: 255 * 127 * 70001 > 2^31 - 1.
  for (int8_t wv : {int8_t{127}, int8_t{-128}}) {
    Problem p = random_problem(rnd, 3, 33, 70001, /*tight=*/true);
    std::fill(p.a.begin(), p.a.end(), uint8_t{255});
    std::fill(p.w.begin(), p.w.end(), wv);
    p.a_zero_point = 0;
    for (size_t j = 0; j < p.n; ++j) p.multiplier[j] = rnd.log_uniform(1e-9f, 1e-6f);
    expect_every_path_exact(p, "depth 70001, W " + std::to_string(wv));
  }
}

// Results that land exactly halfway between two integers round to the even one, and
// multipliers outside the usual range (huge, zero, subnormal, infinite, NaN) give what
// saturate_round gives.
TEST(QGemm, EveryPathRoundsTiesToEvenAndHandlesAnyMultiplier) {
  Random rnd(14);
  Problem p = random_problem(rnd, 11, 37, 9);
  p.a_zero_point = 0;
  p.y_zero_point = 100;
  // acc = bias (W all zero): bias[j] * 0.5 is a tie for every odd bias.
  std::fill(p.w.begin(), p.w.end(), int8_t{0});
  p.bias.resize(p.n);
  for (size_t j = 0; j < p.n; ++j) p.bias[j] = static_cast<int32_t>(j) - 18;
  std::fill(p.multiplier.begin(), p.multiplier.end(), 0.5f);
  expect_every_path_exact(p, "ties");

  Problem q = random_problem(rnd, 9, 40, 50);
  const float odd[] = {0.f,
                       -0.f,
                       1e30f,
                       std::numeric_limits<float>::denorm_min(),
                       std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity(),
                       std::numeric_limits<float>::quiet_NaN(),
                       -0.25f};
  for (size_t j = 0; j < q.n; ++j) q.multiplier[j] = odd[j % 8];
  expect_every_path_exact(q, "odd multipliers");
}

// Depth 0 (an empty sum): the result is the requantized bias.
TEST(QGemm, EveryPathHandlesAnEmptyDepth) {
  Random rnd(15);
  Problem p = random_problem(rnd, 10, 20, 0);
  p.bias.resize(p.n);
  for (int32_t& v : p.bias) v = rnd.integer(-3000, 3000);
  expect_every_path_exact(p, "k 0");
}

TEST(QGemm, PackedLayoutMatchesTheIndexAndTheColumnSums) {
  Random rnd(16);
  const size_t n = 45, k = 13;
  std::vector<int8_t> w(n * k);
  for (int8_t& v : w) v = static_cast<int8_t>(rnd.integer(-128, 127));
  auto packed = qgemm_pack(w.data(), n, k);
  ASSERT_TRUE(packed.ok());
  EXPECT_EQ(packed->k4, 16u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(packed->panels) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(packed->column_sums) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<const int8_t*>(packed->column_sums),
            packed->panels + qgemm_packed_size(n, k));
  for (size_t j = 0; j < 64; ++j) {
    int32_t sum = 0;
    for (size_t p = 0; p < 16; ++p) {
      const int8_t want = j < n && p < k ? w[j * k + p] : int8_t{0};
      EXPECT_EQ(packed->panels[qgemm_packed_index(packed->k4, j, p)], want);
      sum += want;
    }
    EXPECT_EQ(packed->column_sums[j], sum) << "column " << j;
  }
  // Unpacking gives w back.
  std::vector<int8_t> back(n * k);
  qgemm_unpack(packed->panels, n, k, back.data());
  EXPECT_EQ(back, w);
}

// Split over two threads in blocks of rows and panels: the same result as in one call.
TEST(QGemm, ParallelSplitGivesTheSameResult) {
  ThreadPool pool(2);
  Random rnd(17);
  for (size_t m : {1, 49, 63, 64, 65, 200})
    for (size_t n : {7, 128, 129, 160, 300}) {
      Problem p = random_problem(rnd, m, n, 37);
      p.bias.resize(n);
      for (int32_t& v : p.bias) v = rnd.integer(-5000, 5000);
      auto packed = qgemm_pack(p.w.data(), p.n, p.k);
      ASSERT_TRUE(packed.ok());
      const auto one =
          run<uint8_t>(p, *packed,
                       [&](const uint8_t* a, const QGemmWeights& w, const QGemmRequant& r,
                           uint8_t* c) { qgemm(p.m, a, p.lda, w, r, c, p.ldc); });
      const auto split = run<uint8_t>(
          p, *packed,
          [&](const uint8_t* a, const QGemmWeights& w, const QGemmRequant& r, uint8_t* c) {
            qgemm_parallel(pool.handle(), p.m, a, p.lda, w, r, c, p.ldc);
          });
      EXPECT_EQ(one, split) << "m " << m << " n " << n;
      EXPECT_EQ(one, triple_loop(p)) << "m " << m << " n " << n;
    }
}

// ---------------------------------------------------------------------------------------------
// The float-output form, qgemm_f32: C = float(acc) * multiplier, bit for bit.

TEST(QGemm, FloatOutputHasTheSamePaths) {
  const auto paths = qgemm_paths();
  const auto f32 = qgemm_f32_paths();
  ASSERT_EQ(f32.size(), paths.size());
  for (size_t i = 0; i < paths.size(); ++i) EXPECT_STREQ(f32[i].name, paths[i].name);
}

// Multipliers of either sign (a negative one turns acc 0 into -0.f), and a bias half of the
// time; y_zero_point is random and must not matter.
TEST(QGemm, FloatOutputIsExactOnRandomShapes) {
  Random rnd(21);
  for (int trial = 0; trial < 80; ++trial) {
    const size_t m = rnd.size(1, 40), n = rnd.size(1, 80), k = rnd.size(1, 300);
    Problem p = random_problem(rnd, m, n, k);
    for (float& v : p.multiplier)
      if (rnd.integer(0, 3) == 0) v = -v;
    if (trial % 2) {
      p.bias.resize(n);
      for (int32_t& v : p.bias) v = rnd.integer(-100000, 100000);
    }
    expect_every_path_exact<float>(p, "trial " + std::to_string(trial) + " m " + std::to_string(m) +
                                          " n " + std::to_string(n) + " k " + std::to_string(k));
  }
}

TEST(QGemm, FloatOutputIsExactOnEveryTail) {
  Random rnd(22);
  for (size_t n : {1, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 80})
    for (size_t k : {0, 1, 2, 3, 4, 5, 7, 8, 67})
      for (size_t m : {1, 5, 6, 7, 8, 9, 13, 17}) {
        Problem p = random_problem(rnd, m, n, k, /*tight=*/true);
        if ((m + n + k) % 2) {
          p.bias.resize(n);
          for (int32_t& v : p.bias) v = rnd.integer(-5000, 5000);
        }
        expect_every_path_exact<float>(
            p, "m " + std::to_string(m) + " n " + std::to_string(n) + " k " + std::to_string(k));
      }
}

// Accumulators that wrap around 2^32 (A all 255, W all -128 or 127, biases near the int32
// limits, a depth past 2^31 / (255 * 127)), and multipliers of every kind: their products
// are large, infinite, -0 or NaN exactly as in C++.
TEST(QGemm, FloatOutputWrapsAndHandlesAnyMultiplier) {
  Random rnd(23);
  const float odd[] = {0.f,
                       -0.f,
                       1e30f,
                       std::numeric_limits<float>::denorm_min(),
                       std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity(),
                       std::numeric_limits<float>::quiet_NaN(),
                       -0.25f,
                       std::numeric_limits<float>::max()};
  for (int trial = 0; trial < 12; ++trial) {
    const size_t m = rnd.size(1, 20), n = rnd.size(1, 70), k = rnd.size(1, 300);
    Problem p = random_problem(rnd, m, n, k);
    std::fill(p.a.begin(), p.a.end(), uint8_t{255});
    for (size_t j = 0; j < n; ++j)
      for (size_t q = 0; q < k; ++q) p.w[j * k + q] = (j + trial) % 2 ? int8_t{127} : int8_t{-128};
    p.a_zero_point = trial % 3 == 0 ? 0 : (trial % 3 == 1 ? 255 : 128);
    p.bias.resize(n);
    for (size_t j = 0; j < n; ++j)
      p.bias[j] = j % 3 == 0   ? std::numeric_limits<int32_t>::max() - rnd.integer(0, 1000)
                  : j % 3 == 1 ? std::numeric_limits<int32_t>::min() + rnd.integer(0, 1000)
                               : rnd.integer(-1000, 1000);
    for (size_t j = 0; j < n; ++j)
      p.multiplier[j] = trial % 2 ? odd[j % 9] : rnd.log_uniform(1e-9f, 1.f);
    expect_every_path_exact<float>(p, "extreme trial " + std::to_string(trial));
  }
  for (int8_t wv : {int8_t{127}, int8_t{-128}}) {
    Problem p = random_problem(rnd, 3, 33, 70001, /*tight=*/true);
    std::fill(p.a.begin(), p.a.end(), uint8_t{255});
    std::fill(p.w.begin(), p.w.end(), wv);
    p.a_zero_point = 0;
    expect_every_path_exact<float>(p, "depth 70001, W " + std::to_string(wv));
  }
}

// Split over two threads in blocks of rows and panels: the same bits as in one call.
TEST(QGemm, FloatOutputParallelSplitGivesTheSameResult) {
  ThreadPool pool(2);
  Random rnd(24);
  for (size_t m : {1, 49, 63, 64, 65, 200})
    for (size_t n : {7, 128, 129, 160, 300}) {
      Problem p = random_problem(rnd, m, n, 37);
      p.bias.resize(n);
      for (int32_t& v : p.bias) v = rnd.integer(-5000, 5000);
      auto packed = qgemm_pack(p.w.data(), p.n, p.k);
      ASSERT_TRUE(packed.ok());
      const auto one =
          run<float>(p, *packed,
                     [&](const uint8_t* a, const QGemmWeights& w, const QGemmRequant& r, float* c) {
                       qgemm_f32(p.m, a, p.lda, w, r, c, p.ldc);
                     });
      const auto split =
          run<float>(p, *packed,
                     [&](const uint8_t* a, const QGemmWeights& w, const QGemmRequant& r, float* c) {
                       qgemm_f32_parallel(pool.handle(), p.m, a, p.lda, w, r, c, p.ldc);
                     });
      EXPECT_EQ(first_difference(split, one), std::string::npos) << "m " << m << " n " << n;
      EXPECT_EQ(first_difference(one, triple_loop<float>(p)), std::string::npos)
          << "m " << m << " n " << n;
    }
}

}  // namespace
}  // namespace ledge
