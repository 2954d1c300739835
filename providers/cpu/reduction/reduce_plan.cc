#include "reduction/reduce_plan.h"

namespace onyx {

ReducePlan MakeReducePlan(const std::vector<int64_t>& shape, const std::vector<bool>& reduced, bool keepdims) {
  ReducePlan p;
  const size_t rank = shape.size();
  p.out_count = 1;
  for (size_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      p.reduce_count *= shape[d];
      if (keepdims) p.out_shape.push_back(1);
    } else {
      p.out_count *= shape[d];
      p.out_shape.push_back(shape[d]);
    }
  }
  // Merge dims (dropping size-1 ones) into runs of one kind, innermost first.
  struct Run { int64_t size, stride; bool reduced; };
  std::vector<Run> runs;
  int64_t stride = 1;
  for (size_t k = rank; k-- > 0;) {
    const int64_t n = shape[k];
    if (n != 1) {
      if (!runs.empty() && runs.back().reduced == reduced[k]) runs.back().size *= n;
      else runs.push_back({n, stride, reduced[k]});
    }
    stride *= n;
  }
  size_t first = 0;
  if (!runs.empty() && !runs[0].reduced) {  // innermost kept run: contiguous outputs
    p.inner = runs[0].size;
    first = 1;
  }
  for (size_t k = runs.size(); k-- > first;) {
    MergedDim m{runs[k].size, runs[k].stride};
    (runs[k].reduced ? p.reduced : p.kept).push_back(m);
  }
  if (p.reduced.empty()) p.reduced.push_back({1, 0});
  return p;
}

}  // namespace onyx
