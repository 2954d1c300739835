// The LSTM's per-step microkernels (mlas/rnn_lstm.h) and the LSTM op at every ISA tier
// (lower tiers forced through SetIsaLimit), against double-precision references: batch 1 (the
// matrix-vector path, split over a pool) and more rows, every direction, peepholes, clip,
// sequence_lens and initial states, hidden sizes that leave vector tails.
#include <cmath>

#include "core/thread_pool.h"
#include "kernel_test_util.h"
#include "mlas/cpu_features.h"
#include "mlas/rnn_lstm.h"
#include "random_floats.h"

using namespace onyx;
using namespace onyx::testing;
using mlas::Isa;

namespace {

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

class LstmIsa : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (GetParam() > mlas::MaxSupportedIsa())
      GTEST_SKIP() << "this CPU does not run the " << mlas::IsaName(GetParam()) << " kernels (best: "
                   << mlas::IsaName(mlas::MaxSupportedIsa()) << ")";
    previous_ = mlas::SetIsaLimit(GetParam());
    ASSERT_EQ(mlas::ActiveIsa(), GetParam());
  }
  void TearDown() override { mlas::SetIsaLimit(previous_); }
  Isa previous_ = Isa::Avx512;
};

// One LSTM direction in double: x [S, B, I], W [4H, I], R [4H, H], bias [8H] (Wb then Rb),
// P [3H] or empty; h, c [B, H] updated; y [S, B, H] written where t < lens[b].
void ReferenceDirection(const std::vector<float>& x, int64_t S, int64_t B, int64_t I, int64_t H, const float* W,
                        const float* R, const float* bias, const float* P, float clip, bool reverse,
                        const std::vector<int64_t>& lens, std::vector<double>& h, std::vector<double>& c,
                        std::vector<double>& y, int64_t dirs, int64_t d) {
  auto clamp = [&](double v) { return clip > 0 ? std::min<double>(clip, std::max<double>(-clip, v)) : v; };
  for (int64_t s = 0; s < S; ++s) {
    const int64_t t = reverse ? S - 1 - s : s;
    for (int64_t b = 0; b < B; ++b) {
      if (t >= lens[b]) continue;
      std::vector<double> g(4 * H);
      for (int64_t r = 0; r < 4 * H; ++r) {
        double v = bias[r] + bias[4 * H + r];
        for (int64_t k = 0; k < I; ++k) v += double(W[r * I + k]) * x[(t * B + b) * I + k];
        for (int64_t k = 0; k < H; ++k) v += double(R[r * H + k]) * h[b * H + k];
        g[r] = v;
      }
      for (int64_t j = 0; j < H; ++j) {
        double cp = c[b * H + j];
        double gi = g[j], go = g[H + j], gf = g[2 * H + j], gc = g[3 * H + j];
        if (P) gi += P[j] * cp, gf += P[2 * H + j] * cp;
        const double i = Sigmoid(clamp(gi)), f = Sigmoid(clamp(gf)), cc = std::tanh(clamp(gc));
        const double cn = f * cp + i * cc;
        if (P) go += P[H + j] * cn;
        const double hn = Sigmoid(clamp(go)) * std::tanh(cn);
        c[b * H + j] = cn;
        h[b * H + j] = hn;
        y[((t * dirs + d) * B + b) * H + j] = hn;
      }
    }
  }
}

struct LstmCase {
  int64_t S, B, I, H;
  const char* direction;
  bool peepholes, clip, lens, states;
};

