#pragma once
// Host-side helpers of the CUDA tensor family (data movement): the element types it moves, the
// strided-copy planner that every view-like op (Transpose, Slice, Expand, Tile) goes through,
// and the registration function of each file.
#include <cstdint>
#include <vector>

#include "cuda_common.h"

namespace onyx::cuda {

// Every fixed-size element type: data movement depends only on the element size.
const std::vector<DataType>& DataMovementTypes();

// dst (contiguous over out_shape) element c = src[src_offset + sum_k c_k * strides[k]]
// (element units; strides may be 0 or negative). src_count: elements of the source buffer,
// which bounds every offset read. Merges dims, widens the moved unit where sizes and
// alignment allow, and routes batched 2-D transposes through shared-memory tiles.
void StridedCopy(cudaStream_t stream, DataType dt, const std::vector<int64_t>& out_shape, void* dst, const void* src,
                 int64_t src_offset, const std::vector<int64_t>& strides, int64_t src_count);

// dst[r * dst_ld + k] = src[r * src_ld + k] for r < rows, k < width (element units).
void Copy2D(cudaStream_t stream, DataType dt, void* dst, int64_t dst_ld, const void* src, int64_t src_ld, int64_t rows,
            int64_t width);

// The widest unit (bytes, at most 16 and a multiple of elem_bytes) dividing every value
// (byte counts, byte offsets and addresses).
int WidestUnit(size_t elem_bytes, const std::vector<uint64_t>& values);

// Byte pointer to element i of a device buffer of type dt.
inline char* DeviceElementAt(void* base, DataType dt, int64_t i) {
  return static_cast<char*>(base) + static_cast<size_t>(i) * DataTypeSize(dt);
}
inline const char* DeviceElementAt(const void* base, DataType dt, int64_t i) {
  return static_cast<const char*>(base) + static_cast<size_t>(i) * DataTypeSize(dt);
}

void RegisterCudaReshapeKernels(KernelRegistry& r);
void RegisterCudaTransposeKernels(KernelRegistry& r);
void RegisterCudaGatherKernels(KernelRegistry& r);
void RegisterCudaConcatSplitKernels(KernelRegistry& r);
void RegisterCudaSliceKernels(KernelRegistry& r);
void RegisterCudaPadTileExpandKernels(KernelRegistry& r);

}  // namespace onyx::cuda
