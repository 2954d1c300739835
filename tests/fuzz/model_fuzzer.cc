// libFuzzer entry point: the bytes are a model. It is parsed, a session is created (optimizer
// included) and run once on inputs derived from the bytes. Every failure must surface as an
// onyx::Error; anything else (a crash, a sanitizer report, another exception type, a hang) is a
// finding. The same function replays kept crashers in the normal build (replay_main.cc).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "onyx/error.h"
#include "onyx/session.h"

namespace {

// Inputs the fuzzer may ask for stay small: symbolic dims become 2 and no input exceeds this
// many elements, so that time goes to parsing and kernels rather than to filling buffers.
constexpr int64_t kMaxFeedElements = 1 << 14;

struct SplitMix64 {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

bool MakeFeed(const onyx::ValueInfo& info, SplitMix64& rng, onyx::Tensor* out) {
  if (info.kind != onyx::ValueInfo::Kind::Tensor || info.dtype == onyx::DataType::Undefined) return false;
  std::vector<int64_t> shape;
  int64_t elements = 1;
  for (const onyx::Dim& d : info.shape) {
    int64_t v = d.is_fixed() ? d.value : 2;
    shape.push_back(v);
    if (v > kMaxFeedElements) return false;
    elements *= v;
    if (elements > kMaxFeedElements) return false;
  }
  onyx::Tensor t(info.dtype, shape);
  if (info.dtype == onyx::DataType::String) {
    auto* s = t.data<std::string>();
    for (int64_t i = 0; i < t.size(); ++i) s[i] = std::string(rng.Next() % 4, 'a' + char(rng.Next() % 26));
  } else if (info.dtype == onyx::DataType::Bool) {
    auto* b = t.data<bool>();
    for (int64_t i = 0; i < t.size(); ++i) b[i] = rng.Next() & 1;
  } else {
    // Arbitrary bit patterns: NaN, Inf, denormals and out-of-range indices all reach kernels.
    auto* bytes = static_cast<unsigned char*>(t.raw_data());
    for (size_t i = 0; i < t.nbytes(); ++i) bytes[i] = static_cast<unsigned char>(rng.Next());
  }
  *out = std::move(t);
  return true;
}

// Stops runs that take longer than kRunBudget: a model may legitimately loop 2^62 times (a Loop
// whose trip count is a random feed), which is no bug but would read as a libFuzzer timeout.
// One thread sets the current run's RunOptions::terminate once its deadline has passed.
constexpr auto kRunBudget = std::chrono::seconds(2);

class Watchdog {
 public:
  Watchdog() : thread_([this] { Watch(); }) { thread_.detach(); }
  void Arm(std::shared_ptr<std::atomic<bool>> flag) {
    std::lock_guard<std::mutex> lock(mu_);
    flag_ = std::move(flag);
    deadline_ = std::chrono::steady_clock::now() + kRunBudget;
  }
  void Disarm() {
    std::lock_guard<std::mutex> lock(mu_);
    flag_.reset();
  }

 private:
  void Watch() {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::lock_guard<std::mutex> lock(mu_);
      if (flag_ && std::chrono::steady_clock::now() > deadline_) flag_->store(true);
    }
  }
  std::mutex mu_;
  std::shared_ptr<std::atomic<bool>> flag_;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
};

Watchdog& TheWatchdog() {
  static Watchdog* w = new Watchdog;  // never destroyed: its thread runs until the process exits
  return *w;
}

}  // namespace

// Tensors past 64 MiB are refused (onyx::Error) rather than allocated: under ASan a failed huge
// allocation aborts, and a fuzzer run should measure the code, not the machine's memory. Kernel
// time grows with tensor size, so the cap also keeps one kernel (which the run watchdog cannot
// interrupt) well inside libFuzzer's timeout under ASan.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("ONYX_MAX_TENSOR_BYTES", "67108864", 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onyx::SessionOptions options;
  options.intra_op_num_threads = 1;
  options.log_severity_level = 4;
  try {
    onyx::Session session(data, size, options);
    uint64_t seed = size;
    for (size_t i = 0; i < size && i < 64; ++i) seed = seed * 131 + data[i];
    SplitMix64 rng{seed};
    std::vector<std::pair<std::string, onyx::Value>> feeds;
    for (const onyx::ValueInfo& info : session.inputs()) {
      onyx::Tensor t;
      if (!MakeFeed(info, rng, &t)) return 0;
      feeds.emplace_back(info.name, onyx::Value(std::move(t)));
    }
    onyx::RunOptions run_options;
    TheWatchdog().Arm(run_options.terminate);
    try {
      session.RunValues(feeds, {}, run_options);  // not Run(): outputs may be sequences or optionals
    } catch (...) {
      TheWatchdog().Disarm();
      throw;
    }
    TheWatchdog().Disarm();
  } catch (const onyx::Error& e) {
    // The expected outcome for most mutated models: a clear error. ONYX_FUZZ_VERBOSE=1 prints
    // it, to see how far inputs get (parse, session creation or run).
    static const bool verbose = std::getenv("ONYX_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "  %s: %s\n", onyx::ErrorCodeName(e.code()), e.what());
  }
  return 0;
}