void CheckLstm(const LstmCase& k, ThreadPool* pool, uint32_t seed) {
  const int64_t D = std::string(k.direction) == "bidirectional" ? 2 : 1, S = k.S, B = k.B, I = k.I, H = k.H;
  const std::vector<float> x = UniformFloats(S * B * I, seed, 1.f);
  const std::vector<float> w = UniformFloats(D * 4 * H * I, seed + 1, 0.4f);
  const std::vector<float> r = UniformFloats(D * 4 * H * H, seed + 2, 0.4f);
  const std::vector<float> bias = UniformFloats(D * 8 * H, seed + 3, 0.5f);
  const std::vector<float> p = UniformFloats(D * 3 * H, seed + 4, 0.5f);
  std::vector<float> h0(D * B * H, 0.f), c0(D * B * H, 0.f);
  if (k.states) h0 = UniformFloats(D * B * H, seed + 5, 1.f), c0 = UniformFloats(D * B * H, seed + 6, 1.f);
  std::vector<int64_t> lens(B, S);
  if (k.lens)
    for (int64_t b = 0; b < B; ++b) lens[b] = (S - b) > 0 ? S - b : 0;
  const float clip = k.clip ? 0.6f : 0.f;

  std::vector<Tensor> in = {FloatTensor({S, B, I}, x), FloatTensor({D, 4 * H, I}, w), FloatTensor({D, 4 * H, H}, r),
                            FloatTensor({D, 8 * H}, bias)};
  in.push_back(k.lens ? MakeTensor<int32_t>(DataType::Int32, {B}, std::vector<int32_t>(lens.begin(), lens.end()))
                      : Tensor());
  in.push_back(k.states ? FloatTensor({D, B, H}, h0) : Tensor());
  in.push_back(k.states ? FloatTensor({D, B, H}, c0) : Tensor());
  if (k.peepholes) in.push_back(FloatTensor({D, 3 * H}, p));
  std::map<std::string, Attribute> attrs = {{"hidden_size", IntAttr(H)}, {"direction", StringAttr(k.direction)}};
  if (k.clip) attrs["clip"] = FloatAttr(clip);
  const auto out = RunOp("LSTM", in, 3, attrs, 14, pool);

  std::vector<double> y(S * D * B * H, 0.0), yh(D * B * H), yc(D * B * H);
  for (int64_t d = 0; d < D; ++d) {
    std::vector<double> h(h0.begin() + d * B * H, h0.begin() + (d + 1) * B * H);
    std::vector<double> c(c0.begin() + d * B * H, c0.begin() + (d + 1) * B * H);
    const bool reverse = d == 1 || std::string(k.direction) == "reverse";
    ReferenceDirection(x, S, B, I, H, w.data() + d * 4 * H * I, r.data() + d * 4 * H * H, bias.data() + d * 8 * H,
                       k.peepholes ? p.data() + d * 3 * H : nullptr, clip, reverse, lens, h, c, y, D, d);
    std::copy(h.begin(), h.end(), yh.begin() + d * B * H);
    std::copy(c.begin(), c.end(), yc.begin() + d * B * H);
  }
  const std::vector<double>* want[] = {&y, &yh, &yc};
  for (int o = 0; o < 3; ++o) {
    const Tensor& t = out[o].tensor();
    ASSERT_EQ(t.size(), static_cast<int64_t>(want[o]->size()));
    for (int64_t i = 0; i < t.size(); ++i)
      ASSERT_NEAR(t.data<float>()[i], (*want[o])[i], 2e-5) << "output " << o << " at " << i << ", H " << H << ", batch "
                                                           << B << ", " << k.direction;
  }
}

}  // namespace

TEST_P(LstmIsa, GemvMatchesReference) {
  uint32_t seed = 7;
  for (int64_t rows : {1, 3, 4, 5, 8, 13})
    for (int64_t k : {1, 3, 7, 8, 9, 15, 16, 17, 33, 256, 259}) {
      const int64_t ldr = k + 3;  // a row stride wider than the row
      const std::vector<float> r = UniformFloats(rows * ldr, ++seed, 1.f), h = UniformFloats(k, ++seed, 1.f);
      const std::vector<float> init = UniformFloats(rows, ++seed, 1.f);
      std::vector<float> out(init);  // in place: out aliases init
      mlas::RnnGemv(r.data(), ldr, rows, k, h.data(), out.data(), out.data());
      for (int64_t i = 0; i < rows; ++i) {
        double want = init[i];
        for (int64_t p = 0; p < k; ++p) want += double(r[i * ldr + p]) * h[p];
        ASSERT_NEAR(out[i], want, 1e-5 * (1 + k)) << "rows " << rows << " k " << k << " row " << i;
      }
    }
}

