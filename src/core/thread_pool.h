#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace onyx {

// Intra-op thread pool. The calling thread takes part in every ParallelFor, so a pool of
// N threads owns N-1 workers. Several threads may call ParallelFor at the same time.
// Workers spin for a short while (kSpinMicros) after each task before they sleep, and so does
// a ParallelFor waiting for its last block, as onnxruntime's pool does by default: a kernel's
// parallel loops often take tens of microseconds, less than waking a sleeping thread costs, so
// without spinning the caller would run every block itself.
class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Splits [0, n) into contiguous blocks and calls fn(begin, end) on each, in parallel.
  // cost_per_item is a rough count of operations per item used to avoid splitting tiny work.
  void ParallelFor(int64_t n, double cost_per_item, const std::function<void(int64_t, int64_t)>& fn);

  static int DefaultThreadCount();

 private:
  void WorkerLoop();
  std::vector<std::thread> workers_;
  std::deque<std::function<void()>> queue_;
  std::atomic<int64_t> queued_{0};  // queue_.size(), readable without the lock while spinning
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};  // set under mu_; read without it while spinning
};

// Runs fn over [0,n) on the pool if there is one, inline otherwise.
void ParallelFor(ThreadPool* pool, int64_t n, double cost_per_item,
                 const std::function<void(int64_t, int64_t)>& fn);

}  // namespace onyx
