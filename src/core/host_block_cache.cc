#include "core/host_block_cache.h"

#include <bit>
#include <new>

namespace onyx {

namespace {

// bytes rounded up to the next of eight steps between consecutive powers of two.
size_t SizeClass(size_t bytes) {
  const int log2 = std::bit_width(bytes) - 1;
  const size_t step = size_t{1} << (log2 > 3 ? log2 - 3 : 0);
  return (bytes + step - 1) / step * step;
}

void* NewBlock(size_t bytes) { return ::operator new[](bytes, std::align_val_t(64)); }
void DeleteBlock(void* p) { ::operator delete[](p, std::align_val_t(64)); }

}  // namespace

HostBlockCache::~HostBlockCache() {
  for (auto& [cls, blocks] : free_)
    for (void* p : blocks) DeleteBlock(p);
}

std::shared_ptr<void> HostBlockCache::Get(size_t bytes) {
  const size_t cls = SizeClass(bytes < 1 ? 1 : bytes);
  void* p = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(cls);
    if (it != free_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      free_bytes_ -= cls;
    }
    in_use_bytes_ += cls;
    if (in_use_bytes_ > peak_in_use_bytes_) peak_in_use_bytes_ = in_use_bytes_;
  }
  if (!p) {
    try {
      p = NewBlock(cls);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      in_use_bytes_ -= cls;
      throw;
    }
  }
  std::weak_ptr<HostBlockCache> owner = weak_from_this();
  return std::shared_ptr<void>(p, [owner, cls](void* q) {
    if (auto cache = owner.lock()) cache->Put(q, cls);
    else DeleteBlock(q);
  });
}

void HostBlockCache::Put(void* p, size_t size_class) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_use_bytes_ -= size_class;
    // Bounded by the most that runs ever held at once: shapes that keep changing do not make
    // the cache grow without end.
    if (free_bytes_ + size_class <= peak_in_use_bytes_) {
      free_[size_class].push_back(p);
      free_bytes_ += size_class;
      return;
    }
  }
  DeleteBlock(p);
}

size_t HostBlockCache::free_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_bytes_;
}

size_t HostBlockCache::in_use_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_bytes_;
}

}  // namespace onyx
