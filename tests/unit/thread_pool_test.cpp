// ledge's pthreadpool (src/runtime/pthreadpool.cpp): every item exactly once, tiles of the
// right sizes, back-to-back and concurrent jobs, the denormals flag, and pools started and
// stopped at once.
#include "runtime/thread_pool.h"

#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

struct PoolDeleter {
  void operator()(pthreadpool* p) const { pthreadpool_destroy(p); }
};
using Pool = std::unique_ptr<pthreadpool, PoolDeleter>;

// Calls recorded from any thread: the arguments after the context, and how often.
struct Calls {
  std::mutex mutex;
  std::map<std::vector<size_t>, int> seen;
  void add(std::vector<size_t> args) {
    std::lock_guard<std::mutex> lock(mutex);
    ++seen[std::move(args)];
  }
};

// What a serial loop over the same grid would call, once each.
std::map<std::vector<size_t>, int> expected_2d_tile_2d(size_t ri, size_t rj, size_t ti, size_t tj) {
  std::map<std::vector<size_t>, int> calls;
  for (size_t i = 0; i < ri; i += ti)
    for (size_t j = 0; j < rj; j += tj)
      calls[{i, j, std::min(ti, ri - i), std::min(tj, rj - j)}] = 1;
  return calls;
}

class ThreadPoolTest : public ::testing::TestWithParam<size_t> {};

TEST_P(ThreadPoolTest, EveryItemOfA1dJobOnce) {
  Pool pool(pthreadpool_create(GetParam()));
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pthreadpool_get_threads_count(pool.get()), GetParam());
  for (size_t n : {0u, 1u, 2u, 3u, 7u, 64u, 1001u}) {
    std::vector<std::atomic<int>> hits(n);
    pthreadpool_parallelize_1d(
        pool.get(),
        [](void* c, size_t i) { ++(*static_cast<std::vector<std::atomic<int>>*>(c))[i]; }, &hits, n,
        0);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n " << n << " item " << i;
  }
}

TEST_P(ThreadPoolTest, TilesCoverTheGridOnceWithShortLastTiles) {
  Pool pool(pthreadpool_create(GetParam()));
  for (auto [ri, rj, ti, tj] : std::vector<std::tuple<size_t, size_t, size_t, size_t>>{
           {1, 1, 1, 1}, {7, 13, 2, 5}, {64, 3, 64, 4}, {5, 100, 3, 32}}) {
    Calls calls;
    pthreadpool_parallelize_2d_tile_2d(
        pool.get(),
        [](void* c, size_t i, size_t j, size_t ni, size_t nj) {
          static_cast<Calls*>(c)->add({i, j, ni, nj});
        },
        &calls, ri, rj, ti, tj, 0);
    EXPECT_EQ(calls.seen, expected_2d_tile_2d(ri, rj, ti, tj)) << ri << "x" << rj;
  }
}

TEST_P(ThreadPoolTest, HigherDimensionalGridsDecodeEveryIndex) {
  Pool pool(pthreadpool_create(GetParam()));
  Calls calls;
  pthreadpool_parallelize_4d_tile_2d(
      pool.get(),
      [](void* c, size_t i, size_t j, size_t k, size_t l, size_t nk, size_t nl) {
        static_cast<Calls*>(c)->add({i, j, k, l, nk, nl});
      },
      &calls, 2, 3, 5, 7, 2, 3, 0);
  std::map<std::vector<size_t>, int> expected;
  for (size_t i = 0; i < 2; ++i)
    for (size_t j = 0; j < 3; ++j)
      for (size_t k = 0; k < 5; k += 2)
        for (size_t l = 0; l < 7; l += 3)
          expected[{i, j, k, l, std::min<size_t>(2, 5 - k), std::min<size_t>(3, 7 - l)}] = 1;
  EXPECT_EQ(calls.seen, expected);

  Calls six;
  pthreadpool_parallelize_6d_tile_2d(
      pool.get(),
      [](void* c, size_t i, size_t j, size_t k, size_t l, size_t m, size_t n, size_t nm,
         size_t nn) {
        static_cast<Calls*>(c)->add({i, j, k, l, m, n, nm, nn});
      },
      &six, 2, 1, 3, 2, 5, 4, 4, 3, 0);
  std::map<std::vector<size_t>, int> expected6;
  for (size_t i = 0; i < 2; ++i)
    for (size_t k = 0; k < 3; ++k)
      for (size_t l = 0; l < 2; ++l)
        for (size_t m = 0; m < 5; m += 4)
          for (size_t n = 0; n < 4; n += 3)
            expected6[{i, 0, k, l, m, n, std::min<size_t>(4, 5 - m), std::min<size_t>(3, 4 - n)}] =
                1;
  EXPECT_EQ(six.seen, expected6);
}

