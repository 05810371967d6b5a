#include "runtime/thread_pool.h"

#include <pthreadpool.h>

namespace ledge {

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
  if (threads_ > 1) pool_ = pthreadpool_create(static_cast<size_t>(threads_));
  // pthreadpool_create fails only when threads cannot be started: run on the caller then.
  if (!pool_) threads_ = 1;
}

ThreadPool::~ThreadPool() {
  if (pool_) pthreadpool_destroy(pool_);
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) const {
  if (!pool_ || n < 2) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  pthreadpool_parallelize_1d(
      pool_, [&fn](size_t i) { fn(i); }, n, 0);
}

}  // namespace ledge
