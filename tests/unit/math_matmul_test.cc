#include "math_test_util.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

// Reference numpy.matmul on float tensors, computed in double.
std::vector<float> RefMatMul(const Tensor& a, const Tensor& b, const std::vector<int64_t>& out_shape) {
  std::vector<int64_t> as = a.shape(), bs = b.shape();
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  std::vector<int64_t> ba(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  size_t r = std::max(ba.size(), bb.size());
  std::vector<int64_t> batch(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - ba.size() ? 1 : ba[i - (r - ba.size())];
    int64_t db = i < r - bb.size() ? 1 : bb[i - (r - bb.size())];
    batch[i] = std::max(da, db);
  }
  int64_t nb = 1;
  for (int64_t d : batch) nb *= d;
  std::vector<float> out(static_cast<size_t>(nb * M * N));
  for (int64_t i = 0; i < nb; ++i) {
    int64_t ia = BroadcastSource(i, batch, ba), ib = BroadcastSource(i, batch, bb);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += double(a.data<float>()[ia * M * K + m * K + k]) * b.data<float>()[ib * K * N + k * N + n];
        out[(i * M + m) * N + n] = static_cast<float>(s);
      }
  }
  (void)out_shape;
  return out;
}

}  // namespace

TEST(MathMatMul, ShapesAndBroadcasting) {
  ThreadPool pool(4);
  struct Case { std::vector<int64_t> a, b, out; };
  const std::vector<Case> cases = {
      {{2, 3}, {3, 4}, {2, 4}},
      {{3}, {3}, {}},
      {{3}, {2, 3, 4}, {2, 4}},
      {{2, 3}, {3}, {2}},
      {{2, 1, 2, 3}, {3, 3, 4}, {2, 3, 2, 4}},
      {{4, 5, 6}, {6, 7}, {4, 5, 7}},
      {{5, 6}, {4, 6, 7}, {4, 5, 7}},
      {{2, 12, 33, 16}, {2, 12, 16, 33}, {2, 12, 33, 33}},
      {{1, 130, 70}, {70, 90}, {1, 130, 90}},
  };
  uint32_t seed = 3;
  for (const auto& c : cases) {
    Tensor a = RandomFloats(c.a, seed++), b = RandomFloats(c.b, seed++);
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
      Tensor y = RunOp("MatMul", {a, b}, 1, {}, 13, p)[0].tensor();
      EXPECT_EQ(y.shape(), c.out) << ShapeToString(c.a) << " x " << ShapeToString(c.b);
      ExpectFloatsNear(ToVector<float>(y), RefMatMul(a, b, c.out), 1e-4f, ShapeToString(c.a) + " x " + ShapeToString(c.b));
    }
  }
  EXPECT_THROW(RunOp("MatMul", {RandomFloats({2, 3}, 1), RandomFloats({4, 2}, 2)}, 1), Error);
  EXPECT_THROW(RunOp("MatMul", {RandomFloats({2, 3, 4}, 1), RandomFloats({3, 4, 2}, 2)}, 1), Error);
  // K = 0 gives zeros.
  Tensor z = RunOp("MatMul", {FloatTensor({2, 0}, {}), FloatTensor({0, 3}, {})}, 1)[0].tensor();
  EXPECT_EQ(ToVector<float>(z), std::vector<float>(6, 0.f));
}

TEST(MathMatMul, OtherTypes) {
  Tensor a = Int32Tensor({2, 2}, {1, 2, 3, 4});
  Tensor b = Int32Tensor({2, 2}, {5, 6, 7, 8});
  EXPECT_EQ(ToVector<int32_t>(RunOp("MatMul", {a, b}, 1)[0].tensor()), (std::vector<int32_t>{19, 22, 43, 50}));
  Tensor d = RunOp("MatMul", {DoubleTensor({1, 2}, {1, 2}), DoubleTensor({2, 1}, {3, 4})}, 1)[0].tensor();
  EXPECT_EQ(ToVector<double>(d), (std::vector<double>{11}));
  Tensor ha(DataType::Float16, {2, 2}), hb(DataType::Float16, {2, 2});
  for (int i = 0; i < 4; ++i) {
    ha.data<uint16_t>()[i] = FloatToHalf(float(i + 1));
    hb.data<uint16_t>()[i] = FloatToHalf(float(i + 5));
  }
  Tensor hy = RunOp("MatMul", {ha, hb}, 1)[0].tensor();
  EXPECT_EQ(hy.dtype(), DataType::Float16);
  EXPECT_EQ(HalfToFloat(hy.data<uint16_t>()[3]), 50.f);
}

TEST(MathGemm, TransposesAlphaBetaAndC) {
  Tensor a = FloatTensor({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor at = FloatTensor({3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor b = FloatTensor({3, 2}, {1, 0, 0, 1, 1, 1});
  Tensor bt = FloatTensor({2, 3}, {1, 0, 1, 0, 1, 1});
  const std::vector<float> ab = {4, 5, 10, 11};
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      Tensor y = RunOp("Gemm", {ta ? at : a, tb ? bt : b}, 1, {{"transA", IntAttr(ta)}, {"transB", IntAttr(tb)}}, 13)[0].tensor();
      EXPECT_EQ(ToVector<float>(y), ab) << ta << tb;
    }
  // C of shape [N], [M,1], scalar; alpha and beta.
  auto gemm = [&](const Tensor& c, float alpha, float beta) {
    return ToVector<float>(RunOp("Gemm", {a, b, c}, 1, {{"alpha", FloatAttr(alpha)}, {"beta", FloatAttr(beta)}}, 13)[0].tensor());
  };
  EXPECT_EQ(gemm(FloatTensor({2}, {100, 200}), 1, 1), (std::vector<float>{104, 205, 110, 211}));
  EXPECT_EQ(gemm(FloatTensor({2, 1}, {100, 200}), 2, 0.5f), (std::vector<float>{58, 60, 120, 122}));
  EXPECT_EQ(gemm(FloatTensor({}, {1}), 1, 0), ab);
  EXPECT_EQ(gemm(FloatTensor({1, 1}, {1}), 1, 3), (std::vector<float>{7, 8, 13, 14}));
  EXPECT_THROW(gemm(FloatTensor({3}, {1, 2, 3}), 1, 1), Error);
  EXPECT_THROW(RunOp("Gemm", {a, a}, 1, {}, 13), Error);
  // Integer Gemm.
  Tensor y = RunOp("Gemm", {Int64Tensor({1, 2}, {1, 2}), Int64Tensor({2, 1}, {3, 4}), Int64Tensor({1}, {10})}, 1, {}, 13)[0].tensor();
  EXPECT_EQ(ToVector<int64_t>(y), (std::vector<int64_t>{21}));
}

TEST(MathGemm, LargeMatchesReference) {
  ThreadPool pool(4);
  Tensor a = RandomFloats({70, 150}, 11), b = RandomFloats({90, 150}, 12), c = RandomFloats({90}, 13);
  Tensor y = RunOp("Gemm", {a, b, c}, 1, {{"transB", IntAttr(1)}, {"alpha", FloatAttr(0.5f)}}, 13, &pool)[0].tensor();
  std::vector<float> want(70 * 90);
  for (int m = 0; m < 70; ++m)
    for (int n = 0; n < 90; ++n) {
      double s = 0;
      for (int k = 0; k < 150; ++k) s += double(a.data<float>()[m * 150 + k]) * b.data<float>()[n * 150 + k];
      want[m * 90 + n] = static_cast<float>(0.5 * s + c.data<float>()[n]);
    }
  ExpectFloatsNear(ToVector<float>(y), want, 1e-4f);
}
