// mlas::DepthwiseConv2d against a plain loop, on both instruction-set tiers: every stride, kernel
// size, padding and plane width small enough to reach each edge branch of the vector kernels
// (rows narrower than a vector, widths around multiples of 8, windows larger than the plane),
// dilations and uneven pads (the general path), and the fused activations.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "mlas/nn_cpu.h"
#include "mlas/nn_depthwise.h"
#include "random_floats.h"

namespace onyx {
namespace {

mlas::DepthwiseShape MakeShape(int64_t h, int64_t w, int64_t k, int64_t stride, int64_t pad, int64_t dilation = 1,
                               int64_t pad_end = -1) {
  if (pad_end < 0) pad_end = pad;
  mlas::DepthwiseShape s{};
  s.height = h;
  s.width = w;
  s.kernel_h = s.kernel_w = k;
  s.stride_h = s.stride_w = stride;
  s.dilation_h = s.dilation_w = dilation;
  s.pad_top = s.pad_left = pad;
  s.out_h = (h + pad + pad_end - dilation * (k - 1) - 1) / stride + 1;
  s.out_w = (w + pad + pad_end - dilation * (k - 1) - 1) / stride + 1;
  return s;
}

double Act(const mlas::Activation* a, double v) {
  if (!a) return v;
  switch (a->kind) {
    case mlas::ActivationKind::Relu: return v < 0 ? 0 : v;
    case mlas::ActivationKind::Clip: return std::min<double>(std::max<double>(v, a->alpha), a->beta);
    case mlas::ActivationKind::LeakyRelu: return v < 0 ? a->alpha * v : v;
    default: return v;
  }
}

// `count` planes through DepthwiseConv2dPlanes (one: DepthwiseConv2d), each with its own input,
// filter and bias, against the reference.
void Check(const mlas::DepthwiseShape& s, const mlas::Activation* act, const std::string& what, int64_t count = 1) {
  const int64_t in_size = s.height * s.width, ksize = s.kernel_h * s.kernel_w, n = s.out_h * s.out_w;
  const auto in = testing::UniformFloats(static_cast<size_t>(count * in_size), 1, 2.f);
  const auto filter = testing::UniformFloats(static_cast<size_t>(count * ksize), 2, 2.f);
  const auto bias = testing::UniformFloats(static_cast<size_t>(count), 3, 2.f);
  // Canaries on both sides catch stores outside the output planes.
  constexpr int64_t kGuard = 16;
  const float canary = -12345.f;
  std::vector<float> buf(static_cast<size_t>(count * n + 2 * kGuard), canary);
  float* out = buf.data() + kGuard;
  if (count == 1)
    mlas::DepthwiseConv2d(in.data(), filter.data(), bias[0], s, out, act);
  else
    mlas::DepthwiseConv2dPlanes(in.data(), in_size, filter.data(), bias.data(), count, s, out, act);
  for (int64_t i = 0; i < kGuard; ++i) {
    ASSERT_EQ(buf[i], canary) << what << " wrote before the planes";
    ASSERT_EQ(buf[kGuard + count * n + i], canary) << what << " wrote past the planes";
  }
  for (int64_t q = 0; q < count; ++q)
    for (int64_t oh = 0; oh < s.out_h; ++oh)
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        double acc = bias[q];
        for (int64_t i = 0; i < s.kernel_h; ++i)
          for (int64_t j = 0; j < s.kernel_w; ++j) {
            const int64_t ih = oh * s.stride_h - s.pad_top + i * s.dilation_h;
            const int64_t iw = ow * s.stride_w - s.pad_left + j * s.dilation_w;
            if (ih < 0 || ih >= s.height || iw < 0 || iw >= s.width) continue;
            acc += static_cast<double>(in[q * in_size + ih * s.width + iw]) * filter[q * ksize + i * s.kernel_w + j];
          }
        ASSERT_NEAR(out[q * n + oh * s.out_w + ow], Act(act, acc), 1e-4)
            << what << " plane " << q << " at (" << oh << ", " << ow << ")";
      }
}

class NnDepthwise : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { mlas::NnForceBaselineIsa(GetParam()); }
  void TearDown() override { mlas::NnForceBaselineIsa(false); }
};

