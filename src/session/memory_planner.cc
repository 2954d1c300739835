#include "session/memory_planner.h"

#include <algorithm>
#include <map>
#include <string>

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
  auto& all = plan.buffers;
  // In-place chains: each buffer's chain head (the one that reuses nothing), and per head a
  // block as large as its biggest member, alive over the whole chain.
  std::vector<int> head(all.size(), -1), taken(all.size(), 0);
  for (size_t i = 0; i < all.size(); ++i) {
    const int r = all[i].reuses;
    if (r < 0) continue;
    if (static_cast<size_t>(r) >= all.size() || r == static_cast<int>(i) || taken[r]++ ||
        all[i].first_step != all[r].last_step || all[i].bytes > all[r].bytes)
      throw Error(ErrorCode::InvalidGraph, "memory plan: buffer " + std::to_string(i) + " cannot take over buffer " +
                                               std::to_string(r) + " in place");
  }
  std::vector<PlannedBuffer> buffers;  // one per chain
  std::vector<int> block_of(all.size(), -1);
  for (size_t i = 0; i < all.size(); ++i) {
    size_t h = i;
    // Links go from a later birth to an earlier death, so a chain ends; the bound is a guard.
    for (size_t hops = 0; all[h].reuses >= 0; ++hops) {
      if (hops > all.size()) throw Error(ErrorCode::InvalidGraph, "memory plan: a cycle of in-place buffers");
      h = static_cast<size_t>(all[h].reuses);
    }
    head[i] = static_cast<int>(h);
  }
  for (size_t i = 0; i < all.size(); ++i) {
    if (head[i] != static_cast<int>(i)) continue;
    block_of[i] = static_cast<int>(buffers.size());
    buffers.push_back(all[i]);
  }
  for (size_t i = 0; i < all.size(); ++i) {
    PlannedBuffer& block = buffers[block_of[head[i]]];
    block.first_step = std::min(block.first_step, all[i].first_step);
    block.last_step = std::max(block.last_step, all[i].last_step);
    block.bytes = std::max(block.bytes, all[i].bytes);
  }
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
  for (const auto& b : all) plan.total_bytes += AlignUp(b.bytes, alignment);
  for (size_t i : order) {
    PlannedBuffer& b = buffers[i];
    const size_t size = AlignUp(b.bytes, alignment);
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
  for (size_t i = 0; i < all.size(); ++i) all[i].offset = buffers[block_of[head[i]]].offset;
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
