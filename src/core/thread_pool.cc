#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <fstream>
#include <set>
#include <string>

namespace onyx {

ThreadPool::ThreadPool(int num_threads) {
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

namespace {

constexpr int64_t kSpinMicros = 100;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until ready() or kSpinMicros pass; returns ready().
template <typename Ready>
bool SpinFor(Ready&& ready) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= until) return ready();
  }
}

}  // namespace

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    SpinFor([this] { return queued_.load(std::memory_order_acquire) > 0 || stop_.load(std::memory_order_relaxed); });
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_ && queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      queued_.fetch_sub(1, std::memory_order_relaxed);
    }
    task();
  }
}

void ThreadPool::ParallelFor(int64_t n, double cost_per_item, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  constexpr double kMinCostPerBlock = 20000.0;
  int64_t max_blocks = std::max<int64_t>(1, static_cast<int64_t>(n * std::max(cost_per_item, 1.0) / kMinCostPerBlock));
  int64_t blocks = std::min<int64_t>({n, static_cast<int64_t>(num_threads()), max_blocks});
  if (blocks <= 1) {
    fn(0, n);
    return;
  }
  struct Shared {
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::mutex mu;
    std::condition_variable cv;
    std::exception_ptr error;
  };
  auto shared = std::make_shared<Shared>();
  const int64_t chunk = (n + blocks - 1) / blocks;
  auto run_blocks = [shared, chunk, n, blocks, &fn] {
    for (;;) {
      int64_t b = shared->next.fetch_add(1);
      if (b >= blocks) return;
      int64_t begin = b * chunk, end = std::min(n, begin + chunk);
      try {
        if (begin < end) fn(begin, end);
      } catch (...) {
        std::lock_guard<std::mutex> lock(shared->mu);
        if (!shared->error) shared->error = std::current_exception();
      }
      if (shared->done.fetch_add(1) + 1 == blocks) {
        std::lock_guard<std::mutex> lock(shared->mu);
        shared->cv.notify_all();
      }
    }
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int64_t i = 1; i < blocks; ++i) queue_.emplace_back(run_blocks);
    queued_.fetch_add(blocks - 1, std::memory_order_release);
  }
  cv_.notify_all();
  run_blocks();
  if (!SpinFor([&] { return shared->done.load(std::memory_order_acquire) == blocks; })) {
    std::unique_lock<std::mutex> lock(shared->mu);
    shared->cv.wait(lock, [&] { return shared->done.load() == blocks; });
  }
  if (shared->error) std::rethrow_exception(shared->error);
}

int ThreadPool::DefaultThreadCount() {
  // One thread per physical core, as onnxruntime does: count distinct (package, core) pairs.
  std::set<std::string> cores;
  for (unsigned cpu = 0; cpu < std::thread::hardware_concurrency(); ++cpu) {
    std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream pkg(base + "physical_package_id"), core(base + "core_id");
    std::string p, c;
    if (pkg >> p && core >> c) cores.insert(p + ":" + c);
  }
  int n = cores.empty() ? static_cast<int>(std::thread::hardware_concurrency()) : static_cast<int>(cores.size());
  return std::max(1, n);
}

void ParallelFor(ThreadPool* pool, int64_t n, double cost_per_item,
                 const std::function<void(int64_t, int64_t)>& fn) {
  if (pool) {
    pool->ParallelFor(n, cost_per_item, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

}  // namespace onyx
