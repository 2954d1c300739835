#include <gtest/gtest.h>

#include <cmath>

#include "core/float16.h"
#include "onyx/error.h"
#include "onyx/tensor.h"

using namespace onyx;

TEST(Tensor, OwningAllocatesZeroed) {
  Tensor t(DataType::Float, {2, 3});
  EXPECT_EQ(t.size(), 6);
  EXPECT_EQ(t.nbytes(), 24u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t.data<float>()[i], 0.f);
  EXPECT_TRUE(t.owns_data());
}

TEST(Tensor, BorrowDoesNotCopy) {
  float buf[4] = {1, 2, 3, 4};
  Tensor t = Tensor::Borrow(DataType::Float, {4}, buf);
  EXPECT_EQ(t.data<float>(), buf);
  EXPECT_FALSE(t.owns_data());
}

TEST(Tensor, ReshapeSharesStorageAndChecksCount) {
  Tensor t(DataType::Int64, {6});
  Tensor r = t.Reshaped({2, 3});
  EXPECT_EQ(r.data<int64_t>(), t.data<int64_t>());
  EXPECT_THROW(t.Reshaped({4}), Error);
}

TEST(Tensor, OverflowingShapeIsRejected) {
  EXPECT_THROW(ShapeSize({int64_t(1) << 40, int64_t(1) << 40}), Error);
  EXPECT_THROW(ShapeSize({-1, 2}), Error);
  EXPECT_THROW(Tensor(DataType::Float, {int64_t(1) << 62}), Error);
}

TEST(Tensor, ZeroSizedAndScalar) {
  Tensor e(DataType::Float, {0, 3});
  EXPECT_EQ(e.size(), 0);
  Tensor s(DataType::Float, {});
  EXPECT_EQ(s.size(), 1);
}

TEST(Tensor, StringsAreObjects) {
  Tensor t(DataType::String, {2});
  t.data<std::string>()[0] = "hello";
  Tensor c = t.Clone();
  EXPECT_EQ(c.data<std::string>()[0], "hello");
  EXPECT_NE(c.data<std::string>(), t.data<std::string>());
}

TEST(Float16, RoundTrip) {
  for (float f : {0.f, 1.f, -2.5f, 65504.f, 6.1035156e-05f, 5.9604645e-08f, 0.1f}) {
    EXPECT_NEAR(HalfToFloat(FloatToHalf(f)), f, std::abs(f) * 1e-3f) << f;
  }
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3f80);
  EXPECT_EQ(BFloat16ToFloat(0x3f80), 1.0f);
}
