#include <cmath>

#include "kernel_test_util.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

float Sig(float x) { return 1.f / (1.f + std::exp(-x)); }

Attribute StringsAttr(std::vector<std::string> v) {
  Attribute a;
  a.type = Attribute::Type::Strings;
  a.strings = std::move(v);
  return a;
}

void ExpectNear(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(t.size(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], tol) << "at " << i;
}

// Reference single-direction RNN with H = 1, I = 1 and activation f.
template <typename F>
std::vector<float> ScalarRnn(const std::vector<float>& x, float w, float r, float b, float h0, F f) {
  std::vector<float> out;
  float h = h0;
  for (float v : x) {
    h = f(w * v + r * h + b);
    out.push_back(h);
  }
  return out;
}

}  // namespace

TEST(Rnn, ForwardMatchesScalarReference) {
  Tensor X = FloatTensor({3, 1, 1}, {1, 2, -1});
  Tensor W = FloatTensor({1, 1, 1}, {0.5f});
  Tensor R = FloatTensor({1, 1, 1}, {0.25f});
  Tensor B = FloatTensor({1, 2}, {0.1f, 0.2f});
  Tensor h0 = FloatTensor({1, 1, 1}, {0.3f});
  auto out = RunOp("RNN", {X, W, R, B, Tensor(), h0}, 2, {{"hidden_size", IntAttr(1)}}, 14);
  auto ref = ScalarRnn({1, 2, -1}, 0.5f, 0.25f, 0.3f, 0.3f, [](float v) { return std::tanh(v); });
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{3, 1, 1, 1}));
  ExpectNear(out[0].tensor(), ref);
  ExpectNear(out[1].tensor(), {ref.back()});
}

TEST(Rnn, ReverseBidirectionalAndActivationParameters) {
  Tensor X = FloatTensor({2, 1, 1}, {1, -2});
  Tensor W = FloatTensor({2, 1, 1}, {1, 2});
  Tensor R = FloatTensor({2, 1, 1}, {0.5f, -1});
  auto leaky = [](float v) { return v >= 0 ? v : 0.1f * v; };
  auto out = RunOp("RNN", {X, W, R}, 2,
                   {{"hidden_size", IntAttr(1)}, {"direction", StringAttr("bidirectional")},
                    {"activations", StringsAttr({"LeakyRelu", "Relu"})}, {"activation_alpha", FloatsAttr({0.1f})}},
                   14);
  auto fwd = ScalarRnn({1, -2}, 1, 0.5f, 0, 0, leaky);
  auto bwd = ScalarRnn({-2, 1}, 2, -1, 0, 0, [](float v) { return v > 0 ? v : 0.f; });
  // Y is [seq, dirs, batch, H]; the reverse direction's output at t pairs with input t.
  ExpectNear(out[0].tensor(), {fwd[0], bwd[1], fwd[1], bwd[0]});
  ExpectNear(out[1].tensor(), {fwd[1], bwd[1]});
}

TEST(Rnn, SequenceLensAndLayout1) {
  // Two batch entries; the second has length 1, so its Y rows after step 0 are zero and Y_h
  // is its state after step 0.
  Tensor X = FloatTensor({2, 2, 1}, {1, 2, 3, 4});  // layout 1: [batch, seq, input]
  Tensor W = FloatTensor({1, 1, 1}, {0.5f});
  Tensor R = FloatTensor({1, 1, 1}, {0.5f});
  Tensor lens = MakeTensor<int32_t>(DataType::Int32, {2}, {2, 1});
  auto out = RunOp("RNN", {X, W, R, Tensor(), lens}, 2, {{"hidden_size", IntAttr(1)}, {"layout", IntAttr(1)}}, 14);
  auto a = ScalarRnn({1, 2}, 0.5f, 0.5f, 0, 0, [](float v) { return std::tanh(v); });
  auto b = ScalarRnn({3}, 0.5f, 0.5f, 0, 0, [](float v) { return std::tanh(v); });
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{2, 2, 1, 1}));
  ExpectNear(out[0].tensor(), {a[0], a[1], b[0], 0.f});
  EXPECT_EQ(out[1].tensor().shape(), (std::vector<int64_t>{2, 1, 1}));
  ExpectNear(out[1].tensor(), {a[1], b[0]});
}

