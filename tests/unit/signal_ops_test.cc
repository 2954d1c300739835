// Signal family: DFT (opset 17 and 20 forms), STFT, window generators and MelWeightMatrix.
#include <cmath>
#include <complex>
#include <numbers>

#include "kernel_test_util.h"
#include "mlas/signal_fft.h"

namespace onyx::testing {
namespace {

using C = std::complex<double>;

// Reference O(n^2) DFT of a complex sequence.
std::vector<C> NaiveDft(const std::vector<C>& x, bool inverse) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<C> y(x.size());
  const double sign = inverse ? 1.0 : -1.0;
  for (int64_t k = 0; k < n; ++k)
    for (int64_t t = 0; t < n; ++t)
      y[k] += x[t] * std::polar(1.0, sign * 2.0 * std::numbers::pi * static_cast<double>((k * t) % n) / static_cast<double>(n));
  return y;
}

std::vector<C> Signal(int64_t n) {
  std::vector<C> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[i] = C(std::sin(0.37 * i) + 0.1 * i, std::cos(1.3 * i));
  return x;
}

Tensor ComplexTensor(std::vector<int64_t> shape, const std::vector<C>& v) {
  shape.push_back(2);
  Tensor t(DataType::Float, shape);
  for (size_t i = 0; i < v.size(); ++i) {
    t.data<float>()[2 * i] = static_cast<float>(v[i].real());
    t.data<float>()[2 * i + 1] = static_cast<float>(v[i].imag());
  }
  return t;
}

void ExpectComplexNear(const Tensor& t, const std::vector<C>& want, double tol) {
  ASSERT_EQ(t.size(), static_cast<int64_t>(2 * want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(t.data<float>()[2 * i], want[i].real(), tol) << "element " << i;
    EXPECT_NEAR(t.data<float>()[2 * i + 1], want[i].imag(), tol) << "element " << i;
  }
}

TEST(SignalFft, MatchesNaiveDftForManyLengths) {
  for (int64_t n : {1, 2, 3, 5, 8, 12, 17, 64, 65, 97, 100, 128, 257}) {
    const std::vector<C> x = Signal(n);
    for (bool inverse : {false, true}) {
      std::vector<C> y = x;
      mlas::FftPlan plan(n);
      std::vector<C> scratch(static_cast<size_t>(plan.scratch_size()));
      plan.Transform(y.data(), inverse, scratch.data());
      const std::vector<C> want = NaiveDft(x, inverse);
      for (int64_t k = 0; k < n; ++k) EXPECT_NEAR(std::abs(y[k] - want[k]), 0.0, 1e-9 * n) << "n=" << n << " k=" << k;
    }
  }
}

TEST(SignalDft, RealInputLengthFour) {
  auto out = RunOp("DFT", {FloatTensor({1, 4, 1}, {1, 2, 3, 4})}, 1, {}, 17);
  const Tensor& y = out[0].tensor();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 4, 2}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{10, 0, -2, 2, -2, 0, -2, -2}));
}

TEST(SignalDft, OnesidedOpset20AxisInput) {
  // Signal along axis 1 of [1, 5, 1]; axis given as input -2.
  auto out = RunOp("DFT", {FloatTensor({1, 5, 1}, {1, 0, 0, 0, 0}), Tensor(), Int64Tensor({}, {-2})}, 1, {{"onesided", IntAttr(1)}}, 20);
  const Tensor& y = out[0].tensor();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 3, 2}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{1, 0, 1, 0, 1, 0}));
}

TEST(SignalDft, Opset17AxisAttributeOnInnerDim) {
  // Shape [2, 3, 1]: with axis=1 each of the 2 batches transforms 3 samples; opset 17
  // default axis is 1 as well, so use a rank-4 input and axis 2 to check the inner stride.
  const std::vector<C> a = Signal(3), b = {C(1, 0), C(2, 0), C(0, 1)};
  // [1, 1, 3, 2(pairs a/b interleaved as an extra dim)] is awkward; build [1, 3, 2, 2]:
  // axis 1 has length 3, inner dim of 2 holds two independent signals.
  std::vector<C> inter;
  for (int i = 0; i < 3; ++i) {
    inter.push_back(a[i]);
    inter.push_back(b[i]);
  }
  auto out = RunOp("DFT", {ComplexTensor({1, 3, 2}, inter)}, 1, {{"axis", IntAttr(1)}}, 17);
  const std::vector<C> fa = NaiveDft(a, false), fb = NaiveDft(b, false);
  std::vector<C> want;
  for (int i = 0; i < 3; ++i) {
    want.push_back(fa[i]);
    want.push_back(fb[i]);
  }
  ExpectComplexNear(out[0].tensor(), want, 1e-5);
  // Negative axis -3 is the same axis for rank 4.
  auto neg = RunOp("DFT", {ComplexTensor({1, 3, 2}, inter)}, 1, {{"axis", IntAttr(-3)}}, 17);
  ExpectComplexNear(neg[0].tensor(), want, 1e-5);
}

