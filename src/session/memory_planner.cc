#include "session/memory_planner.h"

#include <algorithm>
#include <map>

#include "onyx/error.h"

namespace onyx {

namespace {
size_t AlignUp(size_t n, size_t alignment) {
  if (n > SIZE_MAX - alignment) throw Error(ErrorCode::InvalidGraph, "memory plan: a buffer size overflows");
  return (n + alignment - 1) / alignment * alignment;
}
bool LiveTogether(const PlannedBuffer& a, const PlannedBuffer& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}
}  // namespace

void AssignOffsets(MemoryPlan& plan, size_t alignment) {
  auto& buffers = plan.buffers;
  // Largest first: big buffers fix the arena's shape, small ones fill the gaps they leave.
  std::vector<size_t> order(buffers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].bytes != buffers[b].bytes) return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].first_step < buffers[b].first_step;
  });
  std::vector<size_t> placed;
  plan.peak_bytes = 0;
  plan.total_bytes = 0;
  for (size_t i : order) {
    PlannedBuffer& b = buffers[i];
    const size_t size = AlignUp(b.bytes, alignment);
    plan.total_bytes += size;
    // The address ranges of placed buffers alive at the same time, by offset.
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t j : placed)
      if (LiveTogether(b, buffers[j])) busy.emplace_back(buffers[j].offset, AlignUp(buffers[j].bytes, alignment));
    std::sort(busy.begin(), busy.end());
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
    for (const auto& [offset, bytes] : busy) {
      if (offset > cursor && offset - cursor >= size && offset - cursor < best_gap) {
        best = cursor;
        best_gap = offset - cursor;
      }
      cursor = std::max(cursor, offset + bytes);
    }
    b.offset = best != SIZE_MAX ? best : cursor;  // no gap fits: above everything alive
    plan.peak_bytes = std::max(plan.peak_bytes, b.offset + size);
    placed.push_back(i);
  }
  // Bytes alive per step, from births and deaths.
  std::map<int, long long> delta;
  for (const auto& b : buffers) {
    const long long size = static_cast<long long>(AlignUp(b.bytes, alignment));
    delta[b.first_step] += size;
    delta[b.last_step + 1] -= size;
  }
  long long live = 0;
  plan.live_lower_bound = 0;
  for (const auto& [step, d] : delta) {
    live += d;
    plan.live_lower_bound = std::max(plan.live_lower_bound, static_cast<size_t>(live));
  }
}

}  // namespace onyx
