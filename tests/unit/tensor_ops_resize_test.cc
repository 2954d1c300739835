// Resize and Upsample. Expected values of the non-trivial cases come from the ONNX reference
// implementation (onnx.reference, opset 19).
#include "core/thread_pool.h"
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

void ExpectNear(const Tensor& t, const std::vector<float>& expected, float tol = 1e-4f) {
  ASSERT_EQ(t.size(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(t.data<float>()[i], expected[i], tol) << "at " << i;
}

Tensor Scales(std::vector<float> s) {
  const int64_t n = static_cast<int64_t>(s.size());
  return FloatTensor({n}, std::move(s));
}

TEST(TensorOpsResize, LinearHalfPixelMixedScales) {
  Tensor y = Run1("Resize", {Iota({1, 1, 4, 4}), Tensor(), Scales({1, 1, 0.75f, 1.5f})}, {{"mode", StringAttr("linear")}}, 19);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 1, 3, 6}));
  ExpectNear(y, {0.6666667f, 1.1666666f, 1.8333334f, 2.5f, 3.1666667f, 3.6666667f, 6.0f, 6.5f, 7.1666665f, 7.8333335f, 8.5f, 9.0f,
                 11.333333f, 11.833333f, 12.5f, 13.166667f, 13.833333f, 14.333333f});
}

TEST(TensorOpsResize, LinearAlignCorners) {
  Tensor y = Run1("Resize", {Iota({1, 1, 4, 4}), Tensor(), Scales({1, 1, 1.5f, 0.5f})},
                  {{"mode", StringAttr("linear")}, {"coordinate_transformation_mode", StringAttr("align_corners")}}, 19);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 1, 6, 2}));
  ExpectNear(y, {0, 3, 2.4f, 5.4f, 4.8f, 7.8f, 7.2f, 10.2f, 9.6f, 12.6f, 12, 15});
}

TEST(TensorOpsResize, CubicWithSizesAndAxes) {
  ThreadPool pool(3);
  Tensor y = Run1("Resize", {Iota({1, 1, 4, 4}), Tensor(), Tensor(), Int64Tensor({2}, {3, 5})},
                  {{"mode", StringAttr("cubic")}, {"axes", IntsAttr({2, 3})}}, 19, &pool);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 1, 3, 5}));
  ExpectNear(y, {0.44388324f, 1.1153841f, 2.0046339f, 2.8938844f, 3.5653851f, 5.939251f, 6.610752f, 7.5f, 8.389252f, 9.060752f,
                 11.434624f, 12.106125f, 12.995373f, 13.884625f, 14.556126f});
}

TEST(TensorOpsResize, LinearAntialiasDownsample) {
  Tensor y = Run1("Resize", {Iota({1, 1, 4, 4}), Tensor(), Scales({1, 1, 0.5f, 0.5f})},
                  {{"mode", StringAttr("linear")}, {"antialias", IntAttr(1)}}, 19);
  ExpectNear(y, {3.125f, 4.875f, 10.125f, 11.875f});
}

TEST(TensorOpsResize, IntegerOutputsRound) {
  Tensor x = MakeTensor<uint8_t>(DataType::UInt8, {2, 2}, {10, 20, 30, 40});
  Tensor y = Run1("Resize", {x, Tensor(), Scales({1.5f, 1.5f})}, {{"mode", StringAttr("linear")}}, 19);
  EXPECT_EQ(ToVector<uint8_t>(y), (std::vector<uint8_t>{10, 15, 20, 20, 25, 30, 30, 35, 40}));
}

TEST(TensorOpsResize, NearestModesAndStrings) {
  Tensor x = FloatTensor({1, 1, 1, 4}, {1, 2, 3, 4});
  auto nearest = [&](const char* coord, const char* mode, int64_t size) {
    return ToVector<float>(Run1("Resize", {x, Tensor(), Tensor(), Int64Tensor({4}, {1, 1, 1, size})},
                                {{"coordinate_transformation_mode", StringAttr(coord)}, {"nearest_mode", StringAttr(mode)}}, 13));
  };
  EXPECT_EQ(nearest("half_pixel", "round_prefer_floor", 8), (std::vector<float>{1, 1, 2, 2, 3, 3, 4, 4}));
  EXPECT_EQ(nearest("asymmetric", "ceil", 8), (std::vector<float>{1, 2, 2, 3, 3, 4, 4, 4}));
  EXPECT_EQ(nearest("align_corners", "floor", 3), (std::vector<float>{1, 2, 4}));
  EXPECT_EQ(nearest("asymmetric", "round_prefer_ceil", 2), (std::vector<float>{1, 3}));
  // Nearest moves elements without arithmetic, so it works for every type.
  Tensor b = Run1("Resize", {BoolTensor({2}, {true, false}), Tensor(), Scales({2})}, {}, 13);
  EXPECT_EQ(b.size(), 4);
  EXPECT_TRUE(b.data<bool>()[1]);
  EXPECT_FALSE(b.data<bool>()[2]);
}

