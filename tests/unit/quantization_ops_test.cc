#include <cmath>

#include "kernel_test_util.h"
#include "core/float16.h"
#include "quantization/float8.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

Tensor U8(std::vector<int64_t> s, std::vector<uint8_t> v) { return MakeTensor<uint8_t>(DataType::UInt8, std::move(s), std::move(v)); }
Tensor I8(std::vector<int64_t> s, std::vector<int8_t> v) { return MakeTensor<int8_t>(DataType::Int8, std::move(s), std::move(v)); }
Tensor I32(std::vector<int64_t> s, std::vector<int32_t> v) { return MakeTensor<int32_t>(DataType::Int32, std::move(s), std::move(v)); }

Tensor Run1(const std::string& op, const std::vector<Tensor>& in, std::map<std::string, Attribute> attrs = {},
            int64_t opset = 21) {
  return RunOp(op, in, 1, std::move(attrs), opset)[0].tensor();
}

}  // namespace

TEST(QuantizeLinear, PerTensorRoundsHalfToEvenAndSaturates) {
  Tensor y = Run1("QuantizeLinear", {FloatTensor({6}, {0, 2, 3, 1000, -254, -1000}), FloatTensor({}, {2}), U8({}, {128})});
  EXPECT_EQ(y.dtype(), DataType::UInt8);
  EXPECT_EQ(ToVector<uint8_t>(y), (std::vector<uint8_t>{128, 129, 130, 255, 1, 0}));
  Tensor z = Run1("QuantizeLinear", {FloatTensor({4}, {1, 5, -1, -3}), FloatTensor({}, {2}), I8({}, {0})});
  EXPECT_EQ(ToVector<int8_t>(z), (std::vector<int8_t>{0, 2, 0, -2}));
}

TEST(QuantizeLinear, DefaultsToUint8WithoutZeroPoint) {
  Tensor y = Run1("QuantizeLinear", {FloatTensor({3}, {-1, 0.4f, 300}), FloatTensor({1}, {1})}, {}, 10);
  EXPECT_EQ(y.dtype(), DataType::UInt8);
  EXPECT_EQ(ToVector<uint8_t>(y), (std::vector<uint8_t>{0, 0, 255}));
}

TEST(QuantizeLinear, PerAxisAndNegativeAxis) {
  Tensor x = FloatTensor({1, 3, 2}, {1, 2, 4, 8, 9, 12});
  Tensor s = FloatTensor({3}, {1, 2, 3});
  Tensor zp = U8({3}, {0, 10, 20});
  std::vector<uint8_t> want{1, 2, 12, 14, 23, 24};
  EXPECT_EQ(ToVector<uint8_t>(Run1("QuantizeLinear", {x, s, zp}, {{"axis", IntAttr(1)}})), want);
  EXPECT_EQ(ToVector<uint8_t>(Run1("QuantizeLinear", {x, s, zp}, {{"axis", IntAttr(-2)}})), want);
  EXPECT_THROW(Run1("QuantizeLinear", {x, s, zp}, {{"axis", IntAttr(2)}}), Error);  // 3 scales vs dim 2
}

TEST(QuantizeLinear, BlockedWithRemainderBlock) {
  Tensor x = FloatTensor({2, 3}, {2, 4, 6, 3, 9, 27});
  Tensor s = FloatTensor({2, 2}, {2, 3, 3, 9});
  Tensor y = Run1("QuantizeLinear", {x, s, U8({2, 2}, {0, 1, 0, 1})}, {{"axis", IntAttr(1)}, {"block_size", IntAttr(2)}});
  EXPECT_EQ(ToVector<uint8_t>(y), (std::vector<uint8_t>{1, 2, 3, 1, 3, 4}));
  EXPECT_THROW(Run1("QuantizeLinear", {x, FloatTensor({2, 3}, {1, 1, 1, 1, 1, 1})},
                    {{"axis", IntAttr(1)}, {"block_size", IntAttr(2)}}),
               Error);
}