TEST(SignalDft, BluesteinLengthAndInverseRoundTrip) {
  const std::vector<C> x = Signal(100);
  auto fwd = RunOp("DFT", {ComplexTensor({1, 100}, x)}, 1, {}, 20);
  ExpectComplexNear(fwd[0].tensor(), NaiveDft(x, false), 1e-3);
  auto inv = RunOp("DFT", {fwd[0].tensor()}, 1, {{"inverse", IntAttr(1)}}, 20);
  ExpectComplexNear(inv[0].tensor(), x, 1e-4);
}

TEST(SignalDft, DftLengthPadsAndTruncates) {
  Tensor x = FloatTensor({1, 3, 1}, {1, 2, 3});
  auto padded = RunOp("DFT", {x, Int64Tensor({}, {4})}, 1, {}, 17);
  ExpectComplexNear(padded[0].tensor(), NaiveDft({C(1), C(2), C(3), C(0)}, false), 1e-5);
  auto cut = RunOp("DFT", {x, Int64Tensor({}, {2})}, 1, {}, 17);
  EXPECT_EQ(ToVector<float>(cut[0].tensor()), (std::vector<float>{3, 0, -1, 0}));
}

TEST(SignalDft, IrfftInvertsRfft) {
  std::vector<float> real = {0.5f, -1.0f, 2.0f, 3.5f, 0.25f, 1.0f};
  auto spec = RunOp("DFT", {FloatTensor({1, 6, 1}, real)}, 1, {{"onesided", IntAttr(1)}}, 20);
  EXPECT_EQ(spec[0].tensor().shape(), (std::vector<int64_t>{1, 4, 2}));
  auto back = RunOp("DFT", {spec[0].tensor()}, 1, {{"onesided", IntAttr(1)}, {"inverse", IntAttr(1)}}, 20);
  const Tensor& y = back[0].tensor();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 6, 1}));
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(y.data<float>()[i], real[i], 1e-5);
  // Odd dft_length 5 uses the first 3 bins.
  auto odd = RunOp("DFT", {FloatTensor({1, 5, 1}, {1, 2, 3, 4, 5})}, 1, {{"onesided", IntAttr(1)}}, 20);
  auto odd_back = RunOp("DFT", {odd[0].tensor(), Int64Tensor({}, {5})}, 1, {{"onesided", IntAttr(1)}, {"inverse", IntAttr(1)}}, 20);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(odd_back[0].tensor().data<float>()[i], i + 1.0f, 1e-5);
}

TEST(SignalDft, DoubleAndEmptyBatch) {
  Tensor x(DataType::Double, {1, 2, 1});
  x.data<double>()[0] = 1;
  x.data<double>()[1] = 3;
  auto out = RunOp("DFT", {x}, 1, {}, 17);
  EXPECT_EQ(ToVector<double>(out[0].tensor()), (std::vector<double>{4, 0, -2, 0}));
  auto empty = RunOp("DFT", {Tensor(DataType::Float, {0, 4, 1})}, 1, {}, 17);
  EXPECT_EQ(empty[0].tensor().shape(), (std::vector<int64_t>{0, 4, 2}));
}

TEST(SignalDft, BadInputsThrow) {
  EXPECT_THROW(RunOp("DFT", {FloatTensor({1, 2, 3}, {1, 2, 3, 4, 5, 6})}, 1, {}, 17), Error);
  EXPECT_THROW(RunOp("DFT", {FloatTensor({1, 2, 1}, {1, 2})}, 1, {{"axis", IntAttr(2)}}, 17), Error);
  EXPECT_THROW(RunOp("DFT", {FloatTensor({1, 2, 1}, {1, 2}), Tensor(), Int64Tensor({}, {-1})}, 1, {}, 20), Error);
  EXPECT_THROW(RunOp("DFT", {FloatTensor({1, 2, 1}, {1, 2}), Int64Tensor({}, {0})}, 1, {}, 17), Error);
  EXPECT_THROW(RunOp("DFT", {FloatTensor({1, 2, 1}, {1, 2})}, 1, {{"onesided", IntAttr(1)}, {"inverse", IntAttr(1)}}, 20), Error);
}

TEST(SignalStft, MatchesFramewiseDft) {
  std::vector<float> sig(10);
  for (int i = 0; i < 10; ++i) sig[i] = std::sin(0.5f * i) + 0.1f * i;
  Tensor window = FloatTensor({4}, {0.0f, 0.5f, 1.0f, 0.5f});
  auto out = RunOp("STFT", {FloatTensor({1, 10, 1}, sig), Int64Tensor({}, {3}), window}, 1, {}, 17);
  const Tensor& y = out[0].tensor();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 3, 3, 2}));  // frames (10-4)/3+1, bins 4/2+1
  for (int f = 0; f < 3; ++f) {
    std::vector<C> frame;
    for (int k = 0; k < 4; ++k) frame.push_back(C(sig[f * 3 + k] * window.data<float>()[k]));
    const std::vector<C> want = NaiveDft(frame, false);
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(y.data<float>()[(f * 3 + k) * 2], want[k].real(), 1e-5);
      EXPECT_NEAR(y.data<float>()[(f * 3 + k) * 2 + 1], want[k].imag(), 1e-5);
    }
  }
  // frame_length input without a window, two-sided.
  auto two = RunOp("STFT", {FloatTensor({1, 10, 1}, sig), Int64Tensor({}, {2}), Tensor(), Int64Tensor({}, {5})}, 1,
                   {{"onesided", IntAttr(0)}}, 17);
  EXPECT_EQ(two[0].tensor().shape(), (std::vector<int64_t>{1, 3, 5, 2}));
}

