#pragma once
// Static memory planning for the intermediate values of one graph: from the execution order,
// when each value is born and when it dies; from the inferred shapes, its size; then one
// offset per value inside a single arena so that values alive at the same time never share
// bytes. The arena's size is the planned peak.
#include <cstddef>
#include <vector>

namespace onyx {

struct PlannedBuffer {
  int slot = -1;
  size_t bytes = 0;
  int first_step = 0;  // the step that produces it
  int last_step = 0;   // the last step during which it is alive (inclusive)
  size_t offset = 0;   // set by AssignOffsets
  // In place: the index of the buffer whose block this one takes over (an output written into an
  // input that dies at the step producing it), or -1. Such a buffer is born on the step where
  // that one dies, is no larger, and gets its offset; a buffer is taken over at most once.
  int reuses = -1;
};

struct MemoryPlan {
  std::vector<PlannedBuffer> buffers;
  size_t peak_bytes = 0;   // arena size: the highest offset + bytes
  size_t total_bytes = 0;  // the same values without reuse, each in its own block
  // The most bytes alive at one step: no placement can do better than this.
  size_t live_lower_bound = 0;
  size_t unplanned_values = 0;  // intermediates whose size is only known at run time
};

// Places buffers greedily, largest first, each into the smallest gap (best fit) among the
// buffers already placed whose lifetimes overlap its own; offsets are multiples of alignment.
// A chain of buffers linked by `reuses` is placed as one block alive from the first one's birth
// to the last one's death. Fills offsets, peak_bytes, total_bytes and live_lower_bound; throws
// InvalidGraph when a `reuses` link breaks the rules above.
void AssignOffsets(MemoryPlan& plan, size_t alignment = 64);

}  // namespace onyx
