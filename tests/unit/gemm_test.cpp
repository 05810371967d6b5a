// ledge's own GEMM (src/kernels/gemm.h): every vector path this CPU has against a plain
// triple loop, on sizes that leave partial register tiles and partial panels.
#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/memory.h"
#include "kernels/gemm_blocks.h"
#include "runtime/thread_pool.h"

namespace ledge {
namespace {

TEST(Gemm, EveryPathMatchesATripleLoop) {
  std::mt19937 rng(3);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::uniform_real_distribution<float> value(-1.f, 1.f);
  const auto paths = gemm_paths();
  ASSERT_FALSE(paths.empty());
  EXPECT_STREQ(paths.back().name, "reference");
  for (int trial = 0; trial < 60; ++trial) {
    const size_t m = static_cast<size_t>(pick(1, 40)), n = static_cast<size_t>(pick(1, 80)),
                 k = static_cast<size_t>(pick(1, 70));
    const size_t lda = k + static_cast<size_t>(pick(0, 5)),
                 ldc = n + static_cast<size_t>(pick(0, 5));
    std::vector<float> a(m * lda), b(k * n);
    for (float& v : a) v = value(rng);
    for (float& v : b) v = value(rng);
    auto* packed = static_cast<float*>(allocate_block(gemm_packed_size(k, n) * sizeof(float)));
    ASSERT_NE(packed, nullptr);
    for (size_t p = 0; p < k; ++p)
      for (size_t j = 0; j < n; ++j) packed[gemm_packed_index(k, p, j)] = b[p * n + j];
    std::vector<float> bias(n);
    for (float& v : bias) v = value(rng);
    GemmEpilogue epilogue;  // alternately none, bias, bias and Relu6-like clamp
    if (trial % 3 >= 1) epilogue.bias = bias.data();
    if (trial % 3 == 2) epilogue.min = -0.5f, epilogue.max = 2.f;
    for (const GemmPath& path : paths) {
      SCOPED_TRACE(std::string(path.name) + " m " + std::to_string(m) + " n " + std::to_string(n) +
                   " k " + std::to_string(k));
      const float sentinel = 12345.f;  // the padding columns of C must stay untouched
      std::vector<float> c(m * ldc, sentinel);
      path.fn(m, n, k, a.data(), lda, packed, c.data(), ldc, epilogue);
      double worst = 0;
      for (size_t i = 0; i < m; ++i) {
        for (size_t j = 0; j < n; ++j) {
          double want = 0;
          for (size_t p = 0; p < k; ++p) want += double(a[i * lda + p]) * b[p * n + j];
          if (epilogue.bias) want += epilogue.bias[j];
          want = std::min<double>(std::max<double>(want, epilogue.min), epilogue.max);
          worst = std::max(worst, std::fabs(want - c[i * ldc + j]));
        }
        for (size_t j = n; j < ldc; ++j) ASSERT_EQ(c[i * ldc + j], sentinel);
      }
      EXPECT_LE(worst, 1e-4);
    }
    free_block(packed);
  }
}

// Split over two threads in blocks of rows and panels: the same result as in one call.
TEST(Gemm, ParallelSplitGivesTheSameResult) {
  ThreadPool pool(2);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> value(-1.f, 1.f);
  for (size_t m : {1, 49, 63, 64, 65, 300})
    for (size_t n : {7, 128, 129, 160, 300}) {
      const size_t k = 37;
      std::vector<float> a(m * k), bias(n);
      for (float& v : a) v = value(rng);
      for (float& v : bias) v = value(rng);
      auto* packed = static_cast<float*>(allocate_block(gemm_packed_size(k, n) * sizeof(float)));
      ASSERT_NE(packed, nullptr);
      for (size_t p = 0; p < k; ++p)
        for (size_t j = 0; j < n; ++j) packed[gemm_packed_index(k, p, j)] = value(rng);
      GemmEpilogue e;
      e.bias = bias.data();
      e.min = 0.f;
      std::vector<float> one(m * n), split(m * n, -1.f);
      gemm(m, n, k, a.data(), k, packed, one.data(), n, e);
      gemm_parallel(pool.handle(), m, n, k, a.data(), k, packed, split.data(), n, e);
      EXPECT_EQ(one, split) << "m " << m << " n " << n;
      free_block(packed);
    }
}

}  // namespace
}  // namespace ledge

namespace ledge {
namespace {

// The tiled packer writes exactly what the layout's index says, zeros past n untouched.
TEST(Gemm, PackingColumnsFollowsThePackedIndex) {
  std::mt19937 rng(3);
  for (auto [n, k] : {std::pair<size_t, size_t>{1, 1}, {31, 17}, {32, 16}, {33, 15}, {70, 200}}) {
    std::vector<float> w(n * k);
    for (float& v : w) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    std::vector<float> want(gemm_packed_size(k, n), 0.f), got(want.size(), 0.f);
    for (size_t j = 0; j < n; ++j)
      for (size_t p = 0; p < k; ++p) want[gemm_packed_index(k, p, j)] = w[j * k + p];
    gemm_pack_columns(w.data(), n, k, got.data());
    EXPECT_EQ(got, want) << n << " columns, depth " << k;
  }
}

// The blocks cover C exactly (no block starts past the end) and hold whole row tiles; with
// several threads the busiest thread's share is no larger than with any split of the old
// search (2 to 8 row tiles, 1 to 4 panels), and within one block of an even split where the
// matrix has enough row tiles and panels.
TEST(GemmBlocks, CoverTheProductAndBalanceTheThreads) {
  for (size_t m : {1, 7, 49, 64, 65, 196, 3136, 12544})
    for (size_t panels : {1, 2, 3, 5, 10, 16, 30})
      for (size_t threads : {1, 2, 4}) {
        const GemmBlocks b = gemm_blocks(m, panels, threads, 8);
        SCOPED_TRACE(testing::Message() << m << " rows, " << panels << " panels, " << threads);
        EXPECT_EQ(b.rows % 8, 0u);
        EXPECT_GE(b.row_blocks * b.rows, m);
        EXPECT_LT((b.row_blocks - 1) * b.rows, m);
        EXPECT_GE(b.panel_blocks * b.panels, panels);
        EXPECT_LT((b.panel_blocks - 1) * b.panels, panels);
        EXPECT_LE(b.panels, 8u);
        EXPECT_LE(b.rows, 64u);
        if (threads == 1) {
          EXPECT_LE(b.panels, 4u);
          continue;
        }
        const size_t share = gemm_detail::busiest_share(b, threads, 8);
        for (size_t tiles = 2; tiles <= 8; ++tiles)
          for (size_t per = 1; per <= 4; ++per)
            EXPECT_LE(share, gemm_detail::busiest_share(
                                 gemm_detail::shape(m, panels, 8, tiles, per), threads, 8))
                << tiles << " tiles, " << per << " panels";
        const size_t tiles = (m + 7) / 8;
        if (tiles * panels >= 4 * threads) {
          const size_t even = (tiles * panels + threads - 1) / threads;
          EXPECT_LE(share, even + b.rows / 8 * b.panels) << "even share " << even;
        }
      }  // mobilenet_v2's 960-to-320 projections at 7x7 (49 rows, 10 panels) on two threads: two
  // blocks of 5 panels, not 3+3+3+1.
  EXPECT_EQ(gemm_detail::busiest_share(gemm_blocks(49, 10, 2, 8), 2, 8), 7u * 5u);
}

}  // namespace
}  // namespace ledge