TEST(Rnn, BadInputsThrow) {
  Tensor X = FloatTensor({2, 1, 1}, {1, 2});
  EXPECT_THROW(RunOp("RNN", {X, FloatTensor({1, 2, 1}, {1, 1}), FloatTensor({1, 1, 1}, {1})}, 1,
                     {{"hidden_size", IntAttr(1)}}, 14),
               Error);
  EXPECT_THROW(RunOp("RNN", {X, FloatTensor({1, 1, 1}, {1}), FloatTensor({1, 1, 1}, {1})}, 1,
                     {{"hidden_size", IntAttr(1)}, {"direction", StringAttr("sideways")}}, 14),
               Error);
  Tensor lens = MakeTensor<int32_t>(DataType::Int32, {1}, {3});
  EXPECT_THROW(RunOp("RNN", {X, FloatTensor({1, 1, 1}, {1}), FloatTensor({1, 1, 1}, {1}), Tensor(), lens}, 1,
                     {{"hidden_size", IntAttr(1)}}, 14),
               Error);
}

TEST(Rnn, ZeroLengthSequence) {
  auto out = RunOp("RNN", {FloatTensor({0, 2, 1}, {}), FloatTensor({1, 1, 1}, {1}), FloatTensor({1, 1, 1}, {1})}, 2,
                   {{"hidden_size", IntAttr(1)}}, 14);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{0, 1, 2, 1}));
  ExpectNear(out[1].tensor(), {0, 0});
}

TEST(Gru, BothResetModesMatchScalarReference) {
  // H = 1, I = 1; gates z, r, h.
  Tensor X = FloatTensor({2, 1, 1}, {1, -0.5f});
  Tensor W = FloatTensor({1, 3, 1}, {0.3f, -0.2f, 0.6f});
  Tensor R = FloatTensor({1, 3, 1}, {0.1f, 0.4f, -0.7f});
  Tensor B = FloatTensor({1, 6}, {0.01f, 0.02f, 0.03f, 0.04f, 0.05f, 0.06f});
  Tensor h0 = FloatTensor({1, 1, 1}, {0.2f});
  for (int lbr : {0, 1}) {
    float h = 0.2f;
    std::vector<float> ys;
    for (float x : {1.f, -0.5f}) {
      const float z = Sig(0.3f * x + 0.1f * h + 0.01f + 0.04f);
      const float r = Sig(-0.2f * x + 0.4f * h + 0.02f + 0.05f);
      const float c = lbr ? std::tanh(0.6f * x + 0.03f + r * (-0.7f * h + 0.06f))
                          : std::tanh(0.6f * x + -0.7f * (r * h) + 0.03f + 0.06f);
      h = (1 - z) * c + z * h;
      ys.push_back(h);
    }
    auto out = RunOp("GRU", {X, W, R, B, Tensor(), h0}, 2,
                     {{"hidden_size", IntAttr(1)}, {"linear_before_reset", IntAttr(lbr)}}, 14);
    ExpectNear(out[0].tensor(), ys);
    ExpectNear(out[1].tensor(), {ys.back()});
  }
}

TEST(Lstm, PeepholesMatchScalarReference) {
  // H = 1, I = 1; gates i, o, f, c; peepholes i, o, f.
  Tensor X = FloatTensor({2, 1, 1}, {0.5f, -1});
  Tensor W = FloatTensor({1, 4, 1}, {0.1f, 0.2f, 0.3f, 0.4f});
  Tensor R = FloatTensor({1, 4, 1}, {-0.1f, 0.5f, 0.2f, -0.3f});
  Tensor B = FloatTensor({1, 8}, {0.01f, 0.02f, 0.03f, 0.04f, 0, 0, 0, 0.1f});
  Tensor h0 = FloatTensor({1, 1, 1}, {0.1f});
  Tensor c0 = FloatTensor({1, 1, 1}, {-0.2f});
  Tensor P = FloatTensor({1, 3}, {0.3f, -0.4f, 0.5f});
  float h = 0.1f, c = -0.2f;
  std::vector<float> ys;
  for (float x : {0.5f, -1.f}) {
    const float i = Sig(0.1f * x - 0.1f * h + 0.01f + 0.3f * c);
    const float f = Sig(0.3f * x + 0.2f * h + 0.03f + 0.5f * c);
    const float g = std::tanh(0.4f * x - 0.3f * h + 0.04f + 0.1f);
    c = f * c + i * g;
    const float o = Sig(0.2f * x + 0.5f * h + 0.02f - 0.4f * c);
    h = o * std::tanh(c);
    ys.push_back(h);
  }
  auto out = RunOp("LSTM", {X, W, R, B, Tensor(), h0, c0, P}, 3, {{"hidden_size", IntAttr(1)}}, 14);
  ExpectNear(out[0].tensor(), ys);
  ExpectNear(out[1].tensor(), {h});
  ExpectNear(out[2].tensor(), {c});
}

