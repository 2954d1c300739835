// GFLOP/s of the float GEMM paths at the shapes the benchmark models run: the former Eigen path,
// the packed kernels (packing both operands per call), a pre-packed B (MatMul/Gemm weights) and a
// pre-packed A (Conv filters).
//
//   ninja -C build gemm_bench && build/bin/gemm_bench [--threads N] [--seconds S] [--isa scalar|avx2|avx512] [--wall]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <ctime>
#include <vector>

#include "core/thread_pool.h"
#include "mlas/cpu_features.h"
#include "mlas/gemm.h"

namespace {

struct Shape {
  const char* what;
  int64_t M, N, K;
  bool trans_b;
};

// On a shared machine wall time mostly measures the neighbours; with one thread, the thread's own
// CPU time is the honest figure (with several, wall time is all there is).
bool g_cpu_time = true;

double Now() {
  if (g_cpu_time) {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Median seconds of one call, over repetitions filling about `seconds`.
double MedianSeconds(const std::function<void()>& fn, double seconds) {
  fn();  // warm caches and packing buffers
  std::vector<double> times;
  double total = 0;
  while ((total < seconds && times.size() < 50) || times.size() < 3) {
    const double t0 = Now();
    fn();
    const double dt = Now() - t0;
    times.push_back(dt);
    total += dt;
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  double seconds = 0.3;
  bool wall = false;
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--wall")) wall = true;  // compare thread counts on the same clock
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--isa")) {
      const std::string v = argv[i + 1];
      onyx::mlas::SetIsaLimit(v == "scalar" ? onyx::mlas::Isa::Scalar
                              : v == "avx2" ? onyx::mlas::Isa::Avx2
                                            : onyx::mlas::Isa::Avx512);
    }
  }
  g_cpu_time = threads <= 1 && !wall;
  std::unique_ptr<onyx::ThreadPool> pool;
  if (threads > 1) pool = std::make_unique<onyx::ThreadPool>(threads);
  std::printf("isa %s, threads %d; GFLOP/s, median of %s time\n", onyx::mlas::IsaName(onyx::mlas::ActiveIsa()),
              threads, g_cpu_time ? "thread CPU" : "wall");
  std::printf("%-22s %5s %5s %5s %8s %8s %8s %8s\n", "shape", "M", "N", "K", "eigen", "packed", "packed-B", "packed-A");
  // M x N x K as the kernels call Sgemm: MatMul rows = tokens; Conv rows = output channels,
  // columns = output pixels (im2col); fc / attention-free decoding as M = 1.
  const Shape shapes[] = {
      {"bert qkv/out proj", 128, 768, 768, false},  {"bert ffn up", 128, 3072, 768, false},
      {"bert ffn down", 128, 768, 3072, false},     {"bert scores q.kT", 128, 128, 64, true},
      {"resnet conv2 3x3", 64, 3136, 576, false},   {"resnet conv3 3x3", 128, 784, 1152, false},
      {"resnet conv4 3x3", 256, 196, 2304, false},  {"resnet conv5 3x3", 512, 49, 4608, false},
      {"resnet 1x1 256->64", 64, 3136, 256, false}, {"mobilenet 1x1 16->96", 96, 12544, 16, false},
      {"im2col as listed", 3136, 64, 576, false},   {"im2col as listed", 49, 512, 4608, false},
      {"gemv 1x768x768", 1, 768, 768, false},       {"gemv 1x3072x768 tB", 1, 3072, 768, true},
      {"resnet fc", 1, 1000, 2048, true},
  };
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (const Shape& s : shapes) {
    std::vector<float> a(static_cast<size_t>(s.M * s.K)), b(static_cast<size_t>(s.K * s.N)), c(static_cast<size_t>(s.M * s.N));
    for (auto& x : a) x = d(rng);
    for (auto& x : b) x = d(rng);
    const int64_t ldb = s.trans_b ? s.K : s.N;
    const double flops = 2.0 * s.M * s.N * s.K;
    const double eigen = MedianSeconds([&] {
      onyx::mlas::SgemmEigen(false, s.trans_b, s.M, s.N, s.K, 1.f, a.data(), s.K, b.data(), ldb, 0.f, c.data(), s.N, pool.get());
    }, seconds);
    const double packed = MedianSeconds([&] {
      onyx::mlas::Sgemm(false, s.trans_b, s.M, s.N, s.K, 1.f, a.data(), s.K, b.data(), ldb, 0.f, c.data(), s.N, pool.get());
    }, seconds);
    const onyx::mlas::PackedB pb = onyx::mlas::PackB(s.trans_b, s.K, s.N, b.data(), ldb);
    const double prepacked = MedianSeconds([&] {
      onyx::mlas::SgemmPacked(false, s.M, s.N, s.K, 1.f, a.data(), s.K, pb, 0.f, c.data(), s.N, pool.get());
    }, seconds);
    // The Conv path: its filter (A) packed at session creation.
    const onyx::mlas::PackedA pa = onyx::mlas::PackA(false, s.M, s.K, a.data(), s.K);
    const double prepacked_a = MedianSeconds([&] {
      onyx::mlas::SgemmPacked(pa, s.trans_b, s.M, s.N, s.K, 1.f, b.data(), ldb, 0.f, c.data(), s.N, pool.get());
    }, seconds);
    std::printf("%-22s %5lld %5lld %5lld %8.1f %8.1f %8.1f %8.1f\n", s.what, static_cast<long long>(s.M),
                static_cast<long long>(s.N), static_cast<long long>(s.K), flops / eigen * 1e-9, flops / packed * 1e-9,
                flops / prepacked * 1e-9, flops / prepacked_a * 1e-9);
  }
  return 0;
}