TEST(QuantizeLinear, Int4AndOutputDtype) {
  Tensor zp(DataType::Int4, {});
  Tensor y = Run1("QuantizeLinear", {FloatTensor({4}, {-20, -3, 6, 20}), FloatTensor({}, {1}), zp});
  EXPECT_EQ(y.dtype(), DataType::Int4);
  EXPECT_EQ(ToVector<int8_t>(y), (std::vector<int8_t>{-8, -3, 6, 7}));
  Tensor u = Run1("QuantizeLinear", {FloatTensor({2}, {-2, 70000}), FloatTensor({}, {1})},
                  {{"output_dtype", IntAttr(static_cast<int64_t>(DataType::UInt16))}});
  EXPECT_EQ(u.dtype(), DataType::UInt16);
  EXPECT_EQ(ToVector<uint16_t>(u), (std::vector<uint16_t>{0, 65535}));
  // output_dtype contradicting the zero point type is an error.
  EXPECT_THROW(Run1("QuantizeLinear", {FloatTensor({1}, {1}), FloatTensor({}, {1}), U8({}, {0})},
                    {{"output_dtype", IntAttr(static_cast<int64_t>(DataType::Int8))}}),
               Error);
}

TEST(QuantizeLinear, EmptyInput) {
  Tensor y = Run1("QuantizeLinear", {FloatTensor({0, 3}, {}), FloatTensor({}, {1}), U8({}, {0})});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{0, 3}));
}

TEST(QuantizeLinear, Float8SaturateAttribute) {
  Tensor zp(DataType::Float8E4M3FN, {});
  Tensor sat = Run1("QuantizeLinear", {FloatTensor({3}, {1, 1000, -1000}), FloatTensor({}, {1}), zp});
  EXPECT_EQ(ToVector<uint8_t>(sat), (std::vector<uint8_t>{0x38, 0x7e, 0xfe}));
  Tensor nosat = Run1("QuantizeLinear", {FloatTensor({2}, {1000, -1000}), FloatTensor({}, {1}), zp}, {{"saturate", IntAttr(0)}});
  EXPECT_EQ(ToVector<uint8_t>(nosat), (std::vector<uint8_t>{0x7f, 0xff}));
}

TEST(Float8, KnownCodes) {
  using namespace onyx::float8;
  EXPECT_EQ(FromFloat(448.f, Format::E4M3FN, true), 0x7e);
  EXPECT_EQ(FromFloat(464.f, Format::E4M3FN, false), 0x7e);  // tie rounds to even (448)
  EXPECT_EQ(FromFloat(std::ldexp(1.f, -9), Format::E4M3FN, true), 0x01);
  EXPECT_EQ(FromFloat(std::ldexp(1.f, -11), Format::E4M3FN, true), 0x00);  // below half the smallest subnormal
  EXPECT_EQ(FromFloat(1.f, Format::E5M2, true), 0x3c);
  EXPECT_EQ(FromFloat(57344.f, Format::E5M2, true), 0x7b);
  EXPECT_EQ(FromFloat(INFINITY, Format::E5M2, false), 0x7c);
  EXPECT_EQ(FromFloat(INFINITY, Format::E5M2, true), 0x7b);
  EXPECT_EQ(FromFloat(-0.f, Format::E4M3FNUZ, true), 0x00);
  EXPECT_EQ(FromFloat(NAN, Format::E5M2FNUZ, true), 0x80);
  EXPECT_EQ(FromFloat(240.f, Format::E4M3FNUZ, true), 0x7f);
  EXPECT_FLOAT_EQ(ToFloat(0x7e, Format::E4M3FN), 448.f);
  EXPECT_FLOAT_EQ(ToFloat(0x7f, Format::E4M3FNUZ), 240.f);
  EXPECT_FLOAT_EQ(ToFloat(0x7f, Format::E5M2FNUZ), 57344.f);
  EXPECT_TRUE(std::isnan(ToFloat(0x7f, Format::E4M3FN)));
  EXPECT_TRUE(std::isinf(ToFloat(0xfc, Format::E5M2)));
}

TEST(Float8, EveryCodeRoundTrips) {
  using namespace onyx::float8;
  for (Format f : {Format::E4M3FN, Format::E4M3FNUZ, Format::E5M2, Format::E5M2FNUZ}) {
    for (int c = 0; c < 256; ++c) {
      const float v = ToFloat(static_cast<uint8_t>(c), f);
      if (std::isnan(v) || std::isinf(v)) continue;
      EXPECT_EQ(FromFloat(v, f, false), c) << "format " << static_cast<int>(f) << " code " << c;
    }
  }
}

