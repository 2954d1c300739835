// Cast to and from the 8/4/2-bit element types, and loading their packed TensorProto form.
#include <cmath>
#include <limits>
#include <string>

#include "math_test_util.h"
#include "model/model_loader.h"
#include "quantization/float8.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

Tensor Cast(const Tensor& x, DataType to, int64_t saturate = 1, const std::string& round = "up", int64_t opset = 25) {
  return RunOp("Cast", {x}, 1,
               {{"to", IntAttr(static_cast<int64_t>(to))}, {"saturate", IntAttr(saturate)}, {"round_mode", StringAttr(round)}},
               opset)[0].tensor();
}

std::vector<int> Codes(const Tensor& t) {
  std::vector<int> v;
  for (int64_t i = 0; i < t.size(); ++i) v.push_back(t.data<uint8_t>()[i]);
  return v;
}
std::vector<int> Ints(const Tensor& t) {
  std::vector<int> v;
  for (int64_t i = 0; i < t.size(); ++i) v.push_back(t.data<int8_t>()[i]);
  return v;
}

// TensorProto bytes: dims (one varint each), data_type, then raw_data or int32_data.
std::string Proto(std::vector<int> dims, int dtype, const std::string& raw, std::vector<int> int32s = {}) {
  // Values below 128 only: each is a one-byte varint.
  std::string s;
  for (int d : dims) s += {'\x08', static_cast<char>(d)};
  s += {'\x10', static_cast<char>(dtype)};
  if (!raw.empty()) s += std::string{'\x4a', static_cast<char>(raw.size())} + raw;
  for (int v : int32s) s += {'\x28', static_cast<char>(v)};
  return s;
}

}  // namespace

TEST(MathCastTypes, Float4RoundsToNearestEvenAndSaturates) {
  Tensor x = FloatTensor({12}, {0.48f, 0.25f, 1.05f, -3.5f, -8.f, 9.f, 1e6f, 1e-7f, NAN, INFINITY, -INFINITY, 5.f});
  // 0.25 ties to 0 (even), 5 ties to 4 (even), out of range saturates to +-6; NaN gives -0 as ml_dtypes.
  EXPECT_EQ(Codes(Cast(x, DataType::Float4E2M1)), (std::vector<int>{1, 0, 2, 0xe, 0xf, 7, 7, 0, 8, 7, 0xf, 6}));
  Tensor codes(DataType::Float4E2M1, {16});
  for (int i = 0; i < 16; ++i) codes.data<uint8_t>()[i] = static_cast<uint8_t>(i);
  std::vector<float> back = ToVector<float>(Cast(codes, DataType::Float));
  EXPECT_EQ(back, (std::vector<float>{0, .5f, 1, 1.5f, 2, 3, 4, 6, -0.f, -.5f, -1, -1.5f, -2, -3, -4, -6}));
  EXPECT_EQ(Codes(Cast(Cast(codes, DataType::Float), DataType::Float4E2M1)), Codes(codes));
}

TEST(MathCastTypes, Float8RoundTripAndSaturation) {
  for (DataType t : {DataType::Float8E4M3FN, DataType::Float8E4M3FNUZ, DataType::Float8E5M2, DataType::Float8E5M2FNUZ}) {
    Tensor codes(t, {256});
    for (int i = 0; i < 256; ++i) codes.data<uint8_t>()[i] = static_cast<uint8_t>(i);
    Tensor f = Cast(codes, DataType::Float);
    Tensor again = Cast(f, t);
    for (int i = 0; i < 256; ++i) {
      if (std::isnan(f.data<float>()[i])) {
        EXPECT_TRUE(std::isnan(float8::ToFloat(again.data<uint8_t>()[i], float8::FormatOf(t))));
      } else if (!std::isinf(f.data<float>()[i])) {
        EXPECT_EQ(again.data<uint8_t>()[i], i) << DataTypeName(t) << " code " << i;
      }
    }
  }
  Tensor big = FloatTensor({3}, {1e9f, -INFINITY, NAN});
  EXPECT_EQ(Codes(Cast(big, DataType::Float8E4M3FN)), (std::vector<int>{0x7e, 0xfe, 0x7f}));
  EXPECT_EQ(Codes(Cast(big, DataType::Float8E4M3FN, 0)), (std::vector<int>{0x7f, 0xff, 0x7f}));
  EXPECT_EQ(Codes(Cast(big, DataType::Float8E5M2, 0)), (std::vector<int>{0x7c, 0xfc, 0x7e}));
  EXPECT_EQ(Codes(Cast(big, DataType::Float8E5M2FNUZ, 0)), (std::vector<int>{0x80, 0x80, 0x80}));
  // Float8 to float8 goes through float; float16 sources too.
  Tensor one = Cast(FloatTensor({1}, {1.f}), DataType::Float16);
  EXPECT_EQ(Codes(Cast(Cast(one, DataType::Float8E5M2), DataType::Float8E4M3FN)), (std::vector<int>{0x38}));
}

