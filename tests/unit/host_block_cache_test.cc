// The session's host block cache (SessionOptions::enable_cpu_mem_arena): blocks come back to
// their size class and are handed out again, the cache never holds more than runs held at once,
// blocks outlive a cache that is gone, and sessions give the same results with and without it.
#include <gtest/gtest.h>

#include <cstdint>

#include "core/host_block_cache.h"
#include "math_test_util.h"
#include "model_builder.h"
#include "onyx/session.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

TEST(HostBlockCache, FreedBlocksServeTheirSizeClassAgain) {
  auto cache = HostBlockCache::Create();
  void* first = nullptr;
  {
    std::shared_ptr<void> a = cache->Get(1 << 20);
    first = a.get();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u);
    EXPECT_EQ(cache->in_use_bytes(), size_t{1} << 20);
  }
  EXPECT_EQ(cache->in_use_bytes(), 0u);
  EXPECT_EQ(cache->free_bytes(), size_t{1} << 20);
  // A little smaller is the same class (eight per power of two); twice as large is not.
  std::shared_ptr<void> b = cache->Get((1 << 20) - 1000);
  EXPECT_EQ(b.get(), first);
  EXPECT_EQ(cache->free_bytes(), 0u);
  std::shared_ptr<void> c = cache->Get(2 << 20);
  EXPECT_NE(c.get(), first);
}

TEST(HostBlockCache, HoldsNoMoreThanWasEverInUseAtOnce) {
  auto cache = HostBlockCache::Create();
  // One block at a time, each of a new size: the cache keeps at most the largest one's worth.
  size_t largest = 0;
  for (size_t kib = 100; kib < 3000; kib += 97) {
    std::shared_ptr<void> b = cache->Get(kib << 10);
    largest = std::max(largest, kib << 10);
  }
  EXPECT_LE(cache->free_bytes(), largest + (largest >> 3));
  EXPECT_EQ(cache->in_use_bytes(), 0u);
}

TEST(HostBlockCache, BlocksOutliveTheCache) {
  auto cache = HostBlockCache::Create();
  std::shared_ptr<void> b = cache->Get(1 << 18);
  static_cast<char*>(b.get())[0] = 1;
  cache.reset();
  static_cast<char*>(b.get())[(1 << 18) - 1] = 2;  // still valid; freed below without the cache
  b.reset();
}

// Relu chain over a symbolic batch: nothing is planned, so every value comes from the cache.
std::string Chain() {
  GraphBuilder g;
  g.Name("chain").Input("v0", DataType::Float, {DimSpec(std::string("N")), int64_t(64), int64_t(1024)});
  for (int i = 0; i < 4; ++i) g.Node(i % 2 ? "Relu" : "Neg", {"v" + std::to_string(i)}, {"v" + std::to_string(i + 1)});
  g.Output("v4", DataType::Float);
  return BuildModel(g);
}

TEST(HostBlockCache, SessionsMatchWithAndWithoutTheArena) {
  const std::string model = Chain();
  SessionOptions with, without;
  without.enable_cpu_mem_arena = false;
  Session a(model.data(), model.size(), with), b(model.data(), model.size(), without);
  for (int64_t n : {1, 3, 1, 2}) {
    const Tensor x = RandomFloats({n, 64, 1024}, static_cast<uint32_t>(n));
    std::vector<Tensor> ya = a.Run({{"v0", x}}), yb = b.Run({{"v0", x}});
    EXPECT_EQ(ToVector<float>(ya[0]), ToVector<float>(yb[0])) << "batch " << n;
    // An output handed back keeps its block while the caller holds it; the next run must not
    // write into it.
    const std::vector<float> before = ToVector<float>(ya[0]);
    a.Run({{"v0", RandomFloats({n, 64, 1024}, 99)}});
    EXPECT_EQ(ToVector<float>(ya[0]), before) << "batch " << n;
  }
}

}  // namespace
