#pragma once
// Shared by the host side of the CUDA math kernels: the files' registration functions, element
// type mapping and numpy broadcasting plans for the device kernels.
#include <vector>

#include "cuda_common.h"
#include "elementwise_impl.h"

namespace onyx::cuda {

void RegisterCudaBinaryKernels(KernelRegistry& r);   // elementwise.cc: binary, variadic, Where, PRelu
void RegisterCudaUnaryKernels(KernelRegistry& r);    // unary.cc: unary math and activations, Clip
void RegisterCudaCastKernels(KernelRegistry& r);     // cast.cc: Cast, CastLike, Identity, Dropout
void RegisterCudaSoftmaxKernels(KernelRegistry& r);  // softmax.cc: Softmax, LogSoftmax, LayerNormalization

// The device kernels' name of an element type; false for types they do not handle.
bool ToElemType(DataType t, ElemType* out);
bool IsElemType(DataType t);

// Numpy broadcast of shapes; throws InvalidArgument naming the node.
std::vector<int64_t> BroadcastShape(const KernelContext& ctx, const std::vector<const std::vector<int64_t>*>& shapes);

// The plan of up to kMaxBroadcastInputs inputs broadcast to out_shape (which must have no zero
// dim): dims of size 1 dropped and adjacent dims merged where every input allows. Throws
// InvalidArgument if an input does not broadcast to out_shape, NotImplemented if more than
// kMaxBroadcastDims dims remain after merging.
BroadcastParams MakeBroadcastParams(const KernelContext& ctx, const std::vector<const std::vector<int64_t>*>& inputs,
                                    const std::vector<int64_t>& out_shape);

// Input i's type as the partitioner knows it (Undefined when omitted or unknown).
inline DataType InputType(const NodeOperandTypes& t, size_t i) {
  return i < t.inputs.size() ? t.inputs[i] : DataType::Undefined;
}
inline DataType OutputType(const NodeOperandTypes& t, size_t i) {
  return i < t.outputs.size() ? t.outputs[i] : DataType::Undefined;
}
inline bool IsFloatType(DataType t) { return t == DataType::Float || t == DataType::Float16; }
inline bool HasInput(const Node& n, size_t i) { return i < n.inputs.size() && !n.inputs[i].empty(); }
inline bool HasOutput(const Node& n, size_t i) { return i < n.outputs.size() && !n.outputs[i].empty(); }

}  // namespace onyx::cuda