TEST(DequantizeLinear, PerTensorPerAxisAndTypes) {
  Tensor y = Run1("DequantizeLinear", {U8({4}, {0, 3, 128, 255}), FloatTensor({}, {2}), U8({}, {128})});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{-256, -250, 0, 254}));
  Tensor a = Run1("DequantizeLinear", {I8({2, 2}, {1, -1, 2, -2}), FloatTensor({2}, {1, 10}), I8({2}, {0, 1})},
                  {{"axis", IntAttr(0)}});
  EXPECT_EQ(ToVector<float>(a), (std::vector<float>{1, -1, 10, -30}));
  Tensor i32 = Run1("DequantizeLinear", {I32({2}, {-100000, 7}), FloatTensor({}, {0.5f})}, {}, 10);
  EXPECT_EQ(ToVector<float>(i32), (std::vector<float>{-50000, 3.5f}));
  Tensor h = MakeTensor<uint16_t>(DataType::Float16, {}, {FloatToHalf(0.5f)});
  Tensor yh = Run1("DequantizeLinear", {U8({2}, {4, 6}), h});
  EXPECT_EQ(yh.dtype(), DataType::Float16);
  EXPECT_EQ(HalfToFloat(yh.data<uint16_t>()[1]), 3.f);
  Tensor f8 = MakeTensor<uint8_t>(DataType::Float8E4M3FN, {2}, {0x38, 0xc0});
  EXPECT_EQ(ToVector<float>(Run1("DequantizeLinear", {f8, FloatTensor({}, {2})})), (std::vector<float>{2, -4}));
  Tensor i4 = MakeTensor<int8_t>(DataType::Int4, {2}, {-8, 7});
  Tensor zp4 = MakeTensor<int8_t>(DataType::Int4, {}, {-1});
  EXPECT_EQ(ToVector<float>(Run1("DequantizeLinear", {i4, FloatTensor({}, {1}), zp4})), (std::vector<float>{-7, 8}));
}

TEST(DequantizeLinear, BlockedAndBadInputs) {
  Tensor y = Run1("DequantizeLinear", {U8({1, 4}, {2, 4, 6, 8}), FloatTensor({1, 2}, {1, 10}), U8({1, 2}, {0, 4})},
                  {{"axis", IntAttr(-1)}, {"block_size", IntAttr(2)}});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{2, 4, 20, 40}));
  EXPECT_THROW(Run1("DequantizeLinear", {U8({2}, {1, 2}), FloatTensor({}, {1}), I8({}, {0})}), Error);  // zp type
  EXPECT_THROW(Run1("DequantizeLinear", {U8({2}, {1, 2}), FloatTensor({3}, {1, 1, 1})}, {{"axis", IntAttr(0)}}), Error);
  EXPECT_THROW(Run1("DequantizeLinear", {FloatTensor({1}, {1}), FloatTensor({}, {1})}), Error);
}

TEST(DynamicQuantizeLinear, MatchesSpecExample) {
  auto out = RunOp("DynamicQuantizeLinear", {FloatTensor({6}, {0, 2, -3, -2.5f, 1.34f, 0.5f})}, 3, {}, 11);
  EXPECT_EQ(ToVector<uint8_t>(out[0].tensor()), (std::vector<uint8_t>{153, 255, 0, 26, 221, 179}));
  EXPECT_NEAR(out[1].tensor().data<float>()[0], 0.0196078438f, 1e-9);
  EXPECT_EQ(out[2].tensor().data<uint8_t>()[0], 153);
  // All zeros: the range collapses and the scale falls back to 1/255.
  auto z = RunOp("DynamicQuantizeLinear", {FloatTensor({2}, {0, 0})}, 3, {}, 11);
  EXPECT_EQ(ToVector<uint8_t>(z[0].tensor()), (std::vector<uint8_t>{0, 0}));
}

