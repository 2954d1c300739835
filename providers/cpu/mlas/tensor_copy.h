#pragma once
#include <cstdint>

namespace onyx {
class ThreadPool;

// How an element is moved: by its byte width, or by std::string assignment.
enum class CopyElementKind { Bytes1, Bytes2, Bytes4, Bytes8, Bytes16, String };

namespace mlas {

// dst[i] = src[sum(index_k * src_strides_k)] for every multi-index i over shape[0..rank), with
// dst contiguous. Strides are in elements and may be zero (broadcast) or negative (reversed);
// src points at the element of index 0. Dims are coalesced first; when the innermost source
// stride is not 1 and another dim has stride 1 (a transpose) the copy is tiled for the cache.
void StridedCopy(CopyElementKind kind, const int64_t* shape, const int64_t* src_strides, int rank, void* dst,
                 const void* src, ThreadPool* pool);

}  // namespace mlas
}  // namespace onyx
