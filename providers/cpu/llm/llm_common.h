#pragma once
// Shared helpers of the llm and training families: element conversion between a tensor of any
// floating type and a compute buffer (float or double), and the family registration pieces.
#include <string>
#include <vector>

#include "core/float16.h"
#include "cpu_kernels.h"
#include "kernel_utils.h"

namespace onyx {

inline bool IsFloatingType(DataType dt) {
  return dt == DataType::Float || dt == DataType::Double || dt == DataType::Float16 || dt == DataType::BFloat16;
}

// Throws NotImplemented naming `what` unless t is float, double, float16 or bfloat16.
inline void RequireFloating(const Tensor& t, const KernelContext& ctx, const char* what) {
  if (!IsFloatingType(t.dtype()))
    throw ctx.MakeError(ErrorCode::NotImplemented,
                        std::string(what) + " of element type " + DataTypeName(t.dtype()) + " is not supported");
}

// Converts n elements of t starting at element `first` into dst (as C). Floating, integer and
// bool tensors are accepted.
template <typename C>
void LoadAs(const Tensor& t, C* dst, int64_t first, int64_t n, const KernelContext& ctx) {
  switch (t.dtype()) {
    case DataType::Float: { const float* s = t.data<float>() + first; for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<C>(s[i]); return; }
    case DataType::Double: { const double* s = t.data<double>() + first; for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<C>(s[i]); return; }
    case DataType::Float16: { const uint16_t* s = t.data<uint16_t>() + first; for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<C>(HalfToFloat(s[i])); return; }
    case DataType::BFloat16: { const uint16_t* s = t.data<uint16_t>() + first; for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<C>(BFloat16ToFloat(s[i])); return; }
    default:
      DispatchArithmetic(t.dtype() == DataType::Bool ? DataType::UInt8 : t.dtype(), ctx, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* s = static_cast<const T*>(t.raw_data()) + first;
        for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<C>(s[i]);
      });
  }
}

template <typename C>
std::vector<C> LoadAll(const Tensor& t, const KernelContext& ctx) {
  std::vector<C> v(static_cast<size_t>(t.size()));
  LoadAs<C>(t, v.data(), 0, t.size(), ctx);
  return v;
}

// Writes n values of src into the floating tensor t starting at element `first`, rounding to its type.
template <typename C>
void StoreAs(const C* src, Tensor& t, int64_t first, int64_t n) {
  switch (t.dtype()) {
    case DataType::Float: { float* d = t.data<float>() + first; for (int64_t i = 0; i < n; ++i) d[i] = static_cast<float>(src[i]); return; }
    case DataType::Double: { double* d = t.data<double>() + first; for (int64_t i = 0; i < n; ++i) d[i] = static_cast<double>(src[i]); return; }
    case DataType::Float16: { uint16_t* d = t.data<uint16_t>() + first; for (int64_t i = 0; i < n; ++i) d[i] = FloatToHalf(static_cast<float>(src[i])); return; }
    case DataType::BFloat16: { uint16_t* d = t.data<uint16_t>() + first; for (int64_t i = 0; i < n; ++i) d[i] = FloatToBFloat16(static_cast<float>(src[i])); return; }
    default: return;
  }
}

// Rounds v to the precision of dt (float16/bfloat16/float), as the reference computations do
// when they hold intermediates in the input type.
inline float RoundTo(DataType dt, float v) {
  if (dt == DataType::Float16) return HalfToFloat(FloatToHalf(v));
  if (dt == DataType::BFloat16) return BFloat16ToFloat(FloatToBFloat16(v));
  return v;
}

inline const std::vector<DataType>& FloatingTypes() {
  static const std::vector<DataType> t = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16};
  return t;
}

void RegisterAttentionKernels(KernelRegistry& r);    // attention.cc
void RegisterLlmElementwiseKernels(KernelRegistry& r);  // rotary_norm.cc: RotaryEmbedding, RMSNormalization, SwiGLU, TensorScatter
void RegisterRecurrentLlmKernels(KernelRegistry& r);   // linear_attention.cc: LinearAttention, CausalConvWithState
void RegisterFlexAttentionKernels(KernelRegistry& r);  // flex_attention.cc (ai.onnx.preview)
void RegisterMultiHeadAttentionKernels(KernelRegistry& r);  // multihead_attention.cc (com.microsoft)

}  // namespace onyx