TEST(Lstm, BidirectionalEqualsTwoSingleDirections) {
  const int64_t S = 3, Bn = 2, I = 3, H = 4;
  std::vector<float> x(S * Bn * I), w(2 * 4 * H * I), r(2 * 4 * H * H);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.7f * i);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.3f * std::cos(0.3f * i);
  for (size_t i = 0; i < r.size(); ++i) r[i] = 0.2f * std::sin(1.3f * i + 0.5f);
  Tensor X = FloatTensor({S, Bn, I}, x);
  auto half = [&](const std::vector<float>& v, int d) {
    return std::vector<float>(v.begin() + d * v.size() / 2, v.begin() + (d + 1) * v.size() / 2);
  };
  auto bi = RunOp("LSTM", {X, FloatTensor({2, 4 * H, I}, w), FloatTensor({2, 4 * H, H}, r)}, 3,
                  {{"hidden_size", IntAttr(H)}, {"direction", StringAttr("bidirectional")}, {"clip", FloatAttr(5.f)}}, 14);
  for (int d = 0; d < 2; ++d) {
    auto one = RunOp("LSTM", {X, FloatTensor({1, 4 * H, I}, half(w, d)), FloatTensor({1, 4 * H, H}, half(r, d))}, 3,
                     {{"hidden_size", IntAttr(H)}, {"direction", StringAttr(d ? "reverse" : "forward")},
                      {"clip", FloatAttr(5.f)}},
                     14);
    for (int64_t t = 0; t < S; ++t)
      for (int64_t b = 0; b < Bn; ++b)
        for (int64_t k = 0; k < H; ++k)
          EXPECT_NEAR(bi[0].tensor().data<float>()[((t * 2 + d) * Bn + b) * H + k],
                      one[0].tensor().data<float>()[(t * Bn + b) * H + k], 1e-6);
    for (int64_t i = 0; i < Bn * H; ++i) {
      EXPECT_NEAR(bi[1].tensor().data<float>()[d * Bn * H + i], one[1].tensor().data<float>()[i], 1e-6);
      EXPECT_NEAR(bi[2].tensor().data<float>()[d * Bn * H + i], one[2].tensor().data<float>()[i], 1e-6);
    }
  }
}

TEST(Lstm, InputForgetAndOptionalOutputs) {
  Tensor X = FloatTensor({1, 1, 1}, {1});
  Tensor W = FloatTensor({1, 4, 1}, {0.5f, 0.5f, 9.f, 0.5f});
  Tensor R = FloatTensor({1, 4, 1}, {0, 0, 0, 0});
  Tensor c0 = FloatTensor({1, 1, 1}, {2});
  // With input_forget the forget gate is 1 - i, so W's forget row has no effect.
  auto out = RunOp("LSTM", {X, W, R, Tensor(), Tensor(), Tensor(), c0}, 3,
                   {{"hidden_size", IntAttr(1)}, {"input_forget", IntAttr(1)}}, 14);
  const float i = Sig(0.5f), c = (1 - i) * 2 + i * std::tanh(0.5f);
  ExpectNear(out[2].tensor(), {c});
  ExpectNear(out[1].tensor(), {Sig(0.5f) * std::tanh(c)});
}

TEST(Rnn, DoubleInputsAndOldOpset) {
  Tensor X = MakeTensor<double>(DataType::Double, {2, 1, 1}, {1, 2});
  Tensor W = MakeTensor<double>(DataType::Double, {1, 1, 1}, {0.5});
  Tensor R = MakeTensor<double>(DataType::Double, {1, 1, 1}, {0.25});
  auto out = RunOp("RNN", {X, W, R}, 2, {{"hidden_size", IntAttr(1)}}, 7);
  ASSERT_EQ(out[1].tensor().dtype(), DataType::Double);
  const double h1 = std::tanh(0.5), h2 = std::tanh(1.0 + 0.25 * h1);
  EXPECT_NEAR(out[0].tensor().data<double>()[0], h1, 1e-6);
  EXPECT_NEAR(out[1].tensor().data<double>()[0], h2, 1e-6);
}
