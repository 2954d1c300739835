#include "mlas/nn_depthwise.h"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "mlas/nn_cpu.h"
#include "mlas/nn_depthwise_kernels.h"

namespace onyx::mlas {

namespace {

// Float 3x3 and 5x5 windows with stride 1 or 2 and no dilation go to the AVX2 kernels
// (nn_depthwise_avx2.cc) where the CPU has them. The general code below serves the rest:
//
// The input plane is first copied into a zero-padded scratch plane covering every tap of
// every window, so the loops below never test bounds.
//
// Stride 1: output (oh, ow) reads padded[(oh + i*dh) * Wp + ow + j*dw]. Computing outputs on
// the padded grid's width Wp makes that a single run over q = oh * Wp + ow: one long
// vectorised loop per kernel row, whatever the plane size; the Wp - out_w extra columns of
// each row are dropped when copying out. Other strides go row by row.
//
// KW is the kernel width when known at compile time (0: read from s), so the taps of a
// kernel row unroll inside the vectorised loop.
template <typename T, int KW>
ONYX_NN_INLINE void DepthwiseStride1(const T* __restrict padded, int64_t Wp, const T* __restrict filter, T bias,
                                     const DepthwiseShape& s, T* __restrict acc, T* __restrict out) {
  const int64_t kw = KW > 0 ? KW : s.kernel_w, dw = s.dilation_w, dh = s.dilation_h;
  const int64_t n = (s.out_h - 1) * Wp + s.out_w;
  for (int64_t q = 0; q < n; ++q) acc[q] = bias;
  for (int64_t i = 0; i < s.kernel_h; ++i) {
    const T* __restrict src = padded + i * dh * Wp;
    const T* __restrict f = filter + i * kw;
    if constexpr (KW > 0) {
      T fk[KW];
      for (int j = 0; j < KW; ++j) fk[j] = f[j];
      for (int64_t q = 0; q < n; ++q) {
        T a = acc[q];
        for (int j = 0; j < KW; ++j) a += fk[j] * src[q + j * dw];
        acc[q] = a;
      }
    } else {
      for (int64_t j = 0; j < kw; ++j) {
        const T fj = f[j];
        const T* __restrict p = src + j * dw;
        for (int64_t q = 0; q < n; ++q) acc[q] += fj * p[q];
      }
    }
  }
  for (int64_t oh = 0; oh < s.out_h; ++oh)
    for (int64_t ow = 0; ow < s.out_w; ++ow) out[oh * s.out_w + ow] = acc[oh * Wp + ow];
}

template <typename T, int KW, int SW>
ONYX_NN_INLINE void DepthwiseStrided(const T* __restrict padded, int64_t Wp, const T* __restrict filter, T bias,
                                     const DepthwiseShape& s, T* __restrict out) {
  const int64_t kw = KW > 0 ? KW : s.kernel_w, sw = SW > 0 ? SW : s.stride_w, dw = s.dilation_w;
  const int64_t OW = s.out_w;
  for (int64_t oh = 0; oh < s.out_h; ++oh) {
    T* __restrict orow = out + oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) orow[ow] = bias;
    for (int64_t i = 0; i < s.kernel_h; ++i) {
      const T* __restrict prow = padded + (oh * s.stride_h + i * s.dilation_h) * Wp;
      const T* __restrict f = filter + i * kw;
      if constexpr (KW > 0) {
        T fk[KW];
        for (int j = 0; j < KW; ++j) fk[j] = f[j];
        for (int64_t ow = 0; ow < OW; ++ow) {
          const T* p = prow + ow * sw;
          T a = orow[ow];
          for (int j = 0; j < KW; ++j) a += fk[j] * p[j * dw];
          orow[ow] = a;
        }
      } else {
        for (int64_t j = 0; j < kw; ++j) {
          const T fj = f[j];
          const T* __restrict p = prow + j * dw;
          for (int64_t ow = 0; ow < OW; ++ow) orow[ow] += fj * p[ow * sw];
        }
      }
    }
  }
}

template <typename T>
ONYX_NN_INLINE void DepthwiseDispatch(const T* padded, int64_t Wp, const T* filter, T bias, const DepthwiseShape& s,
                                      T* acc, T* out) {
  if (s.stride_h == 1 && s.stride_w == 1) {
    if (s.kernel_w == 3) return DepthwiseStride1<T, 3>(padded, Wp, filter, bias, s, acc, out);
    if (s.kernel_w == 5) return DepthwiseStride1<T, 5>(padded, Wp, filter, bias, s, acc, out);
    return DepthwiseStride1<T, 0>(padded, Wp, filter, bias, s, acc, out);
  }
  if (s.kernel_w == 3 && s.stride_w == 2) return DepthwiseStrided<T, 3, 2>(padded, Wp, filter, bias, s, out);
  if (s.kernel_w == 5 && s.stride_w == 2) return DepthwiseStrided<T, 5, 2>(padded, Wp, filter, bias, s, out);
  return DepthwiseStrided<T, 0, 0>(padded, Wp, filter, bias, s, out);
}

void DispatchBaseline(const float* padded, int64_t Wp, const float* filter, float bias, const DepthwiseShape& s,
                      float* acc, float* out) {
  DepthwiseDispatch<float>(padded, Wp, filter, bias, s, acc, out);
}

#if ONYX_NN_X86
ONYX_NN_TARGET_AVX2 void DispatchAvx2(const float* padded, int64_t Wp, const float* filter, float bias,
                                      const DepthwiseShape& s, float* acc, float* out) {
  DepthwiseDispatch<float>(padded, Wp, filter, bias, s, acc, out);
}
#endif

void DispatchPlane(const float* padded, int64_t Wp, const float* filter, float bias, const DepthwiseShape& s,
                   float* acc, float* out) {
#if ONYX_NN_X86
  if (NnUseAvx2()) return DispatchAvx2(padded, Wp, filter, bias, s, acc, out);
#endif
  DispatchBaseline(padded, Wp, filter, bias, s, acc, out);
}

void DispatchPlane(const double* padded, int64_t Wp, const double* filter, double bias, const DepthwiseShape& s,
                   double* acc, double* out) {
  DepthwiseDispatch<double>(padded, Wp, filter, bias, s, acc, out);
}

// Fills rows [0, Hp) x columns [0, pitch) of `padded` with the input plane shifted by the pads:
// padded (r, c) = in (r - pad_top, c - pad_left), zero outside the input.
template <typename T>
void FillPadded(const T* in, const DepthwiseShape& s, int64_t Hp, int64_t pitch, T* padded) {
  for (int64_t r = 0; r < Hp; ++r) {
    T* dst = padded + r * pitch;
    const int64_t ih = r - s.pad_top;
    if (ih < 0 || ih >= s.height) {
      std::fill(dst, dst + pitch, T(0));
      continue;
    }
    // Columns c of the padded row map to input column c - pad_left.
    const int64_t c0 = std::clamp<int64_t>(s.pad_left, 0, pitch);
    const int64_t c1 = std::clamp<int64_t>(s.pad_left + s.width, c0, pitch);
    std::fill(dst, dst + c0, T(0));
    if (c1 > c0) std::copy_n(in + ih * s.width + (c0 - s.pad_left), c1 - c0, dst + c0);
    std::fill(dst + c1, dst + pitch, T(0));
  }
}

// Relu and Clip as a clamp [lo, hi] the vector kernels apply in their stores.
bool ActivationAsClamp(const Activation* a, float* lo, float* hi) {
  *lo = -std::numeric_limits<float>::infinity();
  *hi = std::numeric_limits<float>::infinity();
  if (!a || a->kind == ActivationKind::Identity) return true;
  if (a->kind == ActivationKind::Relu) return *lo = 0.f, true;
  if (a->kind == ActivationKind::Clip) return *lo = a->alpha, *hi = a->beta, true;
  return false;
}

#if ONYX_MLAS_DEPTHWISE_AVX2
// The AVX2 kernels take square 3x3 and 5x5 windows, stride 1 or 2 and no dilation, any pads.
bool TryDepthwiseAvx2(const float* in, int64_t in_stride, const float* filter, const float* bias, int64_t count,
                      const DepthwiseShape& s, float* out, const Activation* activation) {
  const int64_t k = s.kernel_h, st = s.stride_h;
  if (!NnUseAvx2() || s.kernel_w != k || (k != 3 && k != 5) || s.stride_w != st || (st != 1 && st != 2) ||
      s.dilation_h != 1 || s.dilation_w != 1 || s.pad_top < 0 || s.pad_left < 0)
    return false;
  if (s.width + s.pad_left + 64 > INT32_MAX || s.out_w * st > INT32_MAX) return false;
  float lo, hi;
  const bool fused = ActivationAsClamp(activation, &lo, &hi);
  thread_local std::vector<float> zeros;  // never written: all zeros
  const size_t need = static_cast<size_t>(s.pad_left + DepthwiseZerosEnd(k, st, s.out_w));
  if (zeros.size() < need) zeros.resize(need, 0.f);
  const DepthwisePlane plane{in, zeros.data() + s.pad_left, s.height, s.width, s.pad_top, s.pad_left, s.out_h, s.out_w};
  thread_local std::vector<float> scratch;
  const size_t scratch_size = static_cast<size_t>(DepthwiseAvx2ScratchSize(plane, static_cast<int>(k), static_cast<int>(st)));
  if (scratch.size() < scratch_size) scratch.resize(scratch_size);
  const DepthwiseBatch batch{count, in_stride, filter, bias, out};
  if (!DepthwiseAvx2(plane, batch, static_cast<int>(k), static_cast<int>(st), lo, hi,
                     scratch_size ? scratch.data() : nullptr))
    return false;
  if (!fused) ApplyActivation(*activation, out, count * s.out_h * s.out_w);
  return true;
}
#endif

template <typename T>
void Depthwise(const T* in, int64_t in_stride, const T* filter, const T* bias, int64_t count, const DepthwiseShape& s,
               T* out, const Activation* activation) {
  if (s.out_h <= 0 || s.out_w <= 0 || count <= 0) return;
#if ONYX_MLAS_DEPTHWISE_AVX2
  if constexpr (std::is_same_v<T, float>)
    if (TryDepthwiseAvx2(in, in_stride, filter, bias, count, s, out, activation)) return;
#endif
  // Extent of the padded plane: every tap of every window, starting at (-pad_top, -pad_left).
  const int64_t Hp = (s.out_h - 1) * s.stride_h + (s.kernel_h - 1) * s.dilation_h + 1;
  const int64_t Wp = (s.out_w - 1) * s.stride_w + (s.kernel_w - 1) * s.dilation_w + 1;
  thread_local std::vector<T> scratch;
  const bool stride1 = s.stride_h == 1 && s.stride_w == 1;
  const size_t need = static_cast<size_t>(Hp * Wp + (stride1 ? s.out_h * Wp : 0));
  if (scratch.size() < need) scratch.resize(need);
  T* padded = scratch.data();
  const int64_t ksize = s.kernel_h * s.kernel_w, out_size = s.out_h * s.out_w;
  for (int64_t q = 0; q < count; ++q) {
    FillPadded(in + q * in_stride, s, Hp, Wp, padded);
    DispatchPlane(padded, Wp, filter + q * ksize, bias ? bias[q] : T(0), s, padded + Hp * Wp, out + q * out_size);
    if (activation) ApplyActivation(*activation, out + q * out_size, out_size);
  }
}

}  // namespace

void DepthwiseConv2d(const float* in, const float* filter, float bias, const DepthwiseShape& s, float* out,
                     const Activation* activation) {
  Depthwise<float>(in, 0, filter, &bias, 1, s, out, activation);
}

void DepthwiseConv2d(const double* in, const double* filter, double bias, const DepthwiseShape& s, double* out,
                     const Activation* activation) {
  Depthwise<double>(in, 0, filter, &bias, 1, s, out, activation);
}

void DepthwiseConv2dPlanes(const float* in, int64_t in_stride, const float* filter, const float* bias, int64_t count,
                           const DepthwiseShape& s, float* out, const Activation* activation) {
  Depthwise<float>(in, in_stride, filter, bias, count, s, out, activation);
}

void DepthwiseConv2dPlanes(const double* in, int64_t in_stride, const double* filter, const double* bias,
                           int64_t count, const DepthwiseShape& s, double* out, const Activation* activation) {
  Depthwise<double>(in, in_stride, filter, bias, count, s, out, activation);
}

}  // namespace onyx::mlas
