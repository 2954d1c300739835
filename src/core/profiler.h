#pragma once
// Session profiling in onnxruntime's format: a Chrome trace (a JSON array of complete "X"
// events) that chrome://tracing and Perfetto open. Runs collect their events without locking
// and hand them over when they end, so profiling never serialises concurrent runs.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "onyx/data_type.h"

namespace onyx {

using ProfileClock = std::chrono::steady_clock;

struct ProfileEvent {
  const char* category = "Session";  // "Session" or "Node", as onnxruntime
  std::string name;
  int64_t ts_us = 0;   // from the start of profiling
  int64_t dur_us = 0;
  int64_t tid = 0;
  std::string args;  // members of the "args" object, already JSON, without the braces
};

// The kernel thread id of the caller (what onnxruntime writes as "tid").
int64_t CurrentThreadId();
// s as the inside of a JSON string literal.
std::string JsonEscape(std::string_view s);
// Element type names as onnxruntime writes them in input_type_shape ("float", "MLFloat16").
const char* ProfileTypeName(DataType t);

class Profiler {
 public:
  // Profiling starts now; End() writes PREFIX_YYYY-MM-DD_HH-MM-SS_mmm.json (local time of the
  // start), the name onnxruntime gives. At most max_events are kept: a service that never calls
  // End() must not grow without bound.
  Profiler(std::string file_prefix, size_t max_events);

  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  int64_t start_time_ns() const { return start_ns_; }  // since the Unix epoch
  size_t max_events() const { return max_events_; }
  int64_t Micros(ProfileClock::time_point t) const {
    return std::chrono::duration_cast<std::chrono::microseconds>(t - start_).count();
  }
  // A "Session" event on the calling thread from begin until now.
  void AddSessionEvent(const std::string& name, ProfileClock::time_point begin);
  // Takes a run's events (dropped: those the run could not keep). Returns true the first time
  // events are lost to the cap, so that the caller warns once.
  bool Merge(std::vector<ProfileEvent>&& events, size_t dropped);
  // Writes the trace and stops profiling; returns the file's path, or "" when profiling was
  // already ended. Throws onyx::Error when the file cannot be written.
  std::string End();

 private:
  std::string path_;
  size_t max_events_;
  ProfileClock::time_point start_;
  int64_t start_ns_;
  std::atomic<bool> enabled_{true};
  std::mutex mu_;
  std::vector<ProfileEvent> events_;
  size_t dropped_ = 0;
  bool warned_ = false;
};

// The events of one run, kept without locking until the run hands them to the profiler.
class RunProfile {
 public:
  explicit RunProfile(const Profiler& profiler) : profiler_(profiler), tid_(CurrentThreadId()) {}
  const Profiler& profiler() const { return profiler_; }
  int64_t tid() const { return tid_; }
  void Add(ProfileEvent e) {
    if (events_.size() < profiler_.max_events()) events_.push_back(std::move(e));
    else ++dropped_;
  }
  std::vector<ProfileEvent>& events() { return events_; }
  size_t dropped() const { return dropped_; }

 private:
  const Profiler& profiler_;
  int64_t tid_;
  std::vector<ProfileEvent> events_;
  size_t dropped_ = 0;
};

}  // namespace onyx
