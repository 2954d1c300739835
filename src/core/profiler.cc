#include "core/profiler.h"

#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include "onyx/error.h"

namespace onyx {

int64_t CurrentThreadId() {
  // The kernel's id, as onnxruntime writes, so that traces of both runtimes line up with `top -H`.
  thread_local const int64_t id = [] {
#ifdef __linux__
    return static_cast<int64_t>(syscall(SYS_gettid));
#else
    return static_cast<int64_t>(std::hash<std::thread::id>()(std::this_thread::get_id()) & 0x7fffffff);
#endif
  }();
  return id;
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

const char* ProfileTypeName(DataType t) {
  switch (t) {
    case DataType::Float16: return "MLFloat16";
    case DataType::BFloat16: return "BFloat16";
    case DataType::Float8E4M3FN: return "Float8E4M3FN";
    case DataType::Float8E4M3FNUZ: return "Float8E4M3FNUZ";
    case DataType::Float8E5M2: return "Float8E5M2";
    case DataType::Float8E5M2FNUZ: return "Float8E5M2FNUZ";
    default: return DataTypeName(t);
  }
}

Profiler::Profiler(std::string file_prefix, size_t max_events)
    : max_events_(max_events), start_(ProfileClock::now()) {
  const auto wall = std::chrono::system_clock::now();
  start_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count();
  const std::time_t secs = std::chrono::system_clock::to_time_t(wall);
  std::tm local{};
  localtime_r(&secs, &local);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d_%H-%M-%S", &local);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count() % 1000;
  char millis[8];
  std::snprintf(millis, sizeof millis, "_%03d", static_cast<int>(ms));
  path_ = std::move(file_prefix) + "_" + stamp + millis + ".json";
}

void Profiler::AddSessionEvent(const std::string& name, ProfileClock::time_point begin) {
  ProfileEvent e;
  e.name = name;
  e.ts_us = Micros(begin);
  e.dur_us = Micros(ProfileClock::now()) - e.ts_us;
  e.tid = CurrentThreadId();
  std::vector<ProfileEvent> one;
  one.push_back(std::move(e));
  Merge(std::move(one), 0);
}

bool Profiler::Merge(std::vector<ProfileEvent>&& events, size_t dropped) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!enabled()) return false;  // a run that ended after End(): its events have nowhere to go
  const size_t room = events_.size() < max_events_ ? max_events_ - events_.size() : 0;
  const size_t take = std::min(room, events.size());
  events_.insert(events_.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.begin() + take));
  dropped_ += dropped + (events.size() - take);
  if (dropped_ == 0 || warned_) return false;
  warned_ = true;
  return true;
}

namespace {
void WriteEvent(std::ostream& os, int64_t pid, const ProfileEvent& e) {
  os << "{\"cat\":\"" << e.category << "\",\"pid\":" << pid << ",\"tid\":" << e.tid << ",\"dur\":" << e.dur_us
     << ",\"ts\":" << e.ts_us << ",\"ph\":\"X\",\"name\":\"" << JsonEscape(e.name) << "\",\"args\":{" << e.args << "}}";
}
}  // namespace

std::string Profiler::End() {
  std::vector<ProfileEvent> events;
  size_t dropped = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!enabled()) return "";
    enabled_.store(false, std::memory_order_relaxed);
    events.swap(events_);
    dropped = dropped_;
  }
  if (dropped) {
    // Chrome traces have no comments; an event says that the trace is incomplete.
    ProfileEvent e;
    e.name = "profiling_events_dropped";
    e.ts_us = Micros(ProfileClock::now());
    e.tid = CurrentThreadId();
    e.args = "\"dropped_events\":\"" + std::to_string(dropped) + "\",\"max_events\":\"" + std::to_string(max_events_) + "\"";
    events.push_back(std::move(e));
  }
  std::ofstream os(path_, std::ios::binary | std::ios::trunc);
  if (!os) throw Error(ErrorCode::NoSuchFile, "cannot write the profile to '" + path_ + "'");
  const int64_t pid = static_cast<int64_t>(getpid());
  os << "[\n";
  for (size_t i = 0; i < events.size(); ++i) {
    WriteEvent(os, pid, events[i]);
    os << (i + 1 < events.size() ? ",\n" : "\n");
  }
  os << "]\n";
  os.close();
  if (!os) throw Error(ErrorCode::Fail, "writing the profile to '" + path_ + "' failed");
  return path_;
}

}  // namespace onyx
