// One session shared by many threads (issue #6): results identical to sequential runs, a run
// cancelled from another thread, and memory that stays bounded over many runs of varying shapes.
// scripts/sanitize.sh runs this file under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>
#include <unistd.h>

#include "model_builder.h"
#include "onyx/onyx.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

Tensor RandomTensor(std::vector<int64_t> shape, uint32_t seed, float scale = 1.0f) {
  Tensor t(DataType::Float, std::move(shape));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = dist(gen);
  return t;
}

// A small image classifier with the kinds of kernels a real model has: Conv (im2col + GEMM on
// the intra-op pool), BatchNormalization, Relu, MaxPool, GlobalAveragePool, Flatten, Gemm, Softmax,
// and a side branch with a reduction. x: float [N, 3, H, W], N/H/W free.
std::string ClassifierModel() {
  GraphBuilder g;
  g.Name("classifier").Input("x", DataType::Float, {std::string("N"), int64_t(3), std::string("H"), std::string("W")});
  g.Initializer("w", RandomTensor({8, 3, 3, 3}, 1, 0.5f)).Initializer("cb", RandomTensor({8}, 2));
  Tensor scale = RandomTensor({8}, 3), mean = RandomTensor({8}, 4), var = RandomTensor({8}, 5);
  for (int i = 0; i < 8; ++i) {
    scale.data<float>()[i] += 1.5f;
    var.data<float>()[i] = std::abs(var.data<float>()[i]) + 0.5f;
  }
  g.Initializer("scale", scale).Initializer("bias", RandomTensor({8}, 6)).Initializer("mean", mean).Initializer("var", var);
  g.Initializer("fw", RandomTensor({8, 5}, 7, 0.5f)).Initializer("fb", RandomTensor({5}, 8));
  g.Output("probs", DataType::Float).Output("energy", DataType::Float);
  g.Node("Conv", {"x", "w", "cb"}, {"c"}, {IntsAttribute("pads", {1, 1, 1, 1})}, "conv");
  g.Node("BatchNormalization", {"c", "scale", "bias", "mean", "var"}, {"bn"}, {}, "bn");
  g.Node("Relu", {"bn"}, {"r"}, {}, "relu");
  g.Node("MaxPool", {"r"}, {"p"}, {IntsAttribute("kernel_shape", {2, 2}), IntsAttribute("strides", {2, 2})}, "pool");
  g.Node("GlobalAveragePool", {"p"}, {"gap"}, {}, "gap");
  g.Node("Flatten", {"gap"}, {"flat"}, {}, "flatten");
  g.Node("Gemm", {"flat", "fw", "fb"}, {"logits"}, {}, "fc");
  g.Node("Softmax", {"logits"}, {"probs"}, {IntAttribute("axis", 1)}, "softmax");
  g.Node("ReduceSumSquare", {"r"}, {"energy"}, {IntsAttribute("axes", {1, 2, 3}), IntAttribute("keepdims", 0)}, "energy");
  return BuildModel(g, 17);
}

Session MakeSession(const std::string& bytes, int threads) {
  SessionOptions o;
  o.intra_op_num_threads = threads;
  return Session(bytes.data(), bytes.size(), o);
}

// The input of run r of thread t: batch, spatial size and values all differ between runs.
Tensor InputFor(int t, int r) {
  const int64_t n = 1 + (t + r) % 3, h = 6 + (r % 3) * 2, w = 6 + (t % 2) * 4;
  return RandomTensor({n, 3, h, w}, static_cast<uint32_t>(1000 * t + r));
}

