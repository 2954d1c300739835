// BitCast, and BitShift on signed integers (opset 28 semantics).
#include <cstring>

#include "math_test_util.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

Tensor BitCast(const Tensor& x, DataType to) {
  return RunOp("BitCast", {x}, 1, {{"to", IntAttr(static_cast<int64_t>(to))}}, 26)[0].tensor();
}
Tensor Shift(const Tensor& x, const Tensor& s, const char* dir) {
  return RunOp("BitShift", {x, s}, 1, {{"direction", StringAttr(dir)}}, 28)[0].tensor();
}

}  // namespace

TEST(MathBitCast, SameWidthKeepsBits) {
  Tensor y = BitCast(FloatTensor({2, 1}, {1.f, -2.f}), DataType::Int32);
  EXPECT_EQ(y.dtype(), DataType::Int32);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(ToVector<int32_t>(y), (std::vector<int32_t>{0x3f800000, static_cast<int32_t>(0xc0000000u)}));
  EXPECT_EQ(ToVector<float>(BitCast(y, DataType::Float)), (std::vector<float>{1.f, -2.f}));
  Tensor u = MakeTensor<uint8_t>(DataType::UInt8, {3}, {0, 128, 255});
  EXPECT_EQ(ToVector<int8_t>(BitCast(u, DataType::Int8)), (std::vector<int8_t>{0, -128, -1}));
  EXPECT_EQ(ToVector<uint8_t>(BitCast(BoolTensor({2}, {true, false}), DataType::UInt8)), (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(BitCast(FloatTensor({0}, {}), DataType::UInt32).shape(), (std::vector<int64_t>{0}));
}

TEST(MathBitCast, SubByteTypesAndErrors) {
  Tensor u4(DataType::UInt4, {3});
  u4.data<uint8_t>()[0] = 15, u4.data<uint8_t>()[1] = 8, u4.data<uint8_t>()[2] = 7;
  Tensor i4 = BitCast(u4, DataType::Int4);
  EXPECT_EQ(ToVector<int8_t>(i4), (std::vector<int8_t>{-1, -8, 7}));
  EXPECT_EQ(ToVector<uint8_t>(BitCast(i4, DataType::Float4E2M1)), (std::vector<uint8_t>{15, 8, 7}));
  EXPECT_THROW(BitCast(FloatTensor({1}, {1.f}), DataType::Int64), Error);  // 32 vs 64 bits
  EXPECT_THROW(BitCast(u4, DataType::UInt8), Error);
  EXPECT_THROW(BitCast(FloatTensor({1}, {1.f}), DataType::String), Error);
}

TEST(MathBitShift, SignedArithmeticRightAndWrappingLeft) {
  Tensor x = MakeTensor<int8_t>(DataType::Int8, {4}, {-16, 16, 64, -1});
  Tensor s = MakeTensor<int8_t>(DataType::Int8, {4}, {2, 2, 1, 1});
  EXPECT_EQ(ToVector<int8_t>(Shift(x, s, "RIGHT")), (std::vector<int8_t>{-4, 4, 32, -1}));
  EXPECT_EQ(ToVector<int8_t>(Shift(x, s, "LEFT")), (std::vector<int8_t>{-64, 64, -128, -2}));
  // Out-of-range amounts (negative or >= width) give the sign fill alone.
  Tensor big = MakeTensor<int8_t>(DataType::Int8, {4}, {8, -1, 100, 9});
  EXPECT_EQ(ToVector<int8_t>(Shift(x, big, "RIGHT")), (std::vector<int8_t>{-1, 0, 0, -1}));
  EXPECT_EQ(ToVector<int8_t>(Shift(x, big, "LEFT")), (std::vector<int8_t>{0, 0, 0, 0}));
  Tensor x64 = Int64Tensor({2}, {-5, INT64_MAX});
  Tensor s64 = Int64Tensor({}, {63});
  EXPECT_EQ(ToVector<int64_t>(Shift(x64, s64, "RIGHT")), (std::vector<int64_t>{-1, 0}));
  EXPECT_EQ(ToVector<int64_t>(Shift(x64, s64, "LEFT")), (std::vector<int64_t>{INT64_MIN, INT64_MIN}));
}
