#include "mlas/nn_pool.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "mlas/nn_cpu.h"

namespace onyx::mlas {

namespace {

// Windows are rectangles of valid taps, so pooling is separable: per output row, the valid
// input rows are first combined column by column (contiguous, vectorised), then each output
// combines its kernel_w taps of that row. KW/SW are the kernel width and stride when known at
// compile time (0: read from s). `tmp` holds one input row.
template <bool kMax, int KW, int SW>
ONYX_NN_INLINE void Pool2dBody(const float* __restrict in, const Pool2dShape& s, float* __restrict out,
                               float* __restrict tmp) {
  const int64_t kw = KW > 0 ? KW : s.kernel_w;
  const int64_t sw = SW > 0 ? SW : s.stride_w;
  const int64_t W = s.width, dw = s.dilation_w, pl = s.pad_left, OW = s.out_w;
  int64_t lo = pl <= 0 ? 0 : (pl + sw - 1) / sw;
  const int64_t last = W - 1 + pl - (kw - 1) * dw;
  int64_t hi = last < 0 ? 0 : last / sw + 1;
  lo = std::min(lo, OW);
  hi = std::clamp(hi, lo, OW);
  const float init = kMax ? -std::numeric_limits<float>::infinity() : 0.0f;
  auto op = [](float a, float b) { return kMax ? std::max(a, b) : a + b; };
  for (int64_t oh = 0; oh < s.out_h; ++oh) {
    float* __restrict orow = out + oh * OW;
    bool any = false;
    for (int64_t i = 0; i < s.kernel_h; ++i) {
      const int64_t ih = oh * s.stride_h - s.pad_top + i * s.dilation_h;
      if (ih < 0 || ih >= s.height) continue;
      const float* __restrict irow = in + ih * W;
      if (!any) {
        for (int64_t k = 0; k < W; ++k) tmp[k] = irow[k];
        any = true;
      } else {
        for (int64_t k = 0; k < W; ++k) tmp[k] = op(tmp[k], irow[k]);
      }
    }
    if (!any) {
      for (int64_t ow = 0; ow < OW; ++ow) orow[ow] = init;
      continue;
    }
    const float* __restrict t = tmp - pl;
    if constexpr (KW > 0) {
      for (int64_t ow = lo; ow < hi; ++ow) {
        const float* p = t + ow * sw;
        float acc = p[0];
        for (int j = 1; j < KW; ++j) acc = op(acc, p[j * dw]);
        orow[ow] = acc;
      }
    } else {
      for (int64_t ow = lo; ow < hi; ++ow) {
        const float* p = t + ow * sw;
        float acc = p[0];
        for (int64_t j = 1; j < kw; ++j) acc = op(acc, p[j * dw]);
        orow[ow] = acc;
      }
    }
    auto border = [&](int64_t b, int64_t e) {
      for (int64_t ow = b; ow < e; ++ow) {
        float acc = init;
        for (int64_t j = 0; j < kw; ++j) {
          const int64_t iw = ow * sw + j * dw - pl;
          if (iw >= 0 && iw < W) acc = op(acc, tmp[iw]);
        }
        orow[ow] = acc;
      }
    };
    border(0, lo);
    border(hi, OW);
  }
}

template <bool kMax>
ONYX_NN_INLINE void Pool2dDispatch(const float* in, const Pool2dShape& s, float* out) {
  std::vector<float> row(static_cast<size_t>(std::max<int64_t>(s.width, 1)));
  float* tmp = row.data();
  const bool dil1 = s.dilation_w == 1;
  if (dil1 && s.kernel_w == 2 && s.stride_w == 2) return Pool2dBody<kMax, 2, 2>(in, s, out, tmp);
  if (dil1 && s.kernel_w == 3 && s.stride_w == 1) return Pool2dBody<kMax, 3, 1>(in, s, out, tmp);
  if (dil1 && s.kernel_w == 3 && s.stride_w == 2) return Pool2dBody<kMax, 3, 2>(in, s, out, tmp);
  if (s.stride_w == 1) return Pool2dBody<kMax, 0, 1>(in, s, out, tmp);
  return Pool2dBody<kMax, 0, 0>(in, s, out, tmp);
}

void MaxPoolBaseline(const float* in, const Pool2dShape& s, float* out) { Pool2dDispatch<true>(in, s, out); }
void SumPoolBaseline(const float* in, const Pool2dShape& s, float* out) { Pool2dDispatch<false>(in, s, out); }
#if ONYX_NN_X86
ONYX_NN_TARGET_AVX2 void MaxPoolAvx2(const float* in, const Pool2dShape& s, float* out) { Pool2dDispatch<true>(in, s, out); }
ONYX_NN_TARGET_AVX2 void SumPoolAvx2(const float* in, const Pool2dShape& s, float* out) { Pool2dDispatch<false>(in, s, out); }
#endif

}  // namespace

void MaxPool2d(const float* in, const Pool2dShape& s, float* out) {
#if ONYX_NN_X86
  if (NnUseAvx2()) return MaxPoolAvx2(in, s, out);
#endif
  MaxPoolBaseline(in, s, out);
}

void SumPool2d(const float* in, const Pool2dShape& s, float* out) {
#if ONYX_NN_X86
  if (NnUseAvx2()) return SumPoolAvx2(in, s, out);
#endif
  SumPoolBaseline(in, s, out);
}

}  // namespace onyx::mlas
