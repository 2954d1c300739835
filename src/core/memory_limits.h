#pragma once
#include <cstddef>
#include <cstdint>

namespace onyx {

// The largest tensor (or model-sized scratch buffer) onyx allocates: 1 TiB, or the environment
// variable ONYX_MAX_TENSOR_BYTES read once. A model can ask for any size; sizes past the limit
// are refused with an onyx::Error before anything is allocated. The fuzzer lowers it so that
// its runs measure the code rather than the machine's memory.
int64_t MaxTensorBytes();

// Throws onyx::Error(Fail) naming `what` if count elements of element_bytes each exceed
// MaxTensorBytes(). Kernels call it before allocating scratch whose size a model controls.
void CheckAllocationSize(int64_t count, size_t element_bytes, const char* what);

}  // namespace onyx
