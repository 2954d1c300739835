#pragma once
// Helpers shared by the data-movement kernels of tensor/: element copies that work for every
// element type (strings included), reading small int inputs, and the registration entry points
// of each file of the family.
#include <cstdint>
#include <string>
#include <vector>

#include "core/kernel_registry.h"
#include "kernel_utils.h"
#include "mlas/tensor_copy.h"

namespace onyx {

// The element-kind tag of dt for the microkernels in mlas/tensor_copy.h.
CopyElementKind ElementKindOf(DataType dt);

// Every element type a pure data-movement op can carry.
const std::vector<DataType>& AllTensorTypes();

// Bytes between consecutive elements in memory (sizeof(std::string) for strings).
size_t ElementStride(DataType dt);
// Byte pointer to element i of a buffer of type dt.
inline char* ElementAt(void* base, DataType dt, int64_t i) {
  return static_cast<char*>(base) + static_cast<size_t>(i) * ElementStride(dt);
}
inline const char* ElementAt(const void* base, DataType dt, int64_t i) {
  return static_cast<const char*>(base) + static_cast<size_t>(i) * ElementStride(dt);
}
// Calls fn(TypeTag<E>{}) with E a type that moves one element of dt by plain assignment: an
// unsigned integer or 16-byte block of the same width, or std::string.
struct Bytes16 {
  uint64_t lo, hi;
};
template <typename Fn>
void DispatchElement(DataType dt, Fn&& fn) {
  switch (ElementKindOf(dt)) {
    case CopyElementKind::Bytes1: fn(TypeTag<uint8_t>{}); return;
    case CopyElementKind::Bytes2: fn(TypeTag<uint16_t>{}); return;
    case CopyElementKind::Bytes4: fn(TypeTag<uint32_t>{}); return;
    case CopyElementKind::Bytes8: fn(TypeTag<uint64_t>{}); return;
    case CopyElementKind::Bytes16: fn(TypeTag<Bytes16>{}); return;
    case CopyElementKind::String: fn(TypeTag<std::string>{}); return;
  }
}

// Copies n contiguous elements (assigns strings, memcpy for the rest).
void CopyElements(DataType dt, void* dst, const void* src, int64_t n);

// out = in[offset + sum(index_k * strides_k)] over out_shape: covers transposes, slices with any
// step, broadcasting (stride 0) and tiling. dst is contiguous with out_shape.
void StridedCopy(DataType dt, const std::vector<int64_t>& out_shape, void* dst, const void* src, int64_t src_offset,
                 const std::vector<int64_t>& src_strides, ThreadPool* pool);

// Contiguous element strides of a shape.
std::vector<int64_t> ContiguousStrides(const std::vector<int64_t>& shape);

// A 1-element int32/int64 tensor as int64; `what` names it in errors.
int64_t ReadScalarInt(const Tensor& t, const KernelContext& ctx, const std::string& what);

// Converts any numeric element i of t to double / int64 (for depth, k, range inputs ...).
double ReadAsDouble(const Tensor& t, int64_t i, const KernelContext& ctx);

// Normalises axis in [-rank, rank) with a message naming what the axis is for.
inline int64_t CheckedAxis(int64_t axis, int64_t rank, const KernelContext& ctx, const char* what = "axis") {
  if (axis < -rank || axis >= rank)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " " + std::to_string(axis) +
                                                        " is out of range for an input of rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

// Normalises a possibly negative index into [0, dim); throws naming what it indexes.
inline int64_t CheckedIndex(int64_t idx, int64_t dim, const KernelContext& ctx, const char* what) {
  if (idx < -dim || idx >= dim)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " index " + std::to_string(idx) +
                                                        " is out of bounds for a dimension of size " + std::to_string(dim) +
                                                        " (valid range [" + std::to_string(-dim) + ", " +
                                                        std::to_string(dim - 1) + "])");
  return idx < 0 ? idx + dim : idx;
}

// Reads the indices tensor (int32 or int64) as int64 values.
std::vector<int64_t> ReadIndices(const Tensor& t, const KernelContext& ctx, const char* what);

// For GatherElements / ScatterElements: the data offset that each element of `indices` addresses,
// i.e. its own position with the coordinate on `axis` replaced by its value. Checks the shapes
// and every index; `what` names the op in errors.
std::vector<int64_t> AxisIndexOffsets(const Tensor& data, const Tensor& indices, int64_t axis, const KernelContext& ctx,
                                      const char* what);

// y[o] = x[sum_k src_offsets[k][o_k]] over y's shape, or fill_value (a 1-element tensor of x's
// type) where any axis maps to -1. Serves Pad and nearest Resize. The innermost axis is cut into
// runs that are contiguous in x or all fill, so common cases reduce to block copies.
void GatherAxisMaps(const Tensor& x, Tensor& y, const std::vector<std::vector<int64_t>>& src_offsets,
                    const Tensor& fill_value, ThreadPool* pool);

// For GatherND / ScatterND: the data offset that each index tuple (the innermost dim of indices)
// addresses. Tuple entries index data dims [batch_dims, batch_dims + k); the leading batch_dims
// of indices and data match and select the batch. Checks every index; `what` names the op.
std::vector<int64_t> IndexTupleOffsets(const Tensor& data, const Tensor& indices, int64_t batch_dims, const KernelContext& ctx,
                                       const char* what);

// Registration of each file of the family (tensor_kernels.cc calls them all).
void RegisterReshapeKernels(KernelRegistry& r);
void RegisterTransposeKernels(KernelRegistry& r);
void RegisterConcatSplitKernels(KernelRegistry& r);
void RegisterSliceKernels(KernelRegistry& r);
void RegisterGatherKernels(KernelRegistry& r);
void RegisterScatterKernels(KernelRegistry& r);
void RegisterPadTileExpandKernels(KernelRegistry& r);
void RegisterGeneratorKernels(KernelRegistry& r);
void RegisterSortKernels(KernelRegistry& r);
void RegisterCumSumTriluKernels(KernelRegistry& r);
void RegisterResizeKernels(KernelRegistry& r);
void RegisterRandomKernels(KernelRegistry& r);

// Registers one factory for [since, end] under the CPU provider.
void RegisterTensorKernel(KernelRegistry& r, const char* op, int64_t since, int64_t end, std::vector<DataType> types,
                          KernelFactory factory);

}  // namespace onyx