TEST_P(NnDepthwise, SquareKernelsMatchReference) {
  for (int64_t k : {3, 5})
    for (int64_t stride : {1, 2})
      for (int64_t pad : {int64_t{0}, k / 2, k - 1})
        for (int64_t h : {1, 2, 3, 5, 7, 8, 12})
          // Stride 2 reads planes over 32 outputs wide in place: widths up to 81 reach that path.
          for (int64_t w : {1, 2, 3, 5, 7, 8, 9, 14, 15, 16, 17, 23, 24, 25, 31, 33, 40, 64, 65, 66, 67, 80, 81}) {
            const auto s = MakeShape(h, w, k, stride, pad);
            if (s.out_h <= 0 || s.out_w <= 0) continue;
            Check(s, nullptr,
                     "k" + std::to_string(k) + " s" + std::to_string(stride) + " p" + std::to_string(pad) + " " +
                         std::to_string(h) + "x" + std::to_string(w));
          }
}

TEST_P(NnDepthwise, UnevenPadsAndDilations) {
  for (int64_t k : {3, 5})
    for (int64_t stride : {1, 2, 3})
      for (int64_t w : {6, 9, 16, 19}) {
        // Only the begin pads enter the kernel; the end pad only sets the output size.
        for (int64_t pad_end : {0, 1, 3}) {
          const auto s = MakeShape(11, w, k, stride, 1, 1, pad_end);
          if (s.out_h > 0 && s.out_w > 0) Check(s, nullptr, "uneven " + std::to_string(w));
        }
        const auto d = MakeShape(13, w + 4, k, stride, k / 2, 2);
        if (d.out_h > 0 && d.out_w > 0) Check(d, nullptr, "dilated " + std::to_string(w));
      }
  // Wider pads than one vector on the left.
  Check(MakeShape(6, 10, 3, 1, 9), nullptr, "pad 9");
  Check(MakeShape(6, 10, 5, 2, 11), nullptr, "pad 11");
}

TEST_P(NnDepthwise, FusedActivations) {
  mlas::Activation relu{mlas::ActivationKind::Relu, 0.f, 0.f};
  mlas::Activation clip{mlas::ActivationKind::Clip, -0.5f, 1.25f};
  mlas::Activation leaky{mlas::ActivationKind::LeakyRelu, 0.1f, 0.f};
  for (const mlas::Activation* a : {&relu, &clip, &leaky})
    for (int64_t k : {3, 5})
      for (int64_t stride : {1, 2})
        for (int64_t w : {7, 13, 28}) Check(MakeShape(9, w, k, stride, k / 2), a, "activation " + std::to_string(w));
}

TEST_P(NnDepthwise, ManyPlanesAtOnce) {
  // Planes after the first reuse the first one's padded copy, whose borders must stay zero.
  mlas::Activation relu{mlas::ActivationKind::Relu, 0.f, 0.f};
  for (int64_t k : {3, 5})
    for (int64_t stride : {1, 2})
      for (int64_t w : {5, 7, 14, 17, 70}) {
        const auto s = MakeShape(w > 20 ? 9 : w, w, k, stride, k / 2);
        Check(s, nullptr, "planes " + std::to_string(w), 5);
        Check(s, &relu, "planes with relu " + std::to_string(w), 3);
      }
  Check(MakeShape(10, 12, 3, 1, 1, 2), nullptr, "dilated planes", 4);
}

TEST_P(NnDepthwise, NaNPassesThroughTheFusedClamp) {
  const auto s = MakeShape(4, 9, 3, 1, 1);
  std::vector<float> in(static_cast<size_t>(s.height * s.width), 1.f), filter(9, 1.f);
  in[10] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> out(static_cast<size_t>(s.out_h * s.out_w));
  mlas::Activation relu{mlas::ActivationKind::Relu, 0.f, 0.f};
  mlas::DepthwiseConv2d(in.data(), filter.data(), 0.f, s, out.data(), &relu);
  EXPECT_TRUE(std::isnan(out[1 * s.out_w + 1]));
  EXPECT_EQ(out[3 * s.out_w + 8], 4.f);
}

INSTANTIATE_TEST_SUITE_P(NnIsa, NnDepthwise, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Baseline" : "Native"; });

}  // namespace
}  // namespace onyx
