// Attention kernel tests with hand-computed expectations.
#include <cmath>

#include "core/float16.h"
#include "core/node_evaluator.h"
#include "kernel_test_util.h"
#include "onyx/error.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

Tensor BoolTensor(std::vector<int64_t> shape, std::vector<bool> v) {
  Tensor t(DataType::Bool, std::move(shape));
  for (size_t i = 0; i < v.size(); ++i) t.data<bool>()[i] = v[i];
  return t;
}

}  // namespace

TEST(LlmAttention, SingleQueryTwoKeys4D) {
  // scores = q.k * 1/sqrt(1) = [1, 0]; probs = [e, 1] / (e + 1).
  Tensor q = FloatTensor({1, 1, 1, 1}, {1});
  Tensor k = FloatTensor({1, 1, 2, 1}, {1, 0});
  Tensor v = FloatTensor({1, 1, 2, 1}, {2, 4});
  auto out = RunOp("Attention", {q, k, v}, 1, {}, 23);
  const float e = std::exp(1.0f), p0 = e / (e + 1), p1 = 1 / (e + 1);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{1, 1, 1, 1}));
  ExpectNear(ToVector<float>(out[0].tensor()), {2 * p0 + 4 * p1});
}

TEST(LlmAttention, CausalAndQkOutputModes) {
  // Zero queries give equal scores: row 0 sees key 0 only, row 1 averages both keys.
  Tensor q = FloatTensor({1, 1, 2, 2}, {0, 0, 0, 0});
  Tensor k = FloatTensor({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor v = FloatTensor({1, 1, 2, 1}, {10, 20});
  auto out = RunOp("Attention", {q, k, v, Tensor(), Tensor(), Tensor()}, 4,
                   {{"is_causal", IntAttr(1)}, {"qk_matmul_output_mode", IntAttr(3)}}, 23);
  ExpectNear(ToVector<float>(out[0].tensor()), {10, 15});
  ExpectNear(ToVector<float>(out[3].tensor()), {1, 0, 0.5f, 0.5f});
  // Mode 2 exposes the biased scores: the masked cell is -inf.
  auto out2 = RunOp("Attention", {q, k, v, Tensor(), Tensor(), Tensor()}, 4,
                    {{"is_causal", IntAttr(1)}, {"qk_matmul_output_mode", IntAttr(2)}}, 23);
  auto qk = ToVector<float>(out2[3].tensor());
  EXPECT_EQ(qk[0], 0.0f);
  EXPECT_TRUE(std::isinf(qk[1]) && qk[1] < 0);
}

TEST(LlmAttention, FullyMaskedBoolRowIsZeroNotNaN) {
  Tensor q = FloatTensor({1, 1, 2, 1}, {1, 1});
  Tensor k = FloatTensor({1, 1, 2, 1}, {1, 2});
  Tensor v = FloatTensor({1, 1, 2, 1}, {3, 5});
  Tensor mask = BoolTensor({2, 2}, {false, false, true, false});
  auto out = RunOp("Attention", {q, k, v, mask}, 1, {}, 23);
  ExpectNear(ToVector<float>(out[0].tensor()), {0, 3});
}

TEST(LlmAttention, AdditiveMaskShorterThanKeysIsPaddedWithNegInf) {
  Tensor q = FloatTensor({1, 1, 1, 1}, {0});
  Tensor k = FloatTensor({1, 1, 3, 1}, {0, 0, 0});
  Tensor v = FloatTensor({1, 1, 3, 1}, {1, 2, 100});
  Tensor mask = FloatTensor({1, 2}, {0, 0});  // key 2 is beyond the mask: excluded
  auto out = RunOp("Attention", {q, k, v, mask}, 1, {}, 23);
  ExpectNear(ToVector<float>(out[0].tensor()), {1.5f});
}

TEST(LlmAttention, GroupedHeads3DWithPastAndPresent) {
  // 3-D inputs: 2 query heads share 1 KV head; head size 1; one past key.
  Tensor q = FloatTensor({1, 1, 2}, {0, 0});
  Tensor k = FloatTensor({1, 1, 1}, {7});
  Tensor v = FloatTensor({1, 1, 1}, {4});
  Tensor pk = FloatTensor({1, 1, 1, 1}, {9});
  Tensor pv = FloatTensor({1, 1, 1, 1}, {2});
  auto out = RunOp("Attention", {q, k, v, Tensor(), pk, pv}, 3,
                   {{"q_num_heads", IntAttr(2)}, {"kv_num_heads", IntAttr(1)}}, 23);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{1, 1, 2}));
  ExpectNear(ToVector<float>(out[0].tensor()), {3, 3});
  EXPECT_EQ(out[1].tensor().shape(), (std::vector<int64_t>{1, 1, 2, 1}));
  ExpectNear(ToVector<float>(out[1].tensor()), {9, 7});
  ExpectNear(ToVector<float>(out[2].tensor()), {2, 4});
}

