#include "math_test_util.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

Tensor Einsum(const std::string& eq, const std::vector<Tensor>& in, ThreadPool* pool = nullptr) {
  return RunOp("Einsum", in, 1, {{"equation", StringAttr(eq)}}, 13, pool)[0].tensor();
}

}  // namespace

TEST(MathEinsum, MatmulLikeMatchesMatMul) {
  ThreadPool pool(3);
  Tensor a = RandomFloats({2, 3, 5, 4}, 1), b = RandomFloats({2, 3, 4, 6}, 2);
  Tensor want = RunOp("MatMul", {a, b}, 1, {}, 13)[0].tensor();
  Tensor got = Einsum("bhij,bhjk->bhik", {a, b}, &pool);
  EXPECT_EQ(got.shape(), want.shape());
  ExpectFloatsNear(ToVector<float>(got), ToVector<float>(want), 1e-5f);
  // Same through the ellipsis and implicit output.
  ExpectFloatsNear(ToVector<float>(Einsum("...ij,...jk", {a, b})), ToVector<float>(want), 1e-5f);
  // Attention scores: q . k over d, with k not transposed in memory.
  Tensor q = RandomFloats({2, 5, 8}, 3), k = RandomFloats({2, 7, 8}, 4);
  Tensor s = Einsum("bqd,bkd->bqk", {q, k});
  EXPECT_EQ(s.shape(), (std::vector<int64_t>{2, 5, 7}));
  for (int bb = 0; bb < 2; ++bb)
    for (int i = 0; i < 5; ++i)
      for (int j = 0; j < 7; ++j) {
        double acc = 0;
        for (int d = 0; d < 8; ++d) acc += double(q.data<float>()[(bb * 5 + i) * 8 + d]) * k.data<float>()[(bb * 7 + j) * 8 + d];
        EXPECT_NEAR(s.data<float>()[(bb * 5 + i) * 7 + j], acc, 1e-4);
      }
  // Output in another order than [batch, m, n].
  Tensor t = Einsum("ij,jk->ki", {FloatTensor({2, 2}, {1, 2, 3, 4}), FloatTensor({2, 2}, {5, 6, 7, 8})});
  EXPECT_EQ(ToVector<float>(t), (std::vector<float>{19, 43, 22, 50}));
}

TEST(MathEinsum, TransposeTraceDiagonalSumOuter) {
  Tensor m = FloatTensor({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor t = Einsum("ij->ji", {m});
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ToVector<float>(t), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(ToVector<float>(Einsum("ij->", {m})), (std::vector<float>{21}));
  EXPECT_EQ(ToVector<float>(Einsum("ij->j", {m})), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(ToVector<float>(Einsum("ba", {m})), (std::vector<float>{1, 4, 2, 5, 3, 6}));  // implicit: "ab"
  Tensor sq = FloatTensor({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(ToVector<float>(Einsum("ii", {sq})), (std::vector<float>{15}));
  EXPECT_EQ(ToVector<float>(Einsum("ii->i", {sq})), (std::vector<float>{1, 5, 9}));
  Tensor o = Einsum("i,j->ij", {FloatTensor({2}, {1, 2}), FloatTensor({3}, {1, 10, 100})});
  EXPECT_EQ(ToVector<float>(o), (std::vector<float>{1, 10, 100, 2, 20, 200}));
  EXPECT_EQ(ToVector<float>(Einsum("i,i", {FloatTensor({3}, {1, 2, 3}), FloatTensor({3}, {4, 5, 6})})), (std::vector<float>{32}));
  // Three operands and integers.
  Tensor r = Einsum("i,ij,j->", {Int64Tensor({2}, {1, 2}), Int64Tensor({2, 2}, {1, 2, 3, 4}), Int64Tensor({2}, {1, 1})});
  EXPECT_EQ(ToVector<int64_t>(r), (std::vector<int64_t>{3 + 14}));
  // Ellipsis broadcasting.
  Tensor e = Einsum("...i,...i->...", {FloatTensor({2, 2}, {1, 2, 3, 4}), FloatTensor({1, 2}, {1, 1})});
  EXPECT_EQ(ToVector<float>(e), (std::vector<float>{3, 7}));
}

TEST(MathEinsum, Errors) {
  Tensor m = FloatTensor({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_THROW(Einsum("ijk->i", {m}), Error);
  EXPECT_THROW(Einsum("ij,jk->ik", {m}), Error);
  EXPECT_THROW(Einsum("ij,ij->ij", {m, FloatTensor({3, 2}, {1, 2, 3, 4, 5, 6})}), Error);
  EXPECT_THROW(Einsum("ij->iz", {m}), Error);
  EXPECT_THROW(Einsum("ij->ii", {m}), Error);
}