TEST(TensorOpsResize, CropAndResizeExtrapolates) {
  Tensor x = Iota({1, 1, 3, 3});
  Tensor y = Run1("Resize", {x, FloatTensor({8}, {0, 0, 0.5f, 0.5f, 1, 1, 1.5f, 1.5f}), Tensor(), Int64Tensor({4}, {1, 1, 2, 2})},
                  {{"mode", StringAttr("linear")},
                   {"coordinate_transformation_mode", StringAttr("tf_crop_and_resize")},
                   {"extrapolation_value", FloatAttr(-1)}},
                  13);
  // Source coordinates 1 and 3 on each axis: 3 is outside the 3 x 3 input.
  ExpectNear(y, {4, -1, -1, -1});
  Tensor n = Run1("Resize", {x, FloatTensor({8}, {0, 0, 0.5f, 0.5f, 1, 1, 1.5f, 1.5f}), Tensor(), Int64Tensor({4}, {1, 1, 2, 2})},
                  {{"coordinate_transformation_mode", StringAttr("tf_crop_and_resize")}, {"extrapolation_value", FloatAttr(-1)}}, 13);
  ExpectNear(n, {4, -1, -1, -1});
}

TEST(TensorOpsResize, Opset10Semantics) {
  Tensor x = FloatTensor({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(ToVector<float>(Run1("Resize", {x, Scales({1, 1, 0.6f, 0.6f})}, {}, 10)), (std::vector<float>{1, 3}));
  Tensor small = FloatTensor({1, 1, 2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(ToVector<float>(Run1("Resize", {small, Scales({1, 1, 1, 3})}, {}, 10)),
            (std::vector<float>{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}));
  ExpectNear(Run1("Resize", {small, Scales({1, 1, 2, 2})}, {{"mode", StringAttr("linear")}}, 10),
             {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4});
}

TEST(TensorOpsUpsample, AttributeAndInputScales) {
  Tensor x = FloatTensor({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor y7 = Run1("Upsample", {x}, {{"scales", FloatsAttr({1, 1, 2, 2})}}, 7);
  EXPECT_EQ(ToVector<float>(y7), (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  Tensor y9 = Run1("Upsample", {x, Scales({1, 1, 1, 2})}, {{"mode", StringAttr("linear")}}, 9);
  ExpectNear(y9, {1, 1.5f, 2, 2, 3, 3.5f, 4, 4});
}

TEST(TensorOpsResize, RejectsBadArguments) {
  Tensor x = Iota({1, 1, 2, 2});
  ExpectError([&] { Run1("Resize", {x, Tensor(), Scales({1, 1, 2, 2}), Int64Tensor({4}, {1, 1, 4, 4})}, {}, 13); },
              ErrorCode::InvalidArgument, "exactly one of scales and sizes");
  ExpectError([&] { Run1("Resize", {x}, {}, 13); }, ErrorCode::InvalidArgument, "exactly one of scales and sizes");
  ExpectError([&] { Run1("Resize", {x, Tensor(), Scales({2, 2})}, {}, 13); }, ErrorCode::InvalidArgument, "4 values");
  ExpectError([&] { Run1("Resize", {x, Tensor(), Scales({1, 1, -2, 2})}, {}, 13); }, ErrorCode::InvalidArgument, "positive");
  ExpectError([&] { Run1("Resize", {x, Tensor(), Tensor(), Int64Tensor({4}, {1, 1, 4, 4})}, {{"mode", StringAttr("area")}}, 13); },
              ErrorCode::InvalidGraph, "mode 'area'");
  ExpectError([&] { Run1("Resize", {StringTensor({2}, {"a", "b"}), Tensor(), Scales({2})}, {{"mode", StringAttr("linear")}}, 13); },
              ErrorCode::InvalidArgument, "do not support string");
}

}  // namespace
}  // namespace onyx::testing
