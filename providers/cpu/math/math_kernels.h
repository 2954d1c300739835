#pragma once
// Registration functions of the math family's files; RegisterMathKernels calls them all.
#include <climits>

#include "cpu_kernels.h"
#include "math/math_common.h"

namespace onyx::math {

void RegisterBinaryKernels(KernelRegistry& r);     // elementwise_binary.cc: Add Sub Mul Div Pow Mod
void RegisterCompareKernels(KernelRegistry& r);    // elementwise_compare.cc: comparison, logical, bitwise
void RegisterVariadicKernels(KernelRegistry& r);   // elementwise_variadic.cc: Max Min Sum Mean Where PRelu
void RegisterUnaryKernels(KernelRegistry& r);      // elementwise_unary.cc
void RegisterActivationKernels(KernelRegistry& r); // activations.cc
void RegisterCastKernels(KernelRegistry& r);       // cast.cc
void RegisterMatMulKernels(KernelRegistry& r);     // matmul.cc: MatMul, Gemm
void RegisterSoftmaxKernels(KernelRegistry& r);    // softmax.cc
void RegisterEinsumKernels(KernelRegistry& r);     // einsum.cc
void RegisterBitCastKernels(KernelRegistry& r);    // bitcast.cc

// Registers kernel K for op (ai.onnx, every opset from `since`) accepting the type set.
template <typename K>
void RegisterOp(KernelRegistry& r, const char* op, uint32_t types, int64_t since = 1) {
  KernelDef d;
  d.provider = kCpuProvider;
  d.domain = "";
  d.op_type = op;
  d.since_version = since;
  d.end_version = INT64_MAX;
  d.types = TypeSetList(types);
  d.factory = MakeFactory<K>();
  r.Register(std::move(d));
}

}  // namespace onyx::math
