#include "mlas/nn_depthwise.h"

#include <algorithm>

#include "mlas/nn_cpu.h"

namespace onyx::mlas {

namespace {

// KW and SW are the kernel width and stride when known at compile time (0: read from s), so
// that the interior loop over output columns unrolls the taps and vectorises.
template <typename T, int KW, int SW>
ONYX_NN_INLINE void DepthwiseBody(const T* __restrict in, const T* __restrict filter, T bias, const DepthwiseShape& s,
                                  T* __restrict out) {
  const int64_t kw = KW > 0 ? KW : s.kernel_w;
  const int64_t sw = SW > 0 ? SW : s.stride_w;
  const int64_t W = s.width, dw = s.dilation_w, pl = s.pad_left, OW = s.out_w;
  // Columns whose taps all fall inside the row: ow*sw - pl >= 0 and ow*sw - pl + (kw-1)*dw < W.
  int64_t lo = pl <= 0 ? 0 : (pl + sw - 1) / sw;
  const int64_t last = W - 1 + pl - (kw - 1) * dw;
  int64_t hi = last < 0 ? 0 : last / sw + 1;
  lo = std::min(lo, OW);
  hi = std::clamp(hi, lo, OW);
  for (int64_t oh = 0; oh < s.out_h; ++oh) {
    T* __restrict orow = out + oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) orow[ow] = bias;
    for (int64_t i = 0; i < s.kernel_h; ++i) {
      const int64_t ih = oh * s.stride_h - s.pad_top + i * s.dilation_h;
      if (ih < 0 || ih >= s.height) continue;
      const T* __restrict irow = in + ih * W - pl;
      const T* __restrict f = filter + i * kw;
      if constexpr (KW > 0) {
        T fk[KW];
        for (int j = 0; j < KW; ++j) fk[j] = f[j];
        for (int64_t ow = lo; ow < hi; ++ow) {
          const T* p = irow + ow * sw;
          T acc = orow[ow];
          for (int j = 0; j < KW; ++j) acc += fk[j] * p[j * dw];
          orow[ow] = acc;
        }
      } else {
        for (int64_t j = 0; j < kw; ++j) {
          const T fj = f[j];
          const T* p = irow + j * dw;
          for (int64_t ow = lo; ow < hi; ++ow) orow[ow] += fj * p[ow * sw];
        }
      }
      // Border columns: check every tap.
      auto border = [&](int64_t b, int64_t e) {
        for (int64_t ow = b; ow < e; ++ow) {
          T acc = orow[ow];
          for (int64_t j = 0; j < kw; ++j) {
            const int64_t iw = ow * sw + j * dw;  // relative to irow, which is shifted by -pl
            if (iw - pl >= 0 && iw - pl < W) acc += f[j] * irow[iw];
          }
          orow[ow] = acc;
        }
      };
      border(0, lo);
      border(hi, OW);
    }
  }
}

template <typename T>
ONYX_NN_INLINE void DepthwiseDispatch(const T* in, const T* filter, T bias, const DepthwiseShape& s, T* out) {
  const bool dil1 = s.dilation_w == 1;
  if (dil1 && s.kernel_w == 3 && s.stride_w == 1) return DepthwiseBody<T, 3, 1>(in, filter, bias, s, out);
  if (dil1 && s.kernel_w == 3 && s.stride_w == 2) return DepthwiseBody<T, 3, 2>(in, filter, bias, s, out);
  if (dil1 && s.kernel_w == 5 && s.stride_w == 1) return DepthwiseBody<T, 5, 1>(in, filter, bias, s, out);
  if (dil1 && s.kernel_w == 5 && s.stride_w == 2) return DepthwiseBody<T, 5, 2>(in, filter, bias, s, out);
  if (s.stride_w == 1) return DepthwiseBody<T, 0, 1>(in, filter, bias, s, out);
  return DepthwiseBody<T, 0, 0>(in, filter, bias, s, out);
}

void DepthwiseBaseline(const float* in, const float* filter, float bias, const DepthwiseShape& s, float* out) {
  DepthwiseDispatch<float>(in, filter, bias, s, out);
}

#if ONYX_NN_X86
ONYX_NN_TARGET_AVX2 void DepthwiseAvx2(const float* in, const float* filter, float bias, const DepthwiseShape& s,
                                       float* out) {
  DepthwiseDispatch<float>(in, filter, bias, s, out);
}
#endif

}  // namespace

void DepthwiseConv2d(const float* in, const float* filter, float bias, const DepthwiseShape& s, float* out) {
#if ONYX_NN_X86
  if (NnUseAvx2()) return DepthwiseAvx2(in, filter, bias, s, out);
#endif
  DepthwiseBaseline(in, filter, bias, s, out);
}

void DepthwiseConv2d(const double* in, const double* filter, double bias, const DepthwiseShape& s, double* out) {
  DepthwiseDispatch<double>(in, filter, bias, s, out);
}

}  // namespace onyx::mlas
