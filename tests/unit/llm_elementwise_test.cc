// RotaryEmbedding, RMSNormalization, SwiGLU, TensorScatter, LinearAttention, CausalConvWithState.
#include <cmath>

#include "kernel_test_util.h"
#include "onyx/error.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

}  // namespace

TEST(LlmRotaryEmbedding, QuarterTurnHalvesAndInterleaved) {
  // cos 0, sin 1 at position 1: (x1, x2) -> (-x2, x1).
  Tensor x = FloatTensor({1, 1, 1, 4}, {1, 2, 3, 4});
  Tensor cos = FloatTensor({2, 2}, {1, 1, 0, 0});
  Tensor sin = FloatTensor({2, 2}, {0, 0, 1, 1});
  Tensor pos = Int64Tensor({1, 1}, {1});
  ExpectNear(ToVector<float>(RunOp("RotaryEmbedding", {x, cos, sin, pos}, 1, {}, 23)[0].tensor()), {-3, -4, 1, 2});
  ExpectNear(ToVector<float>(RunOp("RotaryEmbedding", {x, cos, sin, pos}, 1, {{"interleaved", IntAttr(1)}}, 23)[0].tensor()),
             {-2, 1, -4, 3});
  // Position 0 is the identity.
  Tensor pos0 = Int64Tensor({1, 1}, {0});
  ExpectNear(ToVector<float>(RunOp("RotaryEmbedding", {x, cos, sin, pos0}, 1, {}, 23)[0].tensor()), {1, 2, 3, 4});
}

