#include <climits>
#include <limits>

#include "math_test_util.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

Tensor Cast(const Tensor& x, DataType to, int64_t opset = 19) {
  return RunOp("Cast", {x}, 1, {{"to", IntAttr(static_cast<int64_t>(to))}}, opset)[0].tensor();
}

}  // namespace

TEST(MathCast, FloatToIntegers) {
  Tensor x = FloatTensor({5}, {1.9f, -1.9f, 0.f, 300.7f, -1.f});
  EXPECT_EQ(ToVector<int32_t>(Cast(x, DataType::Int32)), (std::vector<int32_t>{1, -1, 0, 300, -1}));
  EXPECT_EQ(ToVector<int64_t>(Cast(x, DataType::Int64)), (std::vector<int64_t>{1, -1, 0, 300, -1}));
  // Out of range wraps through int64 as numpy does on x86.
  EXPECT_EQ(ToVector<uint8_t>(Cast(x, DataType::UInt8)), (std::vector<uint8_t>{1, 255, 0, 44, 255}));
  Tensor odd = FloatTensor({3}, {NAN, 1e20f, -1e20f});
  EXPECT_EQ(ToVector<int32_t>(Cast(odd, DataType::Int32)), (std::vector<int32_t>{INT32_MIN, INT32_MIN, INT32_MIN}));
  EXPECT_EQ(ToVector<int64_t>(Cast(odd, DataType::Int64)), (std::vector<int64_t>{INT64_MIN, INT64_MIN, INT64_MIN}));
  EXPECT_EQ(ToVector<uint64_t>(Cast(DoubleTensor({1}, {1.5e19}), DataType::UInt64)),
            (std::vector<uint64_t>{15000000000000000000ull}));
}

TEST(MathCast, IntegersBoolAndFloats) {
  Tensor x = Int64Tensor({4}, {-1, 0, 2, 256});
  EXPECT_EQ(ToVector<uint8_t>(Cast(x, DataType::UInt8)), (std::vector<uint8_t>{255, 0, 2, 0}));
  EXPECT_EQ(ToBools(Cast(x, DataType::Bool)), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(ToVector<float>(Cast(x, DataType::Float)), (std::vector<float>{-1, 0, 2, 256}));
  EXPECT_EQ(ToVector<double>(Cast(BoolTensor({2}, {true, false}), DataType::Double)), (std::vector<double>{1, 0}));
  EXPECT_EQ(ToBools(Cast(FloatTensor({3}, {0.f, -0.5f, NAN}), DataType::Bool)), (std::vector<bool>{false, true, true}));
  Tensor same = Cast(x, DataType::Int64);
  EXPECT_EQ(ToVector<int64_t>(same), ToVector<int64_t>(x));
}

TEST(MathCast, SixteenBitFloats) {
  Tensor x = FloatTensor({4}, {1.f, -2.5f, 65504.f, 1e6f});
  Tensor h = Cast(x, DataType::Float16);
  EXPECT_EQ(h.dtype(), DataType::Float16);
  EXPECT_EQ(h.data<uint16_t>()[0], 0x3c00);
  EXPECT_EQ(HalfToFloat(h.data<uint16_t>()[1]), -2.5f);
  EXPECT_EQ(HalfToFloat(h.data<uint16_t>()[2]), 65504.f);
  EXPECT_TRUE(std::isinf(HalfToFloat(h.data<uint16_t>()[3])));
  Tensor back = Cast(h, DataType::Float);
  EXPECT_EQ(ToVector<float>(back)[1], -2.5f);
  Tensor b = Cast(x, DataType::BFloat16);
  EXPECT_EQ(b.data<uint16_t>()[0], 0x3f80);
  Tensor hb = Cast(h, DataType::BFloat16);
  EXPECT_EQ(BFloat16ToFloat(hb.data<uint16_t>()[1]), -2.5f);
  EXPECT_EQ(ToVector<int32_t>(Cast(h, DataType::Int32))[1], -2);
  Tensor hi = Cast(Int32Tensor({1}, {3}), DataType::Float16);
  EXPECT_EQ(HalfToFloat(hi.data<uint16_t>()[0]), 3.f);
}

TEST(MathCast, Strings) {
  Tensor s = StringTensor({5}, {"3.5", "-1e3", "INF", "nan", " 7"});
  std::vector<float> f = ToVector<float>(Cast(s, DataType::Float));
  EXPECT_EQ(f[0], 3.5f);
  EXPECT_EQ(f[1], -1000.f);
  EXPECT_TRUE(std::isinf(f[2]));
  EXPECT_TRUE(std::isnan(f[3]));
  EXPECT_EQ(f[4], 7.f);
  EXPECT_EQ(ToVector<int64_t>(Cast(StringTensor({3}, {"42", "-7", "1e3"}), DataType::Int64)),
            (std::vector<int64_t>{42, -7, 1000}));
  EXPECT_THROW(Cast(StringTensor({1}, {"abc"}), DataType::Int32), Error);
  EXPECT_THROW(Cast(StringTensor({1}, {"1.5x"}), DataType::Float), Error);
  EXPECT_EQ(ToVector<std::string>(Cast(FloatTensor({4}, {1.5f, -0.25f, NAN, -INFINITY}), DataType::String)),
            (std::vector<std::string>{"1.5", "-0.25", "NaN", "-INF"}));
  EXPECT_EQ(ToVector<std::string>(Cast(Int64Tensor({2}, {-12, 7}), DataType::String)), (std::vector<std::string>{"-12", "7"}));
  // Shortest text that reads back to the same float, as numpy and the ONNX test data write it.
  EXPECT_EQ(ToVector<std::string>(Cast(FloatTensor({3}, {0.6048455f, 0.039187793f, 1e-5f}), DataType::String)),
            (std::vector<std::string>{"0.6048455", "0.039187793", "1e-05"}));
  EXPECT_EQ(ToVector<std::string>(Cast(s, DataType::String)), ToVector<std::string>(s));
}

TEST(MathCast, CastLikeAndErrors) {
  Tensor y = RunOp("CastLike", {FloatTensor({2}, {1.5f, 2.5f}), Int32Tensor({}, {0})}, 1, {}, 15)[0].tensor();
  EXPECT_EQ(y.dtype(), DataType::Int32);
  EXPECT_EQ(ToVector<int32_t>(y), (std::vector<int32_t>{1, 2}));
  EXPECT_THROW(RunOp("Cast", {FloatTensor({1}, {1})}, 1, {}, 19), Error);  // 'to' missing
  EXPECT_THROW(Cast(FloatTensor({1}, {1}), static_cast<DataType>(27)), Error);  // unknown 'to'
}
