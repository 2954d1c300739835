#pragma once
// Shared machinery of the math kernels: compile-time type sets for dispatch, element load/store
// through a compute type (16-bit floats compute in float), and an N-input broadcast plan that
// walks the output in contiguous inner runs.

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "core/thread_pool.h"
#include "kernel_utils.h"

namespace onyx::math {

// ---- Type sets -------------------------------------------------------------------------------

enum TypeBits : uint32_t {
  kF32 = 1u << 0, kF64 = 1u << 1, kF16 = 1u << 2, kBF16 = 1u << 3,
  kI8 = 1u << 4, kI16 = 1u << 5, kI32 = 1u << 6, kI64 = 1u << 7,
  kU8 = 1u << 8, kU16 = 1u << 9, kU32 = 1u << 10, kU64 = 1u << 11,
  kBool = 1u << 12, kStr = 1u << 13,
};
inline constexpr uint32_t kFloats = kF32 | kF64 | kF16 | kBF16;
inline constexpr uint32_t kSignedInts = kI8 | kI16 | kI32 | kI64;
inline constexpr uint32_t kUnsignedInts = kU8 | kU16 | kU32 | kU64;
inline constexpr uint32_t kInts = kSignedInts | kUnsignedInts;
inline constexpr uint32_t kNumeric = kFloats | kInts;
inline constexpr uint32_t kSignedNumeric = kFloats | kSignedInts;
inline constexpr uint32_t kAllTypes = kNumeric | kBool | kStr;

std::vector<DataType> TypeSetList(uint32_t set);

// Calls fn(TypeTag<T>{}) for dtype when it is in Set; only the types of Set are instantiated.
// Other types throw NotImplemented naming the node.
template <uint32_t Set, typename Fn>
void Dispatch(DataType dt, const KernelContext& ctx, Fn&& fn) {
#define ONYX_MATH_CASE(BIT, DT, T)              \
  case DataType::DT:                            \
    if constexpr ((Set & (BIT)) != 0) {         \
      fn(TypeTag<T>{});                         \
      return;                                   \
    }                                           \
    break;
  switch (dt) {
    ONYX_MATH_CASE(kF32, Float, float)
    ONYX_MATH_CASE(kF64, Double, double)
    ONYX_MATH_CASE(kF16, Float16, Half)
    ONYX_MATH_CASE(kBF16, BFloat16, BFloat16)
    ONYX_MATH_CASE(kI8, Int8, int8_t)
    ONYX_MATH_CASE(kI16, Int16, int16_t)
    ONYX_MATH_CASE(kI32, Int32, int32_t)
    ONYX_MATH_CASE(kI64, Int64, int64_t)
    ONYX_MATH_CASE(kU8, UInt8, uint8_t)
    ONYX_MATH_CASE(kU16, UInt16, uint16_t)
    ONYX_MATH_CASE(kU32, UInt32, uint32_t)
    ONYX_MATH_CASE(kU64, UInt64, uint64_t)
    ONYX_MATH_CASE(kBool, Bool, bool)
    ONYX_MATH_CASE(kStr, String, std::string)
    default: break;
  }
#undef ONYX_MATH_CASE
  throw ctx.MakeError(ErrorCode::NotImplemented,
                      std::string("element type ") + DataTypeName(dt) + " is not supported by " + ctx.node().op_type);
}

// ---- Element access --------------------------------------------------------------------------

// Elem<T>::C is the type arithmetic happens in; Load/Store convert to and from storage.
template <typename T>
struct Elem {
  using C = T;
  static const T& Load(const T& v) { return v; }
  static T Store(const T& v) { return v; }
};
template <>
struct Elem<Half> {
  using C = float;
  static float Load(Half v) { return ToFloat(v); }
  static Half Store(float v) { return FromFloat<Half>(v); }
};
template <>
struct Elem<BFloat16> {
  using C = float;
  static float Load(BFloat16 v) { return ToFloat(v); }
  static BFloat16 Store(float v) { return FromFloat<BFloat16>(v); }
};
template <typename T>
using ComputeT = typename Elem<T>::C;

template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T> || std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

template <typename T>
constexpr DataType DataTypeOf() {
  if constexpr (std::is_same_v<T, float>) return DataType::Float;
  else if constexpr (std::is_same_v<T, double>) return DataType::Double;
  else if constexpr (std::is_same_v<T, Half>) return DataType::Float16;
  else if constexpr (std::is_same_v<T, BFloat16>) return DataType::BFloat16;
  else if constexpr (std::is_same_v<T, int8_t>) return DataType::Int8;
  else if constexpr (std::is_same_v<T, int16_t>) return DataType::Int16;
  else if constexpr (std::is_same_v<T, int32_t>) return DataType::Int32;
  else if constexpr (std::is_same_v<T, int64_t>) return DataType::Int64;
  else if constexpr (std::is_same_v<T, uint8_t>) return DataType::UInt8;
  else if constexpr (std::is_same_v<T, uint16_t>) return DataType::UInt16;
  else if constexpr (std::is_same_v<T, uint32_t>) return DataType::UInt32;
  else if constexpr (std::is_same_v<T, uint64_t>) return DataType::UInt64;
  else if constexpr (std::is_same_v<T, bool>) return DataType::Bool;
  else if constexpr (std::is_same_v<T, std::string>) return DataType::String;
  else return DataType::Undefined;
}

// ---- Integer arithmetic without undefined behaviour ----------------------------------------
// Signed overflow wraps (two's complement) as in onnxruntime, instead of being UB.

template <typename C>
using WideUnsigned = std::conditional_t<(sizeof(C) < sizeof(unsigned)), unsigned, std::make_unsigned_t<C>>;

template <typename C>
inline C WrapAdd(C a, C b) {
  if constexpr (std::is_integral_v<C> && !std::is_same_v<C, bool>)
    return static_cast<C>(static_cast<WideUnsigned<C>>(a) + static_cast<WideUnsigned<C>>(b));
  else return a + b;
}
template <typename C>
inline C WrapSub(C a, C b) {
  if constexpr (std::is_integral_v<C> && !std::is_same_v<C, bool>)
    return static_cast<C>(static_cast<WideUnsigned<C>>(a) - static_cast<WideUnsigned<C>>(b));
  else return a - b;
}
template <typename C>
inline C WrapMul(C a, C b) {
  if constexpr (std::is_integral_v<C> && !std::is_same_v<C, bool>)
    return static_cast<C>(static_cast<WideUnsigned<C>>(a) * static_cast<WideUnsigned<C>>(b));
  else return a * b;
}
template <typename C>
inline C WrapNeg(C a) {
  if constexpr (std::is_integral_v<C>) return static_cast<C>(WideUnsigned<C>(0) - static_cast<WideUnsigned<C>>(a));
  else return -a;
}

// Throws InvalidArgument naming the node when an integer divisor tensor holds a zero.
template <typename T>
void CheckNoZeroDivisor(const KernelContext& ctx, const Tensor& divisor) {
  if constexpr (std::is_integral_v<T>) {
    const T* p = divisor.data<T>();
    bool zero = false;
    for (int64_t i = 0; i < divisor.size(); ++i) zero |= (p[i] == 0);
    if (zero) throw ctx.MakeError(ErrorCode::InvalidArgument, "integer division by zero (input 1 holds a zero)");
  }
}

// Float to integer as x86 does it for int32/int64 (out of range and NaN give the lowest value),
// then wrapped to narrower types, without C++'s undefined behaviour.
template <typename I, typename F>
inline I FloatToInt(F f) {
  static_assert(std::is_integral_v<I>);
  const double d = static_cast<double>(f);
  if constexpr (std::is_same_v<I, uint64_t>) {
    if (d >= 9223372036854775808.0 && d < 18446744073709551616.0)
      return static_cast<uint64_t>(d - 9223372036854775808.0) + (uint64_t(1) << 63);
    if (d > -9223372036854775808.0 && d < 9223372036854775808.0) return static_cast<uint64_t>(static_cast<int64_t>(d));
    return uint64_t(1) << 63;
  } else if constexpr (std::is_same_v<I, int32_t>) {
    if (d > -2147483649.0 && d < 2147483648.0) return static_cast<int32_t>(d);
    return INT32_MIN;
  } else {
    int64_t v = (d >= -9223372036854775808.0 && d < 9223372036854775808.0) ? static_cast<int64_t>(d) : INT64_MIN;
    return static_cast<I>(v);
  }
}

// ---- Broadcasting ----------------------------------------------------------------------------

// Numpy broadcast of several shapes; throws InvalidArgument naming the node.
std::vector<int64_t> BroadcastAll(const std::vector<const std::vector<int64_t>*>& shapes, const KernelContext& ctx);

// The output of a broadcast, with its dims merged where every input allows it, so that the
// last merged dim is a contiguous run in which each input either advances (stride 1) or
// repeats one element (stride 0). Same-shape and scalar cases collapse to a single run.
class BroadcastPlan {
 public:
  BroadcastPlan(const std::vector<const std::vector<int64_t>*>& inputs, const std::vector<int64_t>& out_shape);