TEST(MatMulInteger, ZeroPointsAndBroadcast) {
  // A - 1 = [[1,2,3],[4,5,6]], B - [0, 2] per column.
  Tensor A = U8({2, 3}, {2, 3, 4, 5, 6, 7});
  Tensor B = U8({3, 2}, {1, 3, 1, 3, 1, 3});
  Tensor y = Run1("MatMulInteger", {A, B, U8({}, {1}), U8({2}, {0, 2})}, {}, 10);
  EXPECT_EQ(y.dtype(), DataType::Int32);
  EXPECT_EQ(ToVector<int32_t>(y), (std::vector<int32_t>{6, 6, 15, 15}));
  // Batched A against a shared B, and a 1-D A.
  Tensor A3 = I8({2, 1, 2}, {1, -1, -128, 127});
  Tensor B2 = I8({2, 1}, {-128, 2});
  EXPECT_EQ(ToVector<int32_t>(Run1("MatMulInteger", {A3, B2}, {}, 10)), (std::vector<int32_t>{-130, 16638}));
  Tensor v = Run1("MatMulInteger", {I8({2}, {1, -1}), B2}, {}, 10);
  EXPECT_EQ(v.shape(), (std::vector<int64_t>{1}));
  EXPECT_THROW(Run1("MatMulInteger", {A, U8({2, 2}, {1, 2, 3, 4})}, {}, 10), Error);
}

TEST(QLinearMatMul, RequantizesWithScales) {
  // acc = [[1*1+2*2]] = 5; y = rint(5 * (0.5 * 2 / 0.25)) + 10 = 30.
  Tensor y = Run1("QLinearMatMul", {U8({1, 2}, {2, 3}), FloatTensor({}, {0.5f}), U8({}, {1}), U8({2, 1}, {1, 2}),
                                    FloatTensor({}, {2}), U8({}, {0}), FloatTensor({}, {0.25f}), U8({}, {10})},
                  {}, 10);
  EXPECT_EQ(ToVector<uint8_t>(y), (std::vector<uint8_t>{30}));
  // int8 output saturates.
  Tensor s = Run1("QLinearMatMul", {I8({1, 1}, {100}), FloatTensor({}, {1}), I8({}, {0}), I8({1, 2}, {100, -100}),
                                    FloatTensor({}, {1}), I8({}, {0}), FloatTensor({}, {1}), I8({}, {0})},
                  {}, 10);
  EXPECT_EQ(ToVector<int8_t>(s), (std::vector<int8_t>{127, -128}));
}

TEST(ConvInteger, SpecExampleWithAndWithoutPadding) {
  Tensor x = U8({1, 1, 3, 3}, {2, 3, 4, 5, 6, 7, 8, 9, 10});
  Tensor w = U8({1, 1, 2, 2}, {1, 1, 1, 1});
  Tensor y = Run1("ConvInteger", {x, w, U8({}, {1})}, {}, 10);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(ToVector<int32_t>(y), (std::vector<int32_t>{12, 16, 24, 28}));
  Tensor p = Run1("ConvInteger", {x, w, U8({}, {1})}, {{"pads", IntsAttr({1, 1, 1, 1})}}, 10);
  EXPECT_EQ(ToVector<int32_t>(p), (std::vector<int32_t>{1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9}));
}

TEST(ConvInteger, GroupsAndPerChannelWeightZeroPoint) {
  Tensor x = I8({1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor w = I8({2, 1, 1, 1}, {3, 5});
  Tensor y = Run1("ConvInteger", {x, w, Tensor(), I8({2}, {1, 2})}, {{"group", IntAttr(2)}}, 10);
  EXPECT_EQ(ToVector<int32_t>(y), (std::vector<int32_t>{2, 4, 9, 12}));
  EXPECT_THROW(Run1("ConvInteger", {x, w}, {{"group", IntAttr(3)}}, 10), Error);
}

TEST(QLinearConv, PerChannelScalesAndBias) {
  Tensor x = U8({1, 1, 1, 2}, {12, 14});  // x - 10 = [2, 4]
  Tensor w = I8({2, 1, 1, 1}, {3, -2});
  Tensor y = Run1("QLinearConv", {x, FloatTensor({}, {0.5f}), U8({}, {10}), w, FloatTensor({2}, {1, 2}), I8({2}, {0, 0}),
                                  FloatTensor({}, {1}), U8({}, {100}), I32({2}, {1, 0})},
                  {}, 10);
  // ch0: (acc + 1) * 0.5 + 100 = [103.5 -> 104, 106.5 -> 106]; ch1: acc * 1 + 100 = [96, 92].
  EXPECT_EQ(ToVector<uint8_t>(y), (std::vector<uint8_t>{104, 106, 96, 92}));
}