TEST(MathCastTypes, E8M0RoundingModes) {
  Tensor x = FloatTensor({6}, {1.f, 3.f, 1.25f, 1.75f, NAN, INFINITY});
  EXPECT_EQ(Codes(Cast(x, DataType::Float8E8M0)), (std::vector<int>{127, 129, 128, 128, 255, 255}));
  EXPECT_EQ(Codes(Cast(x, DataType::Float8E8M0, 1, "down")), (std::vector<int>{127, 128, 127, 127, 255, 255}));
  EXPECT_EQ(Codes(Cast(x, DataType::Float8E8M0, 1, "nearest")), (std::vector<int>{127, 129, 127, 128, 255, 255}));
  Tensor max = FloatTensor({1}, {std::numeric_limits<float>::max()});
  EXPECT_EQ(Codes(Cast(max, DataType::Float8E8M0, 1)), (std::vector<int>{254}));
  EXPECT_EQ(Codes(Cast(max, DataType::Float8E8M0, 0)), (std::vector<int>{255}));
  Tensor codes(DataType::Float8E8M0, {3});
  codes.data<uint8_t>()[0] = 127, codes.data<uint8_t>()[1] = 130, codes.data<uint8_t>()[2] = 255;
  std::vector<float> f = ToVector<float>(Cast(codes, DataType::Float));
  EXPECT_EQ(f[0], 1.f);
  EXPECT_EQ(f[1], 8.f);
  EXPECT_TRUE(std::isnan(f[2]));
  EXPECT_THROW(Cast(x, DataType::Float8E8M0, 1, "sideways"), Error);
}

TEST(MathCastTypes, SubByteIntegersWrap) {
  Tensor x = FloatTensor({7}, {-9.f, -8.f, 7.9f, 8.f, -3.f, 2.f, 3.f});
  EXPECT_EQ(Ints(Cast(x, DataType::Int4)), (std::vector<int>{7, -8, 7, -8, -3, 2, 3}));
  EXPECT_EQ(Codes(Cast(x, DataType::UInt4)), (std::vector<int>{7, 8, 7, 8, 13, 2, 3}));
  EXPECT_EQ(Ints(Cast(x, DataType::Int2)), (std::vector<int>{-1, 0, -1, 0, 1, -2, -1}));
  EXPECT_EQ(Codes(Cast(x, DataType::UInt2)), (std::vector<int>{3, 0, 3, 0, 1, 2, 3}));
  Tensor i2 = Cast(Int64Tensor({4}, {-2, -1, 0, 1}), DataType::Int2);
  EXPECT_EQ(ToVector<int8_t>(Cast(i2, DataType::Int8)), (std::vector<int8_t>{-2, -1, 0, 1}));
  EXPECT_EQ(ToVector<float>(Cast(i2, DataType::Float)), (std::vector<float>{-2, -1, 0, 1}));
  Tensor u4 = Cast(Int64Tensor({3}, {15, 16, 200}), DataType::UInt4);
  EXPECT_EQ(ToVector<uint8_t>(Cast(u4, DataType::UInt8)), (std::vector<uint8_t>{15, 0, 8}));
  EXPECT_EQ(Ints(Cast(u4, DataType::Int4)), (std::vector<int>{-1, 0, -8}));
  EXPECT_EQ(Cast(Tensor(DataType::Float, {0, 3}), DataType::Int2).shape(), (std::vector<int64_t>{0, 3}));
}

