// Detection family: NonMaxSuppression, RoiAlign, GridSample, AffineGrid. Expected values of the
// interpolating ops were computed with the ONNX reference implementation.
#include "kernel_test_util.h"

namespace onyx::testing {
namespace {

void ExpectNear(const Tensor& t, const std::vector<float>& want, float tol = 1e-4f) {
  ASSERT_EQ(t.size(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], tol) << "element " << i;
}

Tensor NmsBoxes() {
  return FloatTensor({1, 6, 4}, {0.0f, 0.0f, 1.0f, 1.0f, 0.0f, 0.1f, 1.0f, 1.1f, 0.0f, -0.1f, 1.0f, 0.9f,
                                 0.0f, 10.0f, 1.0f, 11.0f, 0.0f, 10.1f, 1.0f, 11.1f, 0.0f, 100.0f, 1.0f, 101.0f});
}
Tensor NmsScores() { return FloatTensor({1, 1, 6}, {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f}); }

TEST(DetectionNms, SuppressByIou) {
  auto out = RunOp("NonMaxSuppression", {NmsBoxes(), NmsScores(), Int64Tensor({1}, {3}), FloatTensor({1}, {0.5f}), FloatTensor({1}, {0.0f})}, 1,
                   {}, 11);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(ToVector<int64_t>(out[0].tensor()), (std::vector<int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 5}));
}

TEST(DetectionNms, ScoreThresholdLimitAndCenterBoxes) {
  auto scored = RunOp("NonMaxSuppression", {NmsBoxes(), NmsScores(), Int64Tensor({1}, {3}), FloatTensor({1}, {0.5f}), FloatTensor({1}, {0.4f})},
                      1, {}, 11);
  EXPECT_EQ(ToVector<int64_t>(scored[0].tensor()), (std::vector<int64_t>{0, 0, 3, 0, 0, 0}));
  auto limited = RunOp("NonMaxSuppression", {NmsBoxes(), NmsScores(), Int64Tensor({1}, {2}), FloatTensor({1}, {0.5f})}, 1, {}, 11);
  EXPECT_EQ(ToVector<int64_t>(limited[0].tensor()), (std::vector<int64_t>{0, 0, 3, 0, 0, 0}));
  Tensor centers = FloatTensor({1, 6, 4}, {0.5f, 0.5f, 1.0f, 1.0f, 0.5f, 0.6f, 1.0f, 1.0f, 0.5f, 0.4f, 1.0f, 1.0f,
                                           0.5f, 10.5f, 1.0f, 1.0f, 0.5f, 10.6f, 1.0f, 1.0f, 0.5f, 100.5f, 1.0f, 1.0f});
  auto center = RunOp("NonMaxSuppression", {centers, NmsScores(), Int64Tensor({1}, {3}), FloatTensor({1}, {0.5f})}, 1,
                      {{"center_point_box", IntAttr(1)}}, 11);
  EXPECT_EQ(ToVector<int64_t>(center[0].tensor()), (std::vector<int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 5}));
}

TEST(DetectionNms, NoMaxOutputAndBadShapes) {
  auto none = RunOp("NonMaxSuppression", {NmsBoxes(), NmsScores()}, 1, {}, 11);
  EXPECT_EQ(none[0].tensor().shape(), (std::vector<int64_t>{0, 3}));
  EXPECT_THROW(RunOp("NonMaxSuppression", {NmsBoxes(), FloatTensor({1, 1, 5}, {1, 2, 3, 4, 5}), Int64Tensor({1}, {3})}, 1, {}, 11), Error);
  EXPECT_THROW(RunOp("NonMaxSuppression", {FloatTensor({1, 1, 3}, {1, 2, 3}), FloatTensor({1, 1, 1}, {1}), Int64Tensor({1}, {3})}, 1, {}, 11),
               Error);
}

Tensor Image4x4() {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i);
  return FloatTensor({1, 1, 4, 4}, v);
}

