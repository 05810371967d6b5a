// ledge's own implementation of the pthreadpool interface (Debian's <pthreadpool.h>): the
// worker threads that both ledge's kernels and XNNPACK's operators parallelize over.
//
// Why not link libpthreadpool: on a two-core VM its create call took 5.6 ms and its first
// parallel call 4 to 8 ms (a fifth of a model's load time), because the calling thread
// spins without yielding while the new worker waits on the same CPU for a scheduler tick.
// Here the caller never waits for workers to start, and it yields while it waits for them to
// finish, so a worker queued behind it runs at once.
//
// libXNNPACK.so names libpthreadpool.so.0, but an executable's own definitions come first in
// symbol lookup: XNNPACK's calls land here, and the executables do not link libpthreadpool.
// Every function of the header is defined (the deprecated pthreadpool_compute_* excepted,
// which nothing here uses): a call resolved to the real library would get a foreign pool.
//
// A job is `n` items. Each thread starts on its own contiguous share of them (so neighbouring
// items stay on one core) and, when done, steals from the far end of the others' shares. Between
// jobs, workers spin briefly (inference calls come microseconds apart) and then sleep.
#include <pthreadpool.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// PTHREADPOOL_FLAG_DISABLE_DENORMALS: flush denormals to zero on this thread for the job.
class DenormalsOff {
 public:
  explicit DenormalsOff(uint32_t flags) : on_((flags & PTHREADPOOL_FLAG_DISABLE_DENORMALS) != 0) {
    if (!on_) return;
#if defined(__x86_64__)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040u);  // FTZ and DAZ
#elif defined(__aarch64__)
    asm volatile("mrs %0, fpcr" : "=r"(saved_));
    asm volatile("msr fpcr, %0" ::"r"(saved_ | (uint64_t{1} << 24)));  // FZ
#endif
  }
  ~DenormalsOff() {
    if (!on_) return;
#if defined(__x86_64__)
    _mm_setcsr(static_cast<unsigned>(saved_));
#elif defined(__aarch64__)
    asm volatile("msr fpcr, %0" ::"r"(saved_));
#endif
  }
  DenormalsOff(const DenormalsOff&) = delete;
  DenormalsOff& operator=(const DenormalsOff&) = delete;

 private:
  bool on_;
  uint64_t saved_ = 0;
};

// One item of a job: the job's own data and the item's index.
using ItemFn = void (*)(const void* job, size_t item);

// How long an idle worker spins before it sleeps: longer than the gap between two
// operators of one inference, far shorter than the gap between frames.
constexpr auto kSpinTime = std::chrono::microseconds(1000);

}  // namespace

struct pthreadpool {
  explicit pthreadpool(size_t threads) : shares_(threads) {
    workers_.reserve(threads - 1);
    try {
      for (size_t t = 1; t < threads; ++t) workers_.emplace_back([this, t] { work_loop(t); });
    } catch (...) {  // no thread could be started: stop those that were, then report it
      stop_workers();
      throw;
    }
  }

  ~pthreadpool() { stop_workers(); }

  pthreadpool(const pthreadpool&) = delete;
  pthreadpool& operator=(const pthreadpool&) = delete;

  size_t threads() const { return shares_.size(); }

  // Runs item(job, i) for every i in [0, n) on all threads; returns when all are done.
  void run(size_t n, ItemFn item, const void* job, uint32_t flags) {
    std::lock_guard<std::mutex> serial(run_mutex_);  // calls from several threads take turns
    const size_t t_count = threads();
    for (size_t t = 0; t < t_count; ++t) {
      const size_t front = n * t / t_count, back = n * (t + 1) / t_count;
      shares_[t].front.store(front, std::memory_order_relaxed);
      shares_[t].back.store(back, std::memory_order_relaxed);
      shares_[t].remaining.store(static_cast<ptrdiff_t>(back - front), std::memory_order_relaxed);
    }
    item_ = item;
    job_ = job;
    flags_ = flags;
    pending_.store(t_count - 1, std::memory_order_relaxed);
    generation_.fetch_add(1);  // publishes the job (sequentially consistent: see wait_for_job)
    if (sleepers_.load() > 0) generation_.notify_all();
    work(0);
    // Wait for every worker to check in, including one that has not started yet: yielding
    // lets a worker queued on this CPU run instead of waiting for the next scheduler tick.
    for (unsigned spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
      if (spins < 256)
        cpu_relax();
      else
        std::this_thread::yield();
    }
  }

