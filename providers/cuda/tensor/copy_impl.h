#pragma once
// Device data movement for the tensor family. Every kernel moves opaque elements of
// `unit_bytes` (1, 2, 4, 8 or 16): the host side picks the widest unit the sizes and pointer
// alignments allow, so one instantiation per width serves every element type.
#include <cuda_runtime.h>

#include <cstdint>

namespace onyx::cuda {

inline constexpr int kMaxCopyDims = 16;

// dst is contiguous over `shape`; element i (coordinates c) comes from src[sum_k c_k * strides[k]]
// (strides in units, may be 0 or negative; src already points at the first element read).
struct StridedCopyArgs {
  int rank = 0;
  int64_t shape[kMaxCopyDims] = {};
  int64_t strides[kMaxCopyDims] = {};
};
// index32: every index and offset fits in int32 (faster index arithmetic).
void LaunchStridedCopy(int unit_bytes, void* dst, const void* src, const StridedCopyArgs& args, int64_t count, bool index32,
                       cudaStream_t stream);

// dst[b][n][m] = src[b * batch_stride + m * m_stride + n] for b < batch, n < n_size, m < m_size:
// a batched 2-D transpose through shared-memory tiles (reads and writes both coalesced).
// elem_bytes: 1, 2, 4 or 8.
void LaunchTransposeTiles(int elem_bytes, void* dst, const void* src, int64_t batch, int64_t n_size, int64_t m_size,
                          int64_t batch_stride, int64_t m_stride, cudaStream_t stream);

// dst[r * dst_ld + k] = src[r * src_ld + k] for r < rows, k < width (all in units).
void LaunchCopy2D(int unit_bytes, void* dst, int64_t dst_ld, const void* src, int64_t src_ld, int64_t rows, int64_t width,
                  cudaStream_t stream);

// Gather along one axis of src viewed as [outer, dim, inner] (inner in units):
// dst[(o * n + j) * inner + i] = src[(o * dim + idx[j]) * inner + i], where a negative idx[j]
// counts from the end. Indices are checked on the host; one still outside [0, dim) yields zeros.
void LaunchGather(int unit_bytes, void* dst, const void* src, const int64_t* idx, int64_t outer, int64_t n, int64_t dim,
                  int64_t inner, cudaStream_t stream);

enum class PadModeKind : int { Constant = 0, Reflect = 1, Edge = 2, Wrap = 3 };

// Output coordinate c on axis k reads source coordinate i = c - pad_begin[k] of a window of
// size[k] elements starting at crop_begin[k] of the input (stride in_stride[k]); outside the
// window the mode decides (constant: the fill value).
struct PadArgs {
  int rank = 0;
  PadModeKind mode = PadModeKind::Constant;
  int64_t out_shape[kMaxCopyDims] = {};
  int64_t pad_begin[kMaxCopyDims] = {};
  int64_t size[kMaxCopyDims] = {};
  int64_t crop_begin[kMaxCopyDims] = {};
  int64_t in_stride[kMaxCopyDims] = {};
};
// elem_bytes: 1, 2, 4 or 8; fill holds the constant's bytes (little-endian, elem_bytes used).
void LaunchPad(int elem_bytes, void* dst, const void* src, const PadArgs& args, int64_t count, const unsigned char fill[8],
               cudaStream_t stream);

}  // namespace onyx::cuda