TEST(DetectionRoiAlign, ModesAndCoordinateTransforms) {
  Tensor rois = FloatTensor({2, 4}, {0, 0, 3, 3, 0.5f, 1, 2.5f, 3.5f});
  Tensor bi = Int64Tensor({2}, {0, 0});
  auto attrs = [](const char* ctm, const char* mode) {
    return std::map<std::string, Attribute>{{"coordinate_transformation_mode", StringAttr(ctm)}, {"mode", StringAttr(mode)},
                                            {"output_height", IntAttr(2)}, {"output_width", IntAttr(2)}, {"sampling_ratio", IntAttr(2)}};
  };
  ExpectNear(RunOp("RoiAlign", {Image4x4(), rois, bi}, 1, attrs("half_pixel", "avg"), 16)[0].tensor(),
             {1.5625f, 3.0f, 7.3125f, 8.75f, 5.0f, 6.0f, 10.0f, 11.0f});
  ExpectNear(RunOp("RoiAlign", {Image4x4(), rois, bi}, 1, attrs("half_pixel", "max"), 16)[0].tensor(),
             {2.5f, 3.28125f, 7.0f, 7.65625f, 3.046875f, 3.65625f, 6.703125f, 7.21875f});
  ExpectNear(RunOp("RoiAlign", {Image4x4(), rois, bi}, 1, attrs("output_half_pixel", "avg"), 16)[0].tensor(),
             {3.75f, 5.25f, 9.75f, 11.25f, 7.5f, 8.5f, 12.125f, 13.125f});
  ExpectNear(RunOp("RoiAlign", {Image4x4(), rois, bi}, 1, attrs("output_half_pixel", "max"), 16)[0].tensor(),
             {3.828125f, 4.59375f, 7.109375f, 7.65625f, 6.328125f, 7.03125f, 9.75f, 10.5f});
  // Opset 10 has no attribute and behaves like output_half_pixel.
  auto old = RunOp("RoiAlign", {Image4x4(), rois, bi}, 1,
                   {{"output_height", IntAttr(2)}, {"output_width", IntAttr(2)}, {"sampling_ratio", IntAttr(2)}}, 10);
  ExpectNear(old[0].tensor(), {3.75f, 5.25f, 9.75f, 11.25f, 7.5f, 8.5f, 12.125f, 13.125f});
}

TEST(DetectionRoiAlign, EmptyRoisAndBadBatchIndex) {
  auto empty = RunOp("RoiAlign", {Image4x4(), Tensor(DataType::Float, {0, 4}), Tensor(DataType::Int64, {0})}, 1, {}, 16);
  EXPECT_EQ(empty[0].tensor().shape(), (std::vector<int64_t>{0, 1, 1, 1}));
  EXPECT_THROW(RunOp("RoiAlign", {Image4x4(), FloatTensor({1, 4}, {0, 0, 1, 1}), Int64Tensor({1}, {1})}, 1, {}, 16), Error);
  EXPECT_THROW(RunOp("RoiAlign", {Image4x4(), FloatTensor({1, 3}, {0, 0, 1}), Int64Tensor({1}, {0})}, 1, {}, 16), Error);
}

Tensor TestGrid() { return FloatTensor({1, 2, 2, 2}, {-0.8f, -0.6f, 0.3f, 0.9f, 1.4f, -1.2f, 0.05f, 0.1f}); }

std::vector<float> Sample(const char* mode, const char* pad, int64_t ac, int64_t opset = 20) {
  auto out = RunOp("GridSample", {Image4x4(), TestGrid()}, 1,
                   {{"mode", StringAttr(mode)}, {"padding_mode", StringAttr(pad)}, {"align_corners", IntAttr(ac)}}, opset);
  return ToVector<float>(out[0].tensor());
}