 private:
  // A thread's share of a job: items [front, back). Every claim first takes one from
  // `remaining`; the owner then works forwards from the front and others steal backwards
  // from the back, so the two meet only at the last item and the owner keeps its order.
  struct alignas(64) Share {
    std::atomic<ptrdiff_t> remaining{0};
    std::atomic<size_t> front{0}, back{0};
  };

  void stop_workers() {
    stop_.store(true);
    generation_.fetch_add(1);
    generation_.notify_all();
    for (auto& w : workers_) w.join();
  }

  // This thread's share first, then whatever is left of the others'.
  void work(size_t self) {
    DenormalsOff denormals(flags_);
    Share& own = shares_[self];
    while (own.remaining.fetch_sub(1, std::memory_order_relaxed) > 0)
      item_(job_, own.front.fetch_add(1, std::memory_order_relaxed));
    const size_t t_count = threads();
    for (size_t k = 1; k < t_count; ++k) {
      Share& other = shares_[(self + k) % t_count];
      while (other.remaining.fetch_sub(1, std::memory_order_relaxed) > 0)
        item_(job_, other.back.fetch_sub(1, std::memory_order_relaxed) - 1);
    }
  }

  void work_loop(size_t self) {
    uint32_t seen = 0;
    uint32_t last_flags = 0;  // the previous job's: flags_ may be changing while this waits
    for (;;) {
      seen = wait_for_job(seen, last_flags);
      if (stop_.load()) return;
      last_flags = flags_;
      work(self);
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  // Returns the new generation once it differs from `seen`. PTHREADPOOL_FLAG_YIELD_WORKERS
  // on the previous job: sleep at once.
  uint32_t wait_for_job(uint32_t seen, uint32_t last_flags) {
    if ((last_flags & PTHREADPOOL_FLAG_YIELD_WORKERS) == 0) {
      const auto until = std::chrono::steady_clock::now() + kSpinTime;
      for (unsigned spins = 1;; ++spins) {
        const uint32_t g = generation_.load(std::memory_order_acquire);
        if (g != seen) return g;
        cpu_relax();
        if (spins % 256 != 0) continue;
        if (std::chrono::steady_clock::now() > until) break;
        // The caller may be waiting on this CPU (a woken thread often lands on its waker's
        // CPU): let it run rather than spin through its time slice.
        std::this_thread::yield();
      }
    }
    // Sleep. The caller bumps the generation, then reads sleepers_; this thread counts
    // itself, then (in wait) re-reads the generation: with both sequentially consistent,
    // either the caller sees a sleeper and wakes it, or this thread sees the new job.
    sleepers_.fetch_add(1);
    uint32_t g;
    while ((g = generation_.load()) == seen) generation_.wait(seen);
    sleepers_.fetch_sub(1);
    return g;
  }

  std::vector<Share> shares_;  // one per thread; the caller is thread 0
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;
  std::atomic<uint32_t> generation_{0};  // 32 bits: what a futex waits on
  std::atomic<size_t> pending_{0};       // workers that have not finished the current job
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  // The current job: written before generation_ is bumped, read after it is seen.
  ItemFn item_ = nullptr;
  const void* job_ = nullptr;
  uint32_t flags_ = 0;
};

namespace {

// Runs f(i) for i in [0, n) on the pool, or on this thread when there is none.
template <class F>
void parallelize(pthreadpool_t pool, size_t n, uint32_t flags, const F& f) {
  if (n == 0) return;
  if (!pool || pool->threads() == 1 || n == 1) {
    DenormalsOff denormals(flags);
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  pool->run(
      n, [](const void* job, size_t i) { (*static_cast<const F*>(job))(i); }, &f, flags);
}

size_t tiles(size_t range, size_t tile) { return tile == 0 ? 0 : (range + tile - 1) / tile; }

// A tiled dimension: the tile's first index and its size (the last tile may be short).
struct Tile {
  size_t start, size;
};
Tile tile_of(size_t index, size_t range, size_t tile) {
  const size_t start = index * tile;
  return {start, std::min(tile, range - start)};
}

// The tiled grids that a plain and a microarchitecture-aware variant share: f gets the
// untiled indices, then the tiles' first indices, then the tiles' sizes.
template <class F>
void grid_2d_tile_2d(pthreadpool_t pool, size_t ri, size_t rj, size_t ti, size_t tj, uint32_t flags,
                     const F& f) {
  const size_t nti = tiles(ri, ti), ntj = tiles(rj, tj);
  parallelize(pool, nti * ntj, flags, [&](size_t x) {
    const Tile i = tile_of(x / ntj, ri, ti), j = tile_of(x % ntj, rj, tj);
    f(i.start, j.start, i.size, j.size);
  });
}

template <class F>
void grid_3d_tile_2d(pthreadpool_t pool, size_t ri, size_t rj, size_t rk, size_t tj, size_t tk,
                     uint32_t flags, const F& f) {
  const size_t ntj = tiles(rj, tj), ntk = tiles(rk, tk);
  parallelize(pool, ri * ntj * ntk, flags, [&](size_t x) {
    const Tile j = tile_of(x / ntk % ntj, rj, tj), k = tile_of(x % ntk, rk, tk);
    f(x / (ntj * ntk), j.start, k.start, j.size, k.size);
  });
}

template <class F>
void grid_4d_tile_2d(pthreadpool_t pool, size_t ri, size_t rj, size_t rk, size_t rl, size_t tk,
                     size_t tl, uint32_t flags, const F& f) {
  const size_t ntk = tiles(rk, tk), ntl = tiles(rl, tl);
  parallelize(pool, ri * rj * ntk * ntl, flags, [&](size_t x) {
    const Tile l = tile_of(x % ntl, rl, tl), k = tile_of(x / ntl % ntk, rk, tk);
    f(x / (ntl * ntk * rj), x / (ntl * ntk) % rj, k.start, l.start, k.size, l.size);
  });
}

}  // namespace

extern "C" {

pthreadpool_t pthreadpool_create(size_t threads_count) {
  if (threads_count == 0) threads_count = std::max<size_t>(1, std::thread::hardware_concurrency());
  try {
    return new pthreadpool(threads_count);
  } catch (...) {  // a thread could not be started, or no memory: the caller runs serially
    return nullptr;
  }
}

size_t pthreadpool_get_threads_count(pthreadpool_t pool) { return pool ? pool->threads() : 1; }

void pthreadpool_destroy(pthreadpool_t pool) { delete pool; }

void pthreadpool_parallelize_1d(pthreadpool_t pool, pthreadpool_task_1d_t fn, void* ctx,
                                size_t range, uint32_t flags) {
  parallelize(pool, range, flags, [=](size_t i) { fn(ctx, i); });
}

// The uarch variants: every core is taken to be of the default microarchitecture.
void pthreadpool_parallelize_1d_with_uarch(pthreadpool_t pool, pthreadpool_task_1d_with_id_t fn,
                                           void* ctx, uint32_t default_uarch, uint32_t,
                                           size_t range, uint32_t flags) {
  parallelize(pool, range, flags, [=](size_t i) { fn(ctx, default_uarch, i); });
}

void pthreadpool_parallelize_1d_tile_1d(pthreadpool_t pool, pthreadpool_task_1d_tile_1d_t fn,
                                        void* ctx, size_t range, size_t tile, uint32_t flags) {
  parallelize(pool, tiles(range, tile), flags, [=](size_t t) {
    const Tile a = tile_of(t, range, tile);
    fn(ctx, a.start, a.size);
  });
}

void pthreadpool_parallelize_2d(pthreadpool_t pool, pthreadpool_task_2d_t fn, void* ctx,
                                size_t range_i, size_t range_j, uint32_t flags) {
  parallelize(pool, range_i * range_j, flags, [=](size_t x) { fn(ctx, x / range_j, x % range_j); });
}

void pthreadpool_parallelize_2d_tile_1d(pthreadpool_t pool, pthreadpool_task_2d_tile_1d_t fn,
                                        void* ctx, size_t range_i, size_t range_j, size_t tile_j,
                                        uint32_t flags) {
  const size_t tj = tiles(range_j, tile_j);
  parallelize(pool, range_i * tj, flags, [=](size_t x) {
    const Tile j = tile_of(x % tj, range_j, tile_j);
    fn(ctx, x / tj, j.start, j.size);
  });
}

void pthreadpool_parallelize_2d_tile_2d(pthreadpool_t pool, pthreadpool_task_2d_tile_2d_t fn,
                                        void* ctx, size_t range_i, size_t range_j, size_t tile_i,
                                        size_t tile_j, uint32_t flags) {
  grid_2d_tile_2d(pool, range_i, range_j, tile_i, tile_j, flags,
                  [=](size_t i, size_t j, size_t ni, size_t nj) { fn(ctx, i, j, ni, nj); });
}

void pthreadpool_parallelize_2d_tile_2d_with_uarch(pthreadpool_t pool,
                                                   pthreadpool_task_2d_tile_2d_with_id_t fn,
                                                   void* ctx, uint32_t default_uarch, uint32_t,
                                                   size_t range_i, size_t range_j, size_t tile_i,
                                                   size_t tile_j, uint32_t flags) {
  grid_2d_tile_2d(
      pool, range_i, range_j, tile_i, tile_j, flags,
      [=](size_t i, size_t j, size_t ni, size_t nj) { fn(ctx, default_uarch, i, j, ni, nj); });
}

void pthreadpool_parallelize_3d(pthreadpool_t pool, pthreadpool_task_3d_t fn, void* ctx,
                                size_t range_i, size_t range_j, size_t range_k, uint32_t flags) {
  parallelize(pool, range_i * range_j * range_k, flags, [=](size_t x) {
    fn(ctx, x / (range_j * range_k), x / range_k % range_j, x % range_k);
  });
}

void pthreadpool_parallelize_3d_tile_1d(pthreadpool_t pool, pthreadpool_task_3d_tile_1d_t fn,
                                        void* ctx, size_t range_i, size_t range_j, size_t range_k,
                                        size_t tile_k, uint32_t flags) {
  const size_t tk = tiles(range_k, tile_k);
  parallelize(pool, range_i * range_j * tk, flags, [=](size_t x) {
    const Tile k = tile_of(x % tk, range_k, tile_k);
    fn(ctx, x / (range_j * tk), x / tk % range_j, k.start, k.size);
  });
}

void pthreadpool_parallelize_3d_tile_2d(pthreadpool_t pool, pthreadpool_task_3d_tile_2d_t fn,
                                        void* ctx, size_t range_i, size_t range_j, size_t range_k,
                                        size_t tile_j, size_t tile_k, uint32_t flags) {
  grid_3d_tile_2d(
      pool, range_i, range_j, range_k, tile_j, tile_k, flags,
      [=](size_t i, size_t j, size_t k, size_t nj, size_t nk) { fn(ctx, i, j, k, nj, nk); });
}

void pthreadpool_parallelize_3d_tile_2d_with_uarch(pthreadpool_t pool,
                                                   pthreadpool_task_3d_tile_2d_with_id_t fn,
                                                   void* ctx, uint32_t default_uarch, uint32_t,
                                                   size_t range_i, size_t range_j, size_t range_k,
                                                   size_t tile_j, size_t tile_k, uint32_t flags) {
  grid_3d_tile_2d(pool, range_i, range_j, range_k, tile_j, tile_k, flags,
                  [=](size_t i, size_t j, size_t k, size_t nj, size_t nk) {
                    fn(ctx, default_uarch, i, j, k, nj, nk);
                  });
}

void pthreadpool_parallelize_4d(pthreadpool_t pool, pthreadpool_task_4d_t fn, void* ctx,
                                size_t range_i, size_t range_j, size_t range_k, size_t range_l,
                                uint32_t flags) {
  parallelize(pool, range_i * range_j * range_k * range_l, flags, [=](size_t x) {
    const size_t l = x % range_l, k = x / range_l % range_k, j = x / (range_l * range_k) % range_j;
    fn(ctx, x / (range_l * range_k * range_j), j, k, l);
  });
}

void pthreadpool_parallelize_4d_tile_1d(pthreadpool_t pool, pthreadpool_task_4d_tile_1d_t fn,
                                        void* ctx, size_t range_i, size_t range_j, size_t range_k,
                                        size_t range_l, size_t tile_l, uint32_t flags) {
  const size_t tl = tiles(range_l, tile_l);
  parallelize(pool, range_i * range_j * range_k * tl, flags, [=](size_t x) {
    const Tile l = tile_of(x % tl, range_l, tile_l);
    const size_t k = x / tl % range_k, j = x / (tl * range_k) % range_j;
    fn(ctx, x / (tl * range_k * range_j), j, k, l.start, l.size);
  });
}

void pthreadpool_parallelize_4d_tile_2d(pthreadpool_t pool, pthreadpool_task_4d_tile_2d_t fn,
                                        void* ctx, size_t range_i, size_t range_j, size_t range_k,
                                        size_t range_l, size_t tile_k, size_t tile_l,
                                        uint32_t flags) {
  grid_4d_tile_2d(pool, range_i, range_j, range_k, range_l, tile_k, tile_l, flags,
                  [=](size_t i, size_t j, size_t k, size_t l, size_t nk, size_t nl) {
                    fn(ctx, i, j, k, l, nk, nl);
                  });
}

void pthreadpool_parallelize_4d_tile_2d_with_uarch(pthreadpool_t pool,
                                                   pthreadpool_task_4d_tile_2d_with_id_t fn,
                                                   void* ctx, uint32_t default_uarch, uint32_t,
                                                   size_t range_i, size_t range_j, size_t range_k,
                                                   size_t range_l, size_t tile_k, size_t tile_l,
                                                   uint32_t flags) {
  grid_4d_tile_2d(pool, range_i, range_j, range_k, range_l, tile_k, tile_l, flags,
                  [=](size_t i, size_t j, size_t k, size_t l, size_t nk, size_t nl) {
                    fn(ctx, default_uarch, i, j, k, l, nk, nl);
                  });
}

void pthreadpool_parallelize_5d(pthreadpool_t pool, pthreadpool_task_5d_t fn, void* ctx,
                                size_t range_i, size_t range_j, size_t range_k, size_t range_l,
                                size_t range_m, uint32_t flags) {
  parallelize(pool, range_i * range_j * range_k * range_l * range_m, flags, [=](size_t x) {
    const size_t m = x % range_m, l = x / range_m % range_l;
    const size_t k = x / (range_m * range_l) % range_k;
    const size_t j = x / (range_m * range_l * range_k) % range_j;
    fn(ctx, x / (range_m * range_l * range_k * range_j), j, k, l, m);
  });
}

void pthreadpool_parallelize_5d_tile_1d(pthreadpool_t pool, pthreadpool_task_5d_tile_1d_t fn,
                                        void* ctx, size_t range_i, size_t range_j, size_t range_k,
                                        size_t range_l, size_t range_m, size_t tile_m,
                                        uint32_t flags) {
  const size_t tm = tiles(range_m, tile_m);
  parallelize(pool, range_i * range_j * range_k * range_l * tm, flags, [=](size_t x) {
    const Tile m = tile_of(x % tm, range_m, tile_m);
    const size_t l = x / tm % range_l, k = x / (tm * range_l) % range_k;
    const size_t j = x / (tm * range_l * range_k) % range_j;
    fn(ctx, x / (tm * range_l * range_k * range_j), j, k, l, m.start, m.size);
  });
}

void pthreadpool_parallelize_5d_tile_2d(pthreadpool_t pool, pthreadpool_task_5d_tile_2d_t fn,
                                        void* ctx, size_t range_i, size_t range_j, size_t range_k,
                                        size_t range_l, size_t range_m, size_t tile_l,
                                        size_t tile_m, uint32_t flags) {
  const size_t tl = tiles(range_l, tile_l), tm = tiles(range_m, tile_m);
  parallelize(pool, range_i * range_j * range_k * tl * tm, flags, [=](size_t x) {
    const Tile m = tile_of(x % tm, range_m, tile_m), l = tile_of(x / tm % tl, range_l, tile_l);
    const size_t k = x / (tm * tl) % range_k, j = x / (tm * tl * range_k) % range_j;
    fn(ctx, x / (tm * tl * range_k * range_j), j, k, l.start, m.start, l.size, m.size);
  });
}

void pthreadpool_parallelize_6d(pthreadpool_t pool, pthreadpool_task_6d_t fn, void* ctx,
                                size_t range_i, size_t range_j, size_t range_k, size_t range_l,
                                size_t range_m, size_t range_n, uint32_t flags) {
  const size_t total = range_i * range_j * range_k * range_l * range_m * range_n;
  parallelize(pool, total, flags, [=](size_t x) {
    const size_t n = x % range_n, m = x / range_n % range_m;
    const size_t l = x / (range_n * range_m) % range_l;
    const size_t k = x / (range_n * range_m * range_l) % range_k;
    const size_t j = x / (range_n * range_m * range_l * range_k) % range_j;
    fn(ctx, x / (range_n * range_m * range_l * range_k * range_j), j, k, l, m, n);
  });
}

void pthreadpool_parallelize_6d_tile_1d(pthreadpool_t pool, pthreadpool_task_6d_tile_1d_t fn,
                                        void* ctx, size_t range_i, size_t range_j, size_t range_k,
                                        size_t range_l, size_t range_m, size_t range_n,
                                        size_t tile_n, uint32_t flags) {
  const size_t tn = tiles(range_n, tile_n);
  const size_t total = range_i * range_j * range_k * range_l * range_m * tn;
  parallelize(pool, total, flags, [=](size_t x) {
    const Tile n = tile_of(x % tn, range_n, tile_n);
    const size_t m = x / tn % range_m, l = x / (tn * range_m) % range_l;
    const size_t k = x / (tn * range_m * range_l) % range_k;
    const size_t j = x / (tn * range_m * range_l * range_k) % range_j;
    fn(ctx, x / (tn * range_m * range_l * range_k * range_j), j, k, l, m, n.start, n.size);
  });
}

void pthreadpool_parallelize_6d_tile_2d(pthreadpool_t pool, pthreadpool_task_6d_tile_2d_t fn,
                                        void* ctx, size_t range_i, size_t range_j, size_t range_k,
                                        size_t range_l, size_t range_m, size_t range_n,
                                        size_t tile_m, size_t tile_n, uint32_t flags) {
  const size_t tm = tiles(range_m, tile_m), tn = tiles(range_n, tile_n);
  const size_t total = range_i * range_j * range_k * range_l * tm * tn;
  parallelize(pool, total, flags, [=](size_t x) {
    const Tile n = tile_of(x % tn, range_n, tile_n), m = tile_of(x / tn % tm, range_m, tile_m);
    const size_t l = x / (tn * tm) % range_l, k = x / (tn * tm * range_l) % range_k;
    const size_t j = x / (tn * tm * range_l * range_k) % range_j;
    fn(ctx, x / (tn * tm * range_l * range_k * range_j), j, k, l, m.start, n.start, m.size, n.size);
  });
}

}  // extern "C"