TEST(LlmAttention, ScaleSoftcapAndWindow) {
  // scale 2 and softcap 1: score = tanh(2 * 1 * 1) for key 0, tanh(0) for key 1.
  Tensor q = FloatTensor({1, 1, 1, 1}, {1});
  Tensor k = FloatTensor({1, 1, 2, 1}, {1, 0});
  Tensor v = FloatTensor({1, 1, 2, 1}, {1, 0});
  auto out = RunOp("Attention", {q, k, v}, 1, {{"scale", FloatAttr(2)}, {"softcap", FloatAttr(1)}}, 23);
  const float s = std::tanh(2.0f);
  ExpectNear(ToVector<float>(out[0].tensor()), {std::exp(s) / (std::exp(s) + 1)});
  // A left window of 0 with 3 queries over 3 keys keeps only the diagonal.
  Tensor q3 = FloatTensor({1, 1, 3, 1}, {0, 0, 0});
  Tensor k3 = FloatTensor({1, 1, 3, 1}, {0, 0, 0});
  Tensor v3 = FloatTensor({1, 1, 3, 1}, {1, 2, 3});
  auto w = RunOp("Attention", {q3, k3, v3}, 1, {{"left_window_size", IntAttr(0)}, {"right_window_size", IntAttr(0)}}, 25);
  ExpectNear(ToVector<float>(w[0].tensor()), {1, 2, 3});
}

TEST(LlmAttention, NonpadKvSeqlenMasksPadding) {
  Tensor q = FloatTensor({2, 1, 1, 1}, {0, 0});
  Tensor k = FloatTensor({2, 1, 2, 1}, {0, 0, 0, 0});
  Tensor v = FloatTensor({2, 1, 2, 1}, {1, 3, 1, 3});
  auto out = RunOp("Attention", {q, k, v, Tensor(), Tensor(), Tensor(), Int64Tensor({2}, {1, 2})}, 1, {}, 24);
  ExpectNear(ToVector<float>(out[0].tensor()), {1, 2});
}

TEST(LlmAttention, Float16ComputesInFloat) {
  Tensor q(DataType::Float16, {1, 1, 1, 2});
  Tensor k(DataType::Float16, {1, 1, 2, 2});
  Tensor v(DataType::Float16, {1, 1, 2, 2});
  for (int i = 0; i < 4; ++i) {
    k.data<uint16_t>()[i] = FloatToHalf(0.0f);
    v.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(i));
  }
  q.data<uint16_t>()[0] = q.data<uint16_t>()[1] = FloatToHalf(1.0f);
  auto out = RunOp("Attention", {q, k, v}, 1, {}, 23);
  ASSERT_EQ(out[0].tensor().dtype(), DataType::Float16);
  EXPECT_NEAR(HalfToFloat(out[0].tensor().data<uint16_t>()[0]), 1.0f, 1e-3);
  EXPECT_NEAR(HalfToFloat(out[0].tensor().data<uint16_t>()[1]), 2.0f, 1e-3);
}