TEST_P(ThreadPoolTest, ManyJobsBackToBackLoseNothing) {
  ledge::ThreadPool pool(static_cast<int>(GetParam()));
  std::atomic<long> sum{0};
  long expected = 0;
  for (size_t job = 0; job < 5000; ++job) {
    const size_t n = job % 9;
    pool.parallel_for(n, [&](size_t i) { sum += static_cast<long>(i + 1); });
    expected += static_cast<long>(n * (n + 1) / 2);
  }
  EXPECT_EQ(sum.load(), expected);
}

TEST_P(ThreadPoolTest, CallersOnSeveralThreadsTakeTurns) {
  Pool pool(pthreadpool_create(GetParam()));
  std::atomic<long> sum{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&] {
      for (int job = 0; job < 300; ++job)
        pthreadpool_parallelize_1d(
            pool.get(), [](void* s, size_t i) { *static_cast<std::atomic<long>*>(s) += long(i); },
            &sum, 10, 0);
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(sum.load(), 3L * 300 * 45);
}

TEST_P(ThreadPoolTest, StartsAndStopsWithoutWaitingForWorkers) {
  for (int i = 0; i < 50; ++i) {
    Pool pool(pthreadpool_create(GetParam()));
    if (i % 2 == 0) {  // half of them never run a job
      std::atomic<int> hits{0};
      pthreadpool_parallelize_1d(
          pool.get(), [](void* h, size_t) { ++*static_cast<std::atomic<int>*>(h); }, &hits, 4, 0);
      EXPECT_EQ(hits.load(), 4);
    }
  }
}

#if defined(__x86_64__)
TEST_P(ThreadPoolTest, DisableDenormalsHoldsForTheJobOnly) {
  Pool pool(pthreadpool_create(GetParam()));
  const unsigned before = _mm_getcsr();
  std::atomic<int> flushed{0}, not_flushed{0};
  struct Counts {
    std::atomic<int>* flushed;
    std::atomic<int>* not_flushed;
  } counts{&flushed, &not_flushed};
  auto record = [](void* c, size_t) {
    auto* k = static_cast<Counts*>(c);
    ++*((_mm_getcsr() & 0x8040u) == 0x8040u ? k->flushed : k->not_flushed);
  };
  pthreadpool_parallelize_1d(pool.get(), record, &counts, 16, PTHREADPOOL_FLAG_DISABLE_DENORMALS);
  EXPECT_EQ(flushed.load(), 16);
  EXPECT_EQ(_mm_getcsr(), before);
  flushed = 0;
  pthreadpool_parallelize_1d(pool.get(), record, &counts, 16, 0);
  EXPECT_EQ(not_flushed.load(), 16);
}
#endif

INSTANTIATE_TEST_SUITE_P(Threads, ThreadPoolTest, ::testing::Values(1, 2, 3, 4));

TEST(ThreadPool, NoPoolRunsOnTheCaller) {
  EXPECT_EQ(pthreadpool_get_threads_count(nullptr), 1u);
  const auto caller = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  struct Ctx {
    std::thread::id caller;
    std::atomic<int>* elsewhere;
  } ctx{caller, &elsewhere};
  pthreadpool_parallelize_2d(
      nullptr,
      [](void* c, size_t, size_t) {
        auto* x = static_cast<Ctx*>(c);
        if (std::this_thread::get_id() != x->caller) ++*x->elsewhere;
      },
      &ctx, 3, 4, 0);
  EXPECT_EQ(elsewhere.load(), 0);
}

}  // namespace
