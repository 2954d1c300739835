#pragma once
// Host memory for the values of a session's runs, kept when a run frees it and handed out again
// by the next run (onnxruntime's CPU memory arena, SessionOptions::enable_cpu_mem_arena). Without
// it, a model whose shapes are only known at run time (a symbolic batch dimension, so no planned
// arena) gets every large value from the system each run: fresh pages, each zeroed by the kernel
// on first touch. Blocks are grouped in size classes (eight per power of two) and reused only
// within their class.
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "onyx/tensor.h"

namespace onyx {

class HostBlockCache : public std::enable_shared_from_this<HostBlockCache> {
 public:
  // Smaller requests go straight to the heap, which serves them without new pages.
  static constexpr size_t kMinBytes = size_t{64} << 10;

  static std::shared_ptr<HostBlockCache> Create() { return std::shared_ptr<HostBlockCache>(new HostBlockCache()); }
  ~HostBlockCache();

  // A 64-byte aligned, uninitialised block of at least `bytes` bytes. Its last owner gives it
  // back to the cache (or to the system, when the cache is gone or already holds as many free
  // bytes as were ever in use at once). Throws std::bad_alloc.
  std::shared_ptr<void> Get(size_t bytes);

  size_t free_bytes() const;    // held for reuse
  size_t in_use_bytes() const;  // handed out and not yet given back

 private:
  HostBlockCache() = default;
  void Put(void* p, size_t size_class);

  mutable std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // by size class
  size_t free_bytes_ = 0, in_use_bytes_ = 0, peak_in_use_bytes_ = 0;
};

// A new host tensor as Tensor(dtype, shape) makes it (same checks, errors and fill), its storage
// taken from `cache` when it is kMinBytes or more (null: always the heap).
Tensor HostTensor(DataType dtype, std::vector<int64_t> shape, HostBlockCache* cache);

}  // namespace onyx