TEST_P(LstmIsa, CellMatchesReference) {
  uint32_t seed = 50;
  for (int64_t n : {1, 5, 8, 9, 16, 61})
    for (int variant = 0; variant < 4; ++variant) {
      const bool peep = variant & 1;
      const float clip = (variant & 2) ? 0.7f : 0.f;
      // Pre-activations wide enough to saturate the gates, plus values near 0 (tanh's series).
      std::vector<float> g = UniformFloats(4 * n, ++seed, 12.f);
      g[0] = 1e-4f;
      if (n > 1) g[3 * n + 1] = -0.03f;
      const std::vector<float> p = UniformFloats(3 * n, ++seed, 1.f), c0 = UniformFloats(n, ++seed, 2.f);
      std::vector<float> gates(g), c(c0), h(n, -9.f), y(n, -9.f);
      mlas::LstmCellArgs a{gates.data(), gates.data() + n, gates.data() + 2 * n, gates.data() + 3 * n, c.data(),
                           h.data(), y.data()};
      if (peep) a.p_i = p.data(), a.p_o = p.data() + n, a.p_f = p.data() + 2 * n;
      a.clip = clip;
      mlas::LstmCell(a, n);
      auto cl = [&](double v) { return clip > 0 ? std::min<double>(clip, std::max<double>(-clip, v)) : v; };
      for (int64_t j = 0; j < n; ++j) {
        double gi = g[j], go = g[n + j], gf = g[2 * n + j], gc = g[3 * n + j];
        if (peep) gi += double(p[j]) * c0[j], gf += double(p[2 * n + j]) * c0[j];
        const double cn = Sigmoid(cl(gf)) * c0[j] + Sigmoid(cl(gi)) * std::tanh(cl(gc));
        if (peep) go += double(p[n + j]) * cn;
        const double hn = Sigmoid(cl(go)) * std::tanh(cn);
        ASSERT_NEAR(c[j], cn, 2e-6) << "n " << n << " variant " << variant << " at " << j;
        ASSERT_NEAR(h[j], hn, 2e-6) << "n " << n << " variant " << variant << " at " << j;
        ASSERT_EQ(y[j], h[j]);
      }
    }
}

TEST_P(LstmIsa, OpMatchesReference) {
  ThreadPool pool(2);
  const LstmCase cases[] = {
      {9, 1, 5, 19, "forward", false, false, false, false},  {9, 1, 6, 19, "reverse", true, true, true, true},
      {7, 1, 4, 64, "bidirectional", true, false, true, true}, {6, 1, 3, 40, "forward", false, true, false, true},
      {7, 2, 5, 19, "bidirectional", true, true, true, true},  {5, 3, 4, 33, "forward", false, false, true, false},
      {4, 1, 8, 1, "forward", true, true, false, true},
      // Large enough for the pool to split the hidden units: 96 in whole vectors, 75 with a tail.
      {5, 1, 7, 96, "bidirectional", true, true, true, true}, {4, 1, 5, 75, "forward", false, false, false, true},
  };
  uint32_t seed = 300;
  for (const LstmCase& k : cases) {
    CheckLstm(k, nullptr, seed);
    if (HasFatalFailure()) return;
    CheckLstm(k, &pool, seed);  // the hidden units split over two threads
    if (HasFatalFailure()) return;
    seed += 10;
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, LstmIsa, ::testing::Values(Isa::Scalar, Isa::Avx2, Isa::Avx512),
                         [](const ::testing::TestParamInfo<Isa>& i) { return std::string(mlas::IsaName(i.param)); });
