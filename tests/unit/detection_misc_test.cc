// Detection family leftovers: Col2Im, DeformConv, MaxUnpool, CenterCropPad, LpNormalization,
// Det, Shrink, CumProd, Swish.
#include <cmath>

#include "kernel_test_util.h"

namespace onyx::testing {
namespace {

void ExpectNear(const Tensor& t, const std::vector<float>& want, float tol = 1e-4f) {
  ASSERT_EQ(t.size(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], tol) << "element " << i;
}

TEST(DetectionCol2Im, SingleBlockAndOverlap) {
  auto one = RunOp("Col2Im", {FloatTensor({1, 4, 1}, {1, 2, 3, 4}), Int64Tensor({2}, {2, 2}), Int64Tensor({2}, {2, 2})}, 1, {}, 18);
  EXPECT_EQ(one[0].tensor().shape(), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(ToVector<float>(one[0].tensor()), (std::vector<float>{1, 2, 3, 4}));
  // Image 1x3, block 1x2, two overlapping blocks: rows are kernel taps, columns blocks.
  auto overlap = RunOp("Col2Im", {FloatTensor({1, 2, 2}, {1, 10, 2, 20}), Int64Tensor({2}, {1, 3}), Int64Tensor({2}, {1, 2})}, 1, {}, 18);
  EXPECT_EQ(ToVector<float>(overlap[0].tensor()), (std::vector<float>{1, 12, 20}));
  // Padding drops taps that fall outside; stride 2 with pads 1 on a 1x3 image.
  auto padded = RunOp("Col2Im", {FloatTensor({1, 2, 2}, {1, 10, 2, 20}), Int64Tensor({2}, {1, 3}), Int64Tensor({2}, {1, 2})}, 1,
                      {{"pads", IntsAttr({0, 1, 0, 1})}, {"strides", IntsAttr({1, 2})}}, 18);
  EXPECT_EQ(ToVector<float>(padded[0].tensor()), (std::vector<float>{2, 10, 20}));
}

TEST(DetectionCol2Im, WrongBlockCountThrows) {
  EXPECT_THROW(RunOp("Col2Im", {FloatTensor({1, 4, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), Int64Tensor({2}, {2, 2}), Int64Tensor({2}, {2, 2})}, 1, {}, 18),
               Error);
  EXPECT_THROW(RunOp("Col2Im", {FloatTensor({1, 3, 1}, {1, 2, 3}), Int64Tensor({2}, {2, 2}), Int64Tensor({2}, {2, 2})}, 1, {}, 18), Error);
}

Tensor Arange(std::vector<int64_t> shape) {
  Tensor t(DataType::Float, shape);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

TEST(DetectionDeformConv, ZeroOffsetsIsConvolution) {
  Tensor x = Arange({1, 1, 3, 3});
  Tensor w = FloatTensor({1, 1, 2, 2}, {1, 2, 3, 4});
  auto out = RunOp("DeformConv", {x, w, Tensor(DataType::Float, {1, 8, 2, 2})}, 1, {}, 19);
  // Plain 2x2 convolution of arange(9).
  EXPECT_EQ(ToVector<float>(out[0].tensor()), (std::vector<float>{27, 37, 57, 67}));
}

TEST(DetectionDeformConv, OffsetsMaskAndBias) {
  Tensor x = Arange({1, 1, 3, 3});
  Tensor w = FloatTensor({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor off(DataType::Float, {1, 8, 2, 2});
  off.data<float>()[0] = 0.5f;             // tap (0,0) dy at output (0,0)
  off.data<float>()[3 * 4 + 3] = -1.25f;   // tap (0,1) dx at output (1,1)
  off.data<float>()[5 * 4 + 1] = 0.3f;     // tap (1,0) dx at output (0,1)
  Tensor mask(DataType::Float, {1, 4, 2, 2});
  for (int i = 0; i < 16; ++i) mask.data<float>()[i] = 0.5f;
  mask.data<float>()[2 * 4 + 2] = 2.0f;
  auto out = RunOp("DeformConv", {x, w, off, FloatTensor({1}, {0.25f}), mask}, 1, {}, 19);
  ExpectNear(out[0].tensor(), {14.5f, 19.2f, 55.75f, 32.5f});
}

TEST(DetectionDeformConv, GroupsAndBadOffsetShape) {
  Tensor x = Arange({1, 2, 2, 2});
  Tensor w = FloatTensor({2, 1, 1, 1}, {2, 3});
  auto out = RunOp("DeformConv", {x, w, Tensor(DataType::Float, {1, 4, 2, 2})}, 1, {{"group", IntAttr(2)}, {"offset_group", IntAttr(2)}}, 19);
  EXPECT_EQ(ToVector<float>(out[0].tensor()), (std::vector<float>{0, 2, 4, 6, 12, 15, 18, 21}));
  EXPECT_THROW(RunOp("DeformConv", {x, w, Tensor(DataType::Float, {1, 2, 2, 2})}, 1, {{"group", IntAttr(2)}, {"offset_group", IntAttr(2)}}, 19),
               Error);
}

TEST(DetectionMaxUnpool, WithAndWithoutOutputShape) {
  Tensor x = FloatTensor({1, 1, 2, 2}, {5, 6, 7, 8});
  Tensor idx = Int64Tensor({1, 1, 2, 2}, {5, 7, 13, 15});
  std::map<std::string, Attribute> attrs = {{"kernel_shape", IntsAttr({2, 2})}, {"strides", IntsAttr({2, 2})}};
  auto out = RunOp("MaxUnpool", {x, idx}, 1, attrs, 11);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{1, 1, 4, 4}));
  EXPECT_EQ(ToVector<float>(out[0].tensor()), (std::vector<float>{0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8}));
  auto shaped = RunOp("MaxUnpool", {x, idx, Int64Tensor({4}, {1, 1, 5, 5})}, 1, attrs, 11);
  EXPECT_EQ(shaped[0].tensor().shape(), (std::vector<int64_t>{1, 1, 5, 5}));
  // The 4x4 unpooled block sits at the origin of the larger output.
  EXPECT_EQ(ToVector<float>(shaped[0].tensor()),
            (std::vector<float>{0, 0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 0, 0, 7, 0, 8, 0, 0, 0, 0, 0, 0}));
  EXPECT_THROW(RunOp("MaxUnpool", {x, Int64Tensor({1, 1, 2, 2}, {5, 7, 13, 16})}, 1, attrs, 11), Error);
}

TEST(DetectionCenterCropPad, CropPadAndAxes) {
  Tensor x = Arange({3, 4});
  auto crop = RunOp("CenterCropPad", {x, Int64Tensor({2}, {1, 2})}, 1, {}, 18);
  EXPECT_EQ(ToVector<float>(crop[0].tensor()), (std::vector<float>{5, 6}));
  auto pad = RunOp("CenterCropPad", {x, Int64Tensor({2}, {5, 5})}, 1, {}, 18);
  EXPECT_EQ(pad[0].tensor().shape(), (std::vector<int64_t>{5, 5}));
  EXPECT_EQ(ToVector<float>(pad[0].tensor()),
            (std::vector<float>{0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 7, 0, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0}));
  auto axes = RunOp("CenterCropPad", {x, Int64Tensor({1}, {2})}, 1, {{"axes", IntsAttr({-1})}}, 18);
  EXPECT_EQ(ToVector<float>(axes[0].tensor()), (std::vector<float>{1, 2, 5, 6, 9, 10}));
  EXPECT_THROW(RunOp("CenterCropPad", {x, Int64Tensor({1}, {2})}, 1, {}, 18), Error);
  EXPECT_THROW(RunOp("CenterCropPad", {x, Int64Tensor({1}, {2})}, 1, {{"axes", IntsAttr({2})}}, 18), Error);
}

TEST(DetectionLpNormalization, P1P2AndZeroNorm) {
  auto p2 = RunOp("LpNormalization", {FloatTensor({2, 2}, {3, 4, 0, 0})}, 1, {}, 1);
  ExpectNear(p2[0].tensor(), {0.6f, 0.8f, 0, 0});
  auto p1 = RunOp("LpNormalization", {FloatTensor({2, 2}, {1, -3, 2, 2})}, 1, {{"p", IntAttr(1)}, {"axis", IntAttr(0)}}, 22);
  ExpectNear(p1[0].tensor(), {1.0f / 3, -0.6f, 2.0f / 3, 0.4f});
  EXPECT_THROW(RunOp("LpNormalization", {FloatTensor({2}, {1, 2})}, 1, {{"p", IntAttr(3)}}, 22), Error);
}

TEST(DetectionDet, TwoByTwoBatchedAndSingular) {
  auto d = RunOp("Det", {FloatTensor({2, 2}, {1, 2, 3, 4})}, 1, {}, 11);
  EXPECT_EQ(d[0].tensor().shape(), std::vector<int64_t>{});
  EXPECT_NEAR(d[0].tensor().data<float>()[0], -2.0f, 1e-5);
  auto batched = RunOp("Det", {FloatTensor({2, 3, 3}, {2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 1, 0, 1, 0, 0, 0, 0, 1})}, 1, {}, 11);
  ExpectNear(batched[0].tensor(), {24.0f, -1.0f});
  auto singular = RunOp("Det", {FloatTensor({2, 2}, {1, 2, 2, 4})}, 1, {}, 11);
  EXPECT_EQ(singular[0].tensor().data<float>()[0], 0.0f);
  EXPECT_THROW(RunOp("Det", {FloatTensor({2, 3}, {1, 2, 3, 4, 5, 6})}, 1, {}, 11), Error);
}

TEST(DetectionShrink, HardSoftAndInt) {
  Tensor x = FloatTensor({5}, {-2, -1, 0, 1, 2});
  ExpectNear(RunOp("Shrink", {x}, 1, {{"lambd", FloatAttr(1.5f)}}, 9)[0].tensor(), {-2, 0, 0, 0, 2});
  ExpectNear(RunOp("Shrink", {x}, 1, {{"lambd", FloatAttr(1.5f)}, {"bias", FloatAttr(1.5f)}}, 9)[0].tensor(), {-0.5f, 0, 0, 0, 0.5f});
  Tensor xi = MakeTensor<int32_t>(DataType::Int32, {3}, {-5, 0, 5});
  auto yi = RunOp("Shrink", {xi}, 1, {{"lambd", FloatAttr(1.0f)}, {"bias", FloatAttr(2.0f)}}, 9);
  EXPECT_EQ(ToVector<int32_t>(yi[0].tensor()), (std::vector<int32_t>{-3, 0, 3}));
}

TEST(DetectionCumProd, ExclusiveReverseAndAxes) {
  Tensor x = FloatTensor({4}, {1, 2, 3, 4});
  Tensor axis = Int64Tensor({}, {0});
  EXPECT_EQ(ToVector<float>(RunOp("CumProd", {x, axis}, 1, {}, 26)[0].tensor()), (std::vector<float>{1, 2, 6, 24}));
  EXPECT_EQ(ToVector<float>(RunOp("CumProd", {x, axis}, 1, {{"exclusive", IntAttr(1)}}, 26)[0].tensor()), (std::vector<float>{1, 1, 2, 6}));
  EXPECT_EQ(ToVector<float>(RunOp("CumProd", {x, axis}, 1, {{"reverse", IntAttr(1)}}, 26)[0].tensor()), (std::vector<float>{24, 24, 12, 4}));
  Tensor m = MakeTensor<int32_t>(DataType::Int32, {2, 2}, {1, 2, 3, 4});
  auto rows = RunOp("CumProd", {m, Int64Tensor({}, {-1})}, 1, {}, 26);
  EXPECT_EQ(ToVector<int32_t>(rows[0].tensor()), (std::vector<int32_t>{1, 2, 3, 12}));
  EXPECT_THROW(RunOp("CumProd", {x, Int64Tensor({}, {1})}, 1, {}, 26), Error);
}

TEST(DetectionSwish, AlphaDefaultAndScaled) {
  Tensor x = FloatTensor({3}, {-1, 0, 2});
  auto sig = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
  ExpectNear(RunOp("Swish", {x}, 1, {}, 24)[0].tensor(), {-sig(-1), 0, 2 * sig(2)});
  ExpectNear(RunOp("Swish", {x}, 1, {{"alpha", FloatAttr(2.0f)}}, 24)[0].tensor(), {-sig(-2), 0, 2 * sig(4)});
}

}  // namespace
}  // namespace onyx::testing
