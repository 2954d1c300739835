#pragma once
// The shape side of a reduction: which axes are reduced, the output shape, and the input as
// a short list of merged dims, so that kernels iterate over a few (size, stride) pairs
// instead of the full rank.
#include <cstdint>
#include <vector>

#include "kernel_utils.h"

namespace onyx {

class KernelRegistry;
void RegisterReduceKernels(KernelRegistry& r);
void RegisterArgMinMaxKernels(KernelRegistry& r);

struct MergedDim {
  int64_t size;
  int64_t stride;  // in elements, of the input
};

struct ReducePlan {
  std::vector<int64_t> out_shape;  // keepdims applied
  int64_t out_count = 0;           // output elements
  int64_t reduce_count = 1;        // input elements per output (0: empty reduction)
  // The input seen as [kept dims..., reduced dims..., inner]: kept dims (outer, in order)
  // enumerate output groups, reduced dims enumerate the reduced elements, and `inner`
  // contiguous elements (the last input dims when kept) go to `inner` consecutive outputs.
  std::vector<MergedDim> kept, reduced;
  int64_t inner = 1;

  int64_t groups() const { return inner == 0 ? 0 : out_count / inner; }
  // [groups, reduce] with contiguous rows (the fastest case: reducing the trailing dims).
  bool is_rows() const {
    return inner == 1 && reduced.size() == 1 && reduced[0].stride == 1 &&
           (kept.empty() || (kept.size() == 1 && kept[0].stride == reduced[0].size));
  }
};

// `reduced` flags the axes of `shape` to reduce. Size-1 dims are dropped and neighbours of
// the same kind merged.
ReducePlan MakeReducePlan(const std::vector<int64_t>& shape, const std::vector<bool>& reduced, bool keepdims);

}  // namespace onyx