TEST(SignalStft, BadInputsThrow) {
  Tensor sig = FloatTensor({1, 4, 1}, {1, 2, 3, 4});
  EXPECT_THROW(RunOp("STFT", {sig, Int64Tensor({}, {0})}, 1, {}, 17), Error);
  EXPECT_THROW(RunOp("STFT", {sig, Int64Tensor({}, {1}), Tensor(), Int64Tensor({}, {5})}, 1, {}, 17), Error);
  EXPECT_THROW(RunOp("STFT", {sig, Int64Tensor({}, {1}), FloatTensor({3}, {1, 1, 1}), Int64Tensor({}, {2})}, 1, {}, 17), Error);
  EXPECT_THROW(RunOp("STFT", {FloatTensor({4}, {1, 2, 3, 4}), Int64Tensor({}, {1})}, 1, {}, 17), Error);
}

std::vector<float> RunWindow(const char* op, int64_t size, int64_t periodic) {
  auto out = RunOp(op, {Int64Tensor({}, {size})}, 1, {{"periodic", IntAttr(periodic)}}, 17);
  return ToVector<float>(out[0].tensor());
}

void ExpectFloatsNear(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "element " << i;
}

TEST(SignalWindows, HannHammingBlackman) {
  ExpectFloatsNear(RunWindow("HannWindow", 4, 1), {0.0f, 0.5f, 1.0f, 0.5f});
  ExpectFloatsNear(RunWindow("HannWindow", 5, 0), {0.0f, 0.5f, 1.0f, 0.5f, 0.0f});
  const float a = 25.0f / 46.0f, b = 21.0f / 46.0f;
  ExpectFloatsNear(RunWindow("HammingWindow", 4, 1), {a - b, a, a + b, a});
  ExpectFloatsNear(RunWindow("BlackmanWindow", 4, 1), {0.0f, 0.34f, 1.0f, 0.34f});
  ExpectFloatsNear(RunWindow("BlackmanWindow", 3, 0), {0.0f, 1.0f, 0.0f});
  EXPECT_TRUE(RunWindow("HannWindow", 0, 1).empty());
  ExpectFloatsNear(RunWindow("HannWindow", 1, 0), {1.0f});
}

TEST(SignalWindows, OutputDatatypeAndErrors) {
  auto out = RunOp("HannWindow", {Int64Tensor({}, {2})}, 1, {{"output_datatype", IntAttr(11)}}, 17);
  EXPECT_EQ(out[0].tensor().dtype(), DataType::Double);
  EXPECT_EQ(ToVector<double>(out[0].tensor()), (std::vector<double>{0.0, 1.0}));
  Tensor size32(DataType::Int32, {});
  size32.data<int32_t>()[0] = 2;
  auto i32 = RunOp("HammingWindow", {size32}, 1, {{"output_datatype", IntAttr(7)}}, 17);
  EXPECT_EQ(i32[0].tensor().dtype(), DataType::Int64);
  EXPECT_THROW(RunOp("HannWindow", {Int64Tensor({}, {-1})}, 1, {}, 17), Error);
  EXPECT_THROW(RunOp("HannWindow", {Int64Tensor({2}, {1, 2})}, 1, {}, 17), Error);
}

TEST(SignalMelWeightMatrix, MatchesReference) {
  Tensor lo = FloatTensor({}, {0.0f}), hi = FloatTensor({}, {4000.0f});
  auto out = RunOp("MelWeightMatrix", {Int64Tensor({}, {4}), Int64Tensor({}, {16}), Int64Tensor({}, {8000}), lo, hi}, 1, {}, 17);
  const Tensor& y = out[0].tensor();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{9, 4}));
  std::vector<float> want(36, 0.0f);
  want[0] = want[5] = want[10] = want[15] = 1.0f;
  want[19] = 0.5f;
  EXPECT_EQ(ToVector<float>(y), want);
  EXPECT_THROW(RunOp("MelWeightMatrix", {Int64Tensor({}, {4}), Int64Tensor({}, {16}), Int64Tensor({}, {8000}), hi, lo}, 1, {}, 17), Error);
  // An upper edge far above Nyquist maps past the last bin.
  EXPECT_THROW(RunOp("MelWeightMatrix", {Int64Tensor({}, {4}), Int64Tensor({}, {16}), Int64Tensor({}, {8000}), lo,
                                         FloatTensor({}, {40000.0f})}, 1, {}, 17),
               Error);
}

}  // namespace
}  // namespace onyx::testing