  int64_t out_size() const { return out_size_; }
  int64_t inner() const { return dims_.back(); }
  // 0 or 1: how input k advances along the inner run.
  int64_t inner_stride(size_t k) const { return strides_[k].back(); }

  // Calls fn(const int64_t* input_offsets, int64_t output_offset, int64_t n) for every run of
  // the output, in parallel over the pool. cost_per_element guides the split.
  template <typename Fn>
  void Run(ThreadPool* pool, double cost_per_element, Fn&& fn) const;

 private:
  int64_t out_size_ = 0;
  std::vector<int64_t> dims_;                  // merged output dims, outermost first
  std::vector<std::vector<int64_t>> strides_;  // per input, per merged dim
};

template <typename Fn>
void BroadcastPlan::Run(ThreadPool* pool, double cost_per_element, Fn&& fn) const {
  if (out_size_ == 0) return;
  const size_t nd = dims_.size(), nin = strides_.size();
  const int64_t inner = dims_.back();
  // Long runs are cut so that a few large rows still spread over the pool.
  constexpr int64_t kBlock = 16384;
  const int64_t block = inner > 2 * kBlock ? kBlock : inner;
  const int64_t nblocks = (inner + block - 1) / block;
  const int64_t items = (out_size_ / inner) * nblocks;
  ParallelFor(pool, items, cost_per_element * static_cast<double>(block), [&](int64_t begin, int64_t end) {
    int64_t o = begin / nblocks, b = begin % nblocks;
    std::vector<int64_t> idx(nd, 0), base(nin, 0), cur(nin, 0);
    int64_t rem = o;
    for (size_t d = nd - 1; d-- > 0;) {
      idx[d] = rem % dims_[d];
      rem /= dims_[d];
      for (size_t k = 0; k < nin; ++k) base[k] += idx[d] * strides_[k][d];
    }
    for (int64_t w = begin; w < end; ++w) {
      const int64_t s = b * block, n = std::min(block, inner - s);
      for (size_t k = 0; k < nin; ++k) cur[k] = base[k] + s * strides_[k][nd - 1];
      fn(cur.data(), o * inner + s, n);
      if (++b == nblocks) {
        b = 0;
        ++o;
        for (size_t d = nd - 1; d-- > 0;) {
          for (size_t k = 0; k < nin; ++k) base[k] += strides_[k][d];
          if (++idx[d] < dims_[d]) break;
          for (size_t k = 0; k < nin; ++k) base[k] -= strides_[k][d] * dims_[d];
          idx[d] = 0;
        }
      }
    }
  });
}

// out = op(a, b) elementwise over one run; sa/sb are 0 (repeat) or 1 (advance).
template <typename TA, typename TB, typename TO, typename Op>
inline void BinaryRun(const TA* a, int64_t sa, const TB* b, int64_t sb, TO* o, int64_t n, const Op& op) {
  using EA = Elem<TA>;
  using EB = Elem<TB>;
  using EO = Elem<TO>;
  if (sa && sb) {
    for (int64_t i = 0; i < n; ++i) o[i] = EO::Store(op(EA::Load(a[i]), EB::Load(b[i])));
  } else if (sb) {
    const auto av = EA::Load(a[0]);
    for (int64_t i = 0; i < n; ++i) o[i] = EO::Store(op(av, EB::Load(b[i])));
  } else if (sa) {
    const auto bv = EB::Load(b[0]);
    for (int64_t i = 0; i < n; ++i) o[i] = EO::Store(op(EA::Load(a[i]), bv));
  } else {
    const TO v = EO::Store(op(EA::Load(a[0]), EB::Load(b[0])));
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  }
}

// out = op(A, B) with numpy broadcasting; `out` is already allocated with the broadcast shape.
template <typename TA, typename TB, typename TO, typename Op>
void BinaryBroadcast(const KernelContext& ctx, const Tensor& A, const Tensor& B, Tensor& out, const Op& op,
                     double cost_per_element = 1.0) {
  BroadcastPlan plan({&A.shape(), &B.shape()}, out.shape());
  const TA* pa = A.data<TA>();
  const TB* pb = B.data<TB>();
  TO* po = out.data<TO>();
  const int64_t sa = plan.inner_stride(0), sb = plan.inner_stride(1);
  plan.Run(ctx.thread_pool(), cost_per_element, [&](const int64_t* off, int64_t oo, int64_t n) {
    BinaryRun<TA, TB, TO>(pa + off[0], sa, pb + off[1], sb, po + oo, n, op);
  });
}

// Elementwise y[i] = f(x[i]) in parallel chunks over the pool.
template <typename TI, typename TO, typename Fn>
void UnaryMap(const KernelContext& ctx, const TI* x, TO* y, int64_t n, double cost_per_element, const Fn& f) {
  ParallelFor(ctx.thread_pool(), n, cost_per_element, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = Elem<TO>::Store(f(Elem<TI>::Load(x[i])));
  });
}

// Runs fn(begin, end) over [0, n) in parallel chunks; for vectorised microkernels.
template <typename Fn>
void ParallelChunks(const KernelContext& ctx, int64_t n, double cost_per_element, const Fn& fn) {
  ParallelFor(ctx.thread_pool(), n, cost_per_element, [&](int64_t b, int64_t e) { fn(b, e); });
}

// Checks that inputs i and j have the same element type.
void CheckSameType(const KernelContext& ctx, size_t i, size_t j);

}  // namespace onyx::math