TEST(LlmAttention, EmptyQuerySequence) {
  Tensor q(DataType::Float, {1, 1, 0, 2});
  Tensor k = FloatTensor({1, 1, 1, 2}, {1, 1});
  Tensor v = FloatTensor({1, 1, 1, 2}, {1, 1});
  auto out = RunOp("Attention", {q, k, v}, 1, {}, 23);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{1, 1, 0, 2}));
}

TEST(LlmAttention, BadInputsThrow) {
  Tensor q2 = FloatTensor({1, 2}, {1, 2});
  EXPECT_THROW(RunOp("Attention", {q2, q2, q2}, 1, {}, 23), onyx::Error);
  Tensor q3 = FloatTensor({1, 1, 2}, {1, 2});
  EXPECT_THROW(RunOp("Attention", {q3, q3, q3}, 1, {}, 23), onyx::Error);  // 3-D needs head counts
  Tensor q = FloatTensor({1, 3, 1, 1}, {1, 1, 1});
  Tensor k = FloatTensor({1, 2, 1, 1}, {1, 1});
  EXPECT_THROW(RunOp("Attention", {q, k, k}, 1, {}, 23), onyx::Error);  // 3 heads vs 2 KV heads
  Tensor q1 = FloatTensor({1, 1, 1, 1}, {1});
  Tensor mask = FloatTensor({1, 3}, {0, 0, 0});  // longer than the 1 key
  EXPECT_THROW(RunOp("Attention", {q1, q1, q1, mask}, 1, {}, 23), onyx::Error);
  Tensor pk = FloatTensor({1, 1, 1, 1}, {1});
  EXPECT_THROW(RunOp("Attention", {q1, q1, q1, Tensor(), pk}, 1, {}, 23), onyx::Error);  // past_key alone
}

TEST(LlmAttention, DoubleInputsAndBroadcastMask3D) {
  // Rank-3 additive mask (heads=1, q, kv) broadcast over the batch; double stays double.
  Tensor q = MakeTensor<double>(DataType::Double, {2, 1, 1, 1}, {0, 0});
  Tensor k = MakeTensor<double>(DataType::Double, {2, 1, 2, 1}, {0, 0, 0, 0});
  Tensor v = MakeTensor<double>(DataType::Double, {2, 1, 2, 1}, {1, 3, 5, 7});
  Tensor mask = MakeTensor<double>(DataType::Double, {1, 1, 2}, {0, -INFINITY});
  auto out = RunOp("Attention", {q, k, v, mask}, 1, {}, 23);
  ASSERT_EQ(out[0].tensor().dtype(), DataType::Double);
  EXPECT_EQ(ToVector<double>(out[0].tensor()), (std::vector<double>{1, 5}));
}

TEST(LlmFlexAttention, GroupedHeadsWithoutModifiers) {
  Node node;
  node.op_type = "FlexAttention";
  node.domain = "ai.onnx.preview";
  node.name = "flex";
  node.opset = 1;
  node.inputs = {"q", "k", "v"};
  node.outputs = {"y"};
  // Two query heads share one KV head; zero queries average the values.
  Tensor q = FloatTensor({1, 2, 1, 1}, {0, 0});
  Tensor k = FloatTensor({1, 1, 2, 1}, {1, 2});
  Tensor v = FloatTensor({1, 1, 2, 2}, {1, 2, 3, 4});
  auto out = EvaluateNode(node, {Value(q), Value(k), Value(v)}, TestRegistry(), kCpuProvider, nullptr);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{1, 2, 1, 2}));
  ExpectNear(ToVector<float>(out[0].tensor()), {2, 3, 2, 3});
  Tensor bad = FloatTensor({1, 3, 1, 1}, {0, 0, 0});
  Tensor k2 = FloatTensor({1, 2, 2, 1}, {1, 2, 1, 2});
  EXPECT_THROW(EvaluateNode(node, {Value(bad), Value(k2), Value(k2)}, TestRegistry(), kCpuProvider, nullptr), onyx::Error);
}