void ExpectVecNear(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-4f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

TEST(DetectionGridSample, LinearAllPaddings) {
  ExpectVecNear(Sample("linear", "zeros", 0), {1.08f, 9.87f, 0.0f, 8.4f});
  ExpectVecNear(Sample("linear", "zeros", 1), {2.7f, 13.35f, 0.84f, 8.175f});
  ExpectVecNear(Sample("linear", "border", 0), {1.2f, 14.1f, 3.0f, 8.4f});
  ExpectVecNear(Sample("linear", "reflection", 0), {1.2f, 14.1f, 2.7f, 8.4f});
  ExpectVecNear(Sample("linear", "reflection", 1), {2.7f, 13.35f, 3.6f, 8.175f});
  // Opset 16 spells the mode bilinear.
  ExpectVecNear(Sample("bilinear", "zeros", 0, 16), {1.08f, 9.87f, 0.0f, 8.4f});
}

TEST(DetectionGridSample, NearestAndCubic) {
  ExpectVecNear(Sample("nearest", "zeros", 0), {0, 14, 0, 10});
  ExpectVecNear(Sample("nearest", "border", 1), {4, 14, 3, 10});
  ExpectVecNear(Sample("nearest", "reflection", 1), {4, 14, 2, 10});
  ExpectVecNear(Sample("cubic", "zeros", 0), {0.78353775f, 10.713905f, -0.02414463f, 8.208f});
  ExpectVecNear(Sample("cubic", "border", 1), {2.247748f, 13.475244f, 3.0f, 8.020179f});
  ExpectVecNear(Sample("cubic", "reflection", 0), {0.8594996f, 14.772752f, 2.498251f, 8.208f});
  ExpectVecNear(Sample("bicubic", "reflection", 1, 16), {1.8494977f, 13.800368f, 3.0539947f, 8.020179f});
}

TEST(DetectionGridSample, VolumetricIdentity) {
  // align_corners=1 with the corner grid reproduces the input corners exactly.
  std::vector<float> xs(8);
  for (int i = 0; i < 8; ++i) xs[i] = static_cast<float>(i + 1);
  Tensor x = FloatTensor({1, 1, 2, 2, 2}, xs);
  std::vector<float> g;
  for (int d = 0; d < 2; ++d)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 2; ++w) g.insert(g.end(), {w ? 1.0f : -1.0f, h ? 1.0f : -1.0f, d ? 1.0f : -1.0f});
  auto out = RunOp("GridSample", {x, FloatTensor({1, 2, 2, 2, 3}, g)}, 1, {{"align_corners", IntAttr(1)}}, 20);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{1, 1, 2, 2, 2}));
  ExpectVecNear(ToVector<float>(out[0].tensor()), xs);
}

TEST(DetectionGridSample, BadArguments) {
  EXPECT_THROW(RunOp("GridSample", {Image4x4(), FloatTensor({1, 1, 1, 3}, {0, 0, 0})}, 1, {}, 20), Error);
  EXPECT_THROW(RunOp("GridSample", {Image4x4(), TestGrid()}, 1, {{"mode", StringAttr("area")}}, 20), Error);
  auto empty = RunOp("GridSample", {Image4x4(), Tensor(DataType::Float, {1, 0, 2, 2})}, 1, {}, 20);
  EXPECT_EQ(empty[0].tensor().shape(), (std::vector<int64_t>{1, 1, 0, 2}));
}

TEST(DetectionAffineGrid, IdentityAndTranslation) {
  Tensor theta = FloatTensor({1, 2, 3}, {1, 0, 0, 0, 1, 0});
  auto out = RunOp("AffineGrid", {theta, Int64Tensor({4}, {1, 1, 2, 2})}, 1, {}, 20);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{1, 2, 2, 2}));
  ExpectNear(out[0].tensor(), {-0.5f, -0.5f, 0.5f, -0.5f, -0.5f, 0.5f, 0.5f, 0.5f});
  Tensor shift = FloatTensor({1, 2, 3}, {2, 0, 1, 0, 1, -1});
  auto ac = RunOp("AffineGrid", {shift, Int64Tensor({4}, {1, 1, 1, 3})}, 1, {{"align_corners", IntAttr(1)}}, 20);
  ExpectNear(ac[0].tensor(), {-1.0f, -2.0f, 1.0f, -2.0f, 3.0f, -2.0f});
  Tensor theta3 = FloatTensor({1, 3, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0.5f});
  auto vol = RunOp("AffineGrid", {theta3, Int64Tensor({5}, {1, 1, 1, 1, 2})}, 1, {}, 20);
  EXPECT_EQ(vol[0].tensor().shape(), (std::vector<int64_t>{1, 1, 1, 2, 3}));
  ExpectNear(vol[0].tensor(), {-0.5f, 0.0f, 0.5f, 0.5f, 0.0f, 0.5f});
  EXPECT_THROW(RunOp("AffineGrid", {theta, Int64Tensor({4}, {2, 1, 2, 2})}, 1, {}, 20), Error);
}

}  // namespace
}  // namespace onyx::testing