bool BitwiseEqual(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST(Concurrency, EightThreadsTimesTwoHundredRunsMatchSequential) {
  constexpr int kThreads = 8;
  const int kRuns = kSanitized ? 50 : 200;  // TSan is ~10x slower; the interleavings are what matter
  const std::string bytes = ClassifierModel();
  Session session = MakeSession(bytes, 2);  // runs share one intra-op pool too

  std::vector<std::vector<std::vector<Tensor>>> expected(kThreads, std::vector<std::vector<Tensor>>(kRuns));
  for (int t = 0; t < kThreads; ++t)
    for (int r = 0; r < kRuns; ++r) expected[t][r] = session.Run({{"x", InputFor(t, r)}});

  std::atomic<int> mismatches{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRuns; ++r) {
        try {
          auto out = session.Run({{"x", InputFor(t, r)}});
          for (size_t k = 0; k < out.size(); ++k)
            if (!BitwiseEqual(out[k], expected[t][r][k])) ++mismatches;
        } catch (const std::exception&) {
          ++errors;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Concurrency, TerminateStopsOneRunAndLeavesOthersAlone) {
  // A Loop of many iterations is a run long enough to cancel while other threads keep running.
  GraphBuilder body;
  body.Name("body").Input("i", DataType::Int64, {}).Input("cond", DataType::Bool, {}).Input("acc", DataType::Float, {int64_t(64)});
  body.Output("cond_out", DataType::Bool).Output("acc_out", DataType::Float);
  body.Node("Identity", {"cond"}, {"cond_out"}).Node("Sin", {"acc"}, {"s"}).Node("Add", {"s", "acc"}, {"acc_out"});
  GraphBuilder g;
  g.Name("long").Input("trips", DataType::Int64, {}).Input("acc0", DataType::Float, {int64_t(64)});
  Tensor yes(DataType::Bool, {});
  yes.data<bool>()[0] = true;
  g.Initializer("yes", yes).Output("acc", DataType::Float);
  g.Node("Loop", {"trips", "yes", "acc0"}, {"acc"}, {GraphAttribute("body", body.proto())}, "loop");
  const std::string bytes = BuildModel(g, 17);
  Session session = MakeSession(bytes, 1);

  auto feeds = [](int64_t trips) {
    Tensor n(DataType::Int64, {});
    n.data<int64_t>()[0] = trips;
    return std::vector<std::pair<std::string, Value>>{{"trips", Value(n)}, {"acc0", Value(RandomTensor({64}, 9))}};
  };
  RunOptions cancel;
  std::atomic<bool> cancelled_run_failed{false};
  std::thread long_run([&] {
    try {
      session.RunValues(feeds(int64_t(1) << 40), {}, cancel);
    } catch (const Error& e) {
      cancelled_run_failed = e.code() == ErrorCode::Fail;
    }
  });
  std::thread short_runs([&] {
    for (int i = 0; i < 20; ++i) session.RunValues(feeds(10));
  });
  short_runs.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  *cancel.terminate = true;
  long_run.join();
  EXPECT_TRUE(cancelled_run_failed.load());
  // The session is still usable after a cancelled run.
  EXPECT_EQ(session.RunValues(feeds(3))[0].tensor().size(), 64);
}

TEST(Concurrency, MemoryStaysBoundedOverTenThousandRunsOfVaryingShapes) {
  if (kSanitized) GTEST_SKIP() << "sanitizer allocators quarantine freed memory; RSS says nothing here";
  const std::string bytes = ClassifierModel();
  Session session = MakeSession(bytes, 1);
  auto run_range = [&](int from, int to) {
    for (int r = from; r < to; ++r) session.Run({{"x", InputFor(r % 8, r)}});
  };
  run_range(0, 1000);  // warm-up: allocator pools and caches reach their working size
  const size_t after_warmup = ResidentBytes();
  run_range(1000, 10000);
  const size_t after_all = ResidentBytes();
  const double growth_mb = (static_cast<double>(after_all) - static_cast<double>(after_warmup)) / (1 << 20);
  std::printf("RSS after 1,000 runs %.1f MB, after 10,000 runs %.1f MB\n", after_warmup / 1048576.0, after_all / 1048576.0);
  // Leaking one intermediate buffer per run (several KB each) would add tens of MB over 9,000 runs.
  EXPECT_LT(growth_mb, 4.0) << "RSS after warm-up " << after_warmup / (1 << 20) << " MB, after 10,000 runs "
                            << after_all / (1 << 20) << " MB";
}