TEST(MathCastTypes, CastLikeToSmallTypes) {
  Tensor like(DataType::Float4E2M1, {1});
  Tensor y = RunOp("CastLike", {FloatTensor({2}, {1.f, -6.f}), like}, 1, {}, 25)[0].tensor();
  EXPECT_EQ(y.dtype(), DataType::Float4E2M1);
  EXPECT_EQ(Codes(y), (std::vector<int>{2, 0xf}));
}

TEST(MathCastTypes, LoaderUnpacksSubByteTypes) {
  // onnx numpy_helper packs INT2 [1,-2,0,-1,1] as 0xc9 0x01 (low bits first).
  std::string p = Proto({5}, 26, std::string("\xc9\x01", 2));
  Tensor t = LoadTensorProto(p.data(), p.size());
  EXPECT_EQ(t.dtype(), DataType::Int2);
  EXPECT_EQ(Ints(t), (std::vector<int>{1, -2, 0, -1, 1}));
  std::string u = Proto({5}, 25, std::string("\xc9\x01", 2));
  EXPECT_EQ(Codes(LoadTensorProto(u.data(), u.size())), (std::vector<int>{1, 2, 0, 3, 1}));
  std::string f4 = Proto({3}, 23, std::string("\xf2\x07", 2));
  Tensor f = LoadTensorProto(f4.data(), f4.size());
  EXPECT_EQ(f.dtype(), DataType::Float4E2M1);
  EXPECT_EQ(Codes(f), (std::vector<int>{2, 0xf, 7}));
  std::string e8 = Proto({2}, 24, std::string("\x7f\xff", 2));
  EXPECT_EQ(Codes(LoadTensorProto(e8.data(), e8.size())), (std::vector<int>{127, 255}));
  std::string i32 = Proto({5}, 25, "", {57, 1});
  EXPECT_EQ(Codes(LoadTensorProto(i32.data(), i32.size())), (std::vector<int>{1, 2, 3, 0, 1}));
  std::string short_raw = Proto({9}, 26, std::string("\xc9\x01", 2));
  EXPECT_THROW(LoadTensorProto(short_raw.data(), short_raw.size()), Error);
  EXPECT_STREQ(DataTypeName(DataType::Float8E8M0), "float8e8m0");
  EXPECT_EQ(DataTypeSize(DataType::Int2), 1u);
  EXPECT_TRUE(IsKnownDataType(26));
  EXPECT_FALSE(IsKnownDataType(27));
}

TEST(MathCastTypes, WriterPacksSubByteTypesBack) {
  for (DataType dt : {DataType::Int2, DataType::UInt2, DataType::Int4, DataType::UInt4, DataType::Float4E2M1}) {
    Tensor t(dt, {7});
    const bool sign = dt == DataType::Int2 || dt == DataType::Int4;
    const int bits = PackedBits(dt);
    for (int i = 0; i < 7; ++i) {
      int v = i % (1 << bits);
      if (sign && v >= (1 << (bits - 1))) v -= 1 << bits;
      t.data<int8_t>()[i] = static_cast<int8_t>(v);
    }
    const std::string bytes = SerializeTensor("t", t);
    Tensor back = LoadTensorProto(bytes.data(), bytes.size());
    EXPECT_EQ(back.dtype(), dt);
    EXPECT_EQ(Ints(back), Ints(t)) << DataTypeName(dt);
  }
  // The packed form is what onnx writes: INT2 [1,-2,0,-1,1] -> 0xc9 0x01.
  Tensor i2(DataType::Int2, {5});
  const int8_t vals[5] = {1, -2, 0, -1, 1};
  for (int i = 0; i < 5; ++i) i2.data<int8_t>()[i] = vals[i];
  EXPECT_NE(SerializeTensor("", i2).find(std::string("\x4a\x02\xc9\x01", 4)), std::string::npos);
}
