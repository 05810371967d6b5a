// Worker threads for the fast kernels: the owner of a pthreadpool (the interface XNNPACK
// parallelizes over, implemented by ledge in pthreadpool.cpp), plus parallel_for for
// ledge's own kernels.
//
//   ThreadPool pool(2);
//   pool.parallel_for(rows, [&](size_t r) { ... });   // r in [0, rows), any order
//
// With one thread there is no pool at all: work runs on the calling thread, and
// handle() is null, which XNNPACK also reads as "run here".
#pragma once

#include <cstddef>
#include <functional>

struct pthreadpool;

namespace ledge {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  pthreadpool* handle() const { return pool_; }

  // Calls fn(i) for every i in [0, n), split over the threads.
  void parallel_for(size_t n, const std::function<void(size_t)>& fn) const;

 private:
  int threads_ = 1;
  pthreadpool* pool_ = nullptr;
};

}  // namespace ledge
