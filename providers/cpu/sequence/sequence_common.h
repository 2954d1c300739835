#pragma once
// Shared pieces of the sequence family: reading sequence/optional inputs and positions, and the
// registration entry points of each file of the family.
#include <string>
#include <vector>

#include "core/kernel_registry.h"
#include "kernel_utils.h"

namespace onyx::sequence {

// Input i as a sequence; throws naming the node when it is absent or not a sequence.
const Value& SequenceInput(const KernelContext& ctx, size_t i);

// Reads a scalar (or 1-element) int32/int64 position input and maps a negative value into
// range. Valid positions are [-n, n-1], or [-n, n] when allow_end (SequenceInsert).
int64_t ReadPosition(const KernelContext& ctx, size_t i, int64_t n, bool allow_end);

void RegisterBasicSequenceKernels(KernelRegistry& r);     // sequence_ops.cc
void RegisterOptionalKernels(KernelRegistry& r);          // optional_ops.cc
void RegisterSplitConcatSequenceKernels(KernelRegistry& r);  // split_concat_sequence.cc
void RegisterSequenceMapKernel(KernelRegistry& r);        // sequence_map.cc

}  // namespace onyx::sequence