TEST(LlmRotaryEmbedding, PartialRotation3DWithoutPositions) {
  // 3-D input, 2 heads of size 4, rotating the first 2 dims of each head.
  Tensor x = FloatTensor({1, 1, 8}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor cos = FloatTensor({1, 1, 1}, {0});
  Tensor sin = FloatTensor({1, 1, 1}, {1});
  auto y = RunOp("RotaryEmbedding", {x, cos, sin}, 1, {{"num_heads", IntAttr(2)}, {"rotary_embedding_dim", IntAttr(2)}}, 23);
  ExpectNear(ToVector<float>(y[0].tensor()), {-2, 1, 3, 4, -6, 5, 7, 8});
}

TEST(LlmRotaryEmbedding, BadInputsThrow) {
  Tensor x = FloatTensor({1, 1, 1, 4}, {1, 2, 3, 4});
  Tensor cos = FloatTensor({2, 2}, {1, 1, 0, 0});
  EXPECT_THROW(RunOp("RotaryEmbedding", {x, cos, cos, Int64Tensor({1, 1}, {2})}, 1, {}, 23), onyx::Error);
  Tensor x3 = FloatTensor({1, 1, 4}, {1, 2, 3, 4});
  EXPECT_THROW(RunOp("RotaryEmbedding", {x3, cos, cos, Int64Tensor({1, 1}, {0})}, 1, {}, 23), onyx::Error);
}

TEST(LlmRmsNormalization, RowsAxisAndScaleBroadcast) {
  // Row [3, 4]: mean square 12.5.
  const float r = 1.0f / std::sqrt(12.5f);
  const float r2 = 1.0f / std::sqrt(50.0f);
  Tensor x = FloatTensor({2, 2}, {3, 4, 6, 8});
  Tensor s = FloatTensor({2}, {1, 2});
  ExpectNear(ToVector<float>(RunOp("RMSNormalization", {x, s}, 1, {{"epsilon", FloatAttr(0)}}, 23)[0].tensor()),
             {3 * r, 8 * r, 6 * r2, 16 * r2}, 1e-5f);
  // axis -2 over the whole tensor: mean square 125/4; scale broadcast from shape (1,).
  Tensor s1 = FloatTensor({1}, {1});
  const float r3 = 1.0f / std::sqrt(31.25f);
  ExpectNear(ToVector<float>(RunOp("RMSNormalization", {x, s1}, 1, {{"axis", IntAttr(-2)}, {"epsilon", FloatAttr(0)}}, 23)[0].tensor()),
             {3 * r3, 4 * r3, 6 * r3, 8 * r3});
  // A zero row with the default epsilon stays zero; float16 output follows the scale type.
  Tensor z = FloatTensor({1, 2}, {0, 0});
  ExpectNear(ToVector<float>(RunOp("RMSNormalization", {z, s}, 1, {}, 23)[0].tensor()), {0, 0});
  EXPECT_THROW(RunOp("RMSNormalization", {x, FloatTensor({3}, {1, 1, 1})}, 1, {}, 23), onyx::Error);
  EXPECT_THROW(RunOp("RMSNormalization", {x, s, }, 1, {{"axis", IntAttr(2)}}, 23), onyx::Error);
}

TEST(LlmSwiGLU, GateTimesValue) {
  Tensor a = FloatTensor({3}, {0, 1, -1});
  Tensor b = FloatTensor({3}, {5, 2, 1});
  const float sig1 = 1 / (1 + std::exp(-1.0f));
  ExpectNear(ToVector<float>(RunOp("SwiGLU", {a, b}, 1, {}, 28)[0].tensor()), {0, 2 * sig1, -(1 - sig1)});
  EXPECT_THROW(RunOp("SwiGLU", {a, FloatTensor({1}, {1})}, 1, {}, 28), onyx::Error);
}

TEST(LlmTensorScatter, LinearAndCircular) {
  Tensor cache = FloatTensor({2, 4, 1}, {0, 0, 0, 0, 0, 0, 0, 0});
  Tensor upd = FloatTensor({2, 2, 1}, {1, 2, 3, 4});
  auto lin = RunOp("TensorScatter", {cache, upd, Int64Tensor({2}, {0, 2})}, 1, {}, 24);
  ExpectNear(ToVector<float>(lin[0].tensor()), {1, 2, 0, 0, 0, 0, 3, 4});
  auto circ = RunOp("TensorScatter", {cache, upd, Int64Tensor({2}, {3, 1})}, 1, {{"mode", StringAttr("circular")}}, 24);
  ExpectNear(ToVector<float>(circ[0].tensor()), {2, 0, 0, 1, 0, 3, 4, 0});
  // No write_indices: writes at 0. The input stays untouched.
  auto none = RunOp("TensorScatter", {cache, upd}, 1, {}, 24);
  ExpectNear(ToVector<float>(none[0].tensor()), {1, 2, 0, 0, 3, 4, 0, 0});
  EXPECT_EQ(cache.data<float>()[0], 0.0f);
  EXPECT_THROW(RunOp("TensorScatter", {cache, upd, Int64Tensor({2}, {3, 0})}, 1, {}, 24), onyx::Error);
  EXPECT_THROW(RunOp("TensorScatter", {cache, upd}, 1, {{"axis", IntAttr(0)}}, 24), onyx::Error);
}

TEST(LlmLinearAttention, LinearAndGatedDelta) {
  Tensor q = FloatTensor({1, 2, 1}, {2, 1});
  Tensor k = FloatTensor({1, 2, 1}, {3, 1});
  Tensor v = FloatTensor({1, 2, 1}, {4, 1});
  auto lin = RunOp("LinearAttention", {q, k, v}, 2,
                   {{"q_num_heads", IntAttr(1)}, {"kv_num_heads", IntAttr(1)}, {"update_rule", StringAttr("linear")}, {"scale", FloatAttr(1)}}, 27);
  // S1 = 12, o1 = 24; S2 = 13, o2 = 13.
  ExpectNear(ToVector<float>(lin[0].tensor()), {24, 13});
  ExpectNear(ToVector<float>(lin[1].tensor()), {13});
  // gated_delta with decay 0 (exp = 1) and beta 0.5, past state 2:
  // t0: v' = 0.5*(4 - 2*3) = -1, S = 2 + 3*-1 = -1, o = 2*-1 = -2.
  Tensor q1 = FloatTensor({1, 1, 1}, {2});
  Tensor k1 = FloatTensor({1, 1, 1}, {3});
  Tensor v1 = FloatTensor({1, 1, 1}, {4});
  auto gd = RunOp("LinearAttention", {q1, k1, v1, FloatTensor({1, 1, 1, 1}, {2}), FloatTensor({1, 1, 1}, {0}), FloatTensor({1, 1, 1}, {0.5f})}, 2,
                  {{"q_num_heads", IntAttr(1)}, {"kv_num_heads", IntAttr(1)}, {"scale", FloatAttr(1)}}, 27);
  ExpectNear(ToVector<float>(gd[0].tensor()), {-2});
  ExpectNear(ToVector<float>(gd[1].tensor()), {-1});
  EXPECT_THROW(RunOp("LinearAttention", {q1, k1, v1}, 2, {{"q_num_heads", IntAttr(1)}, {"kv_num_heads", IntAttr(1)}}, 27),
               onyx::Error);  // gated_delta needs decay and beta
}

TEST(LlmCausalConvWithState, ConvAndCarry) {
  Tensor x = FloatTensor({1, 1, 3}, {1, 2, 3});
  Tensor w = FloatTensor({1, 1, 2}, {1, 2});
  auto out = RunOp("CausalConvWithState", {x, w}, 2, {}, 27);
  ExpectNear(ToVector<float>(out[0].tensor()), {2, 5, 8});
  ExpectNear(ToVector<float>(out[1].tensor()), {3});
  auto with_past = RunOp("CausalConvWithState", {x, w, FloatTensor({1}, {1}), FloatTensor({1, 1, 1}, {4})}, 2,
                         {{"activation", StringAttr("silu")}}, 27);
  auto silu = [](float a) { return a / (1 + std::exp(-a)); };
  ExpectNear(ToVector<float>(with_past[0].tensor()), {silu(7), silu(6), silu(9)});
  EXPECT_THROW(RunOp("CausalConvWithState", {x, FloatTensor({2, 1, 1}, {1, 1})}, 2, {}, 27), onyx::Error);
}
