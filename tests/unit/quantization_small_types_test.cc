// QuantizeLinear / DequantizeLinear with the 2-bit integer and float4e2m1 types.
#include <gtest/gtest.h>

#include "kernel_test_util.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

Tensor RunQ(const char* op, const std::vector<Tensor>& in) { return RunOp(op, in, 1, {}, 25)[0].tensor(); }

}  // namespace

TEST(QuantizeSmallTypes, Int2AndUInt2ClampToTheirRange) {
  Tensor x = FloatTensor({5}, {-10.f, -2.f, 0.4f, 1.f, 10.f});
  Tensor zi(DataType::Int2, {});
  Tensor y = RunQ("QuantizeLinear", {x, FloatTensor({}, {1.f}), zi});
  EXPECT_EQ(y.dtype(), DataType::Int2);
  EXPECT_EQ(ToVector<int8_t>(y), (std::vector<int8_t>{-2, -2, 0, 1, 1}));
  Tensor zu(DataType::UInt2, {});
  zu.data<uint8_t>()[0] = 1;
  EXPECT_EQ(ToVector<uint8_t>(RunQ("QuantizeLinear", {x, FloatTensor({}, {1.f}), zu})), (std::vector<uint8_t>{0, 0, 1, 2, 3}));
  Tensor back = RunQ("DequantizeLinear", {y, FloatTensor({}, {0.5f}), zi});
  EXPECT_EQ(ToVector<float>(back), (std::vector<float>{-1.f, -1.f, 0.f, .5f, .5f}));
}

TEST(QuantizeSmallTypes, Float4RoundsAndSaturates) {
  Tensor x = FloatTensor({4}, {2.f, 5.f, 100.f, -1.f});
  Tensor z(DataType::Float4E2M1, {});
  Tensor y = RunQ("QuantizeLinear", {x, FloatTensor({}, {2.f}), z});
  EXPECT_EQ(y.dtype(), DataType::Float4E2M1);
  EXPECT_EQ(ToVector<uint8_t>(y), (std::vector<uint8_t>{2, 4, 7, 9}));  // 1, 2.5->2, 50->6, -0.5
  EXPECT_EQ(ToVector<float>(RunQ("DequantizeLinear", {y, FloatTensor({}, {2.f}), z})), (std::vector<float>{2.f, 4.f, 12.f, -1.f}));
}
