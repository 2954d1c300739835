#pragma once
// Device side of the CUDA reductions (ReduceSum, ReduceMean, ... over any axes).
#include <cuda_runtime.h>

#include <cstdint>

namespace onyx::cuda {

enum class ReduceKind : int { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

inline constexpr int kMaxReduceDims = 8;

// The input seen as output groups (kept dims, row-major) x reduced elements (reduced dims,
// row-major) x `inner` contiguous outputs:
//   y[g * inner + j] = finish(combine over r of x[group_offset(g) + reduced_offset(r) + j])
// with offsets from the (size, stride) pairs below, in elements. reduce_count may be 0 (empty
// reduction: every output gets the op's value for no elements).
struct ReduceArgs {
  int kept_rank = 0;
  int64_t kept_size[kMaxReduceDims] = {};
  int64_t kept_stride[kMaxReduceDims] = {};
  int reduced_rank = 0;
  int64_t reduced_size[kMaxReduceDims] = {};
  int64_t reduced_stride[kMaxReduceDims] = {};
  int64_t groups = 0;
  int64_t reduce_count = 0;
  int64_t inner = 1;
};

// x and y are float (half == false) or IEEE half (half == true); accumulation is in float.
void LaunchReduce(ReduceKind kind, bool half, const void* x, void* y, const ReduceArgs& args, cudaStream_t stream);

}  // namespace onyx::cuda
