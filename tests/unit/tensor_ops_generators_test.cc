// Constant, ConstantOfShape, Range, EyeLike, OneHot.
#include <limits>

#include "core/float16.h"
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

TEST(TensorOpsConstant, EveryValueAttribute) {
  Tensor t = Run1("Constant", {}, {{"value", TensorAttr(FloatTensor({2}, {1, 2}))}});
  EXPECT_EQ(ToVector<float>(t), (std::vector<float>{1, 2}));
  Tensor f = Run1("Constant", {}, {{"value_float", FloatAttr(2.5f)}});
  EXPECT_EQ(f.rank(), 0u);
  EXPECT_EQ(f.data<float>()[0], 2.5f);
  EXPECT_EQ(ToVector<float>(Run1("Constant", {}, {{"value_floats", FloatsAttr({1, 2, 3})}})), (std::vector<float>{1, 2, 3}));
  Tensor i = Run1("Constant", {}, {{"value_int", IntAttr(7)}});
  EXPECT_EQ(i.dtype(), DataType::Int64);
  EXPECT_EQ(i.data<int64_t>()[0], 7);
  EXPECT_EQ(ToVector<int64_t>(Run1("Constant", {}, {{"value_ints", IntsAttr({4, 5})}})), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(Run1("Constant", {}, {{"value_string", StringAttr("hi")}}).data<std::string>()[0], "hi");
  EXPECT_EQ(ToVector<std::string>(Run1("Constant", {}, {{"value_strings", StringsAttr({"a", "b"})}})),
            (std::vector<std::string>{"a", "b"}));
  ExpectError([] { Run1("Constant", {}, {}); }, ErrorCode::InvalidGraph, "exactly one");
  ExpectError([] { Run1("Constant", {}, {{"value_int", IntAttr(1)}, {"value_float", FloatAttr(1)}}); }, ErrorCode::InvalidGraph,
              "found 2");
}

TEST(TensorOpsConstantOfShape, FillsWithValue) {
  Tensor d = Run1("ConstantOfShape", {Int64Tensor({2}, {2, 3})});
  EXPECT_EQ(d.dtype(), DataType::Float);
  EXPECT_EQ(ToVector<float>(d), std::vector<float>(6, 0.f));
  Tensor v = Run1("ConstantOfShape", {Int64Tensor({1}, {3})}, {{"value", TensorAttr(Int64Tensor({1}, {9}))}});
  EXPECT_EQ(ToVector<int64_t>(v), (std::vector<int64_t>{9, 9, 9}));
  Tensor scalar = Run1("ConstantOfShape", {Int64Tensor({0}, {})}, {{"value", TensorAttr(Int32Tensor({1}, {4}))}});
  EXPECT_EQ(scalar.rank(), 0u);
  EXPECT_EQ(scalar.data<int32_t>()[0], 4);
  ExpectError([] { Run1("ConstantOfShape", {Int64Tensor({1}, {-1})}); }, ErrorCode::InvalidArgument, "negative");
}

TEST(TensorOpsRange, IntegerFloatAndEmpty) {
  EXPECT_EQ(ToVector<int64_t>(Run1("Range", {ScalarInt64(10), ScalarInt64(4), ScalarInt64(-3)})), (std::vector<int64_t>{10, 7}));
  EXPECT_EQ(ToVector<int32_t>(Run1("Range", {Int32Tensor({}, {0}), Int32Tensor({}, {5}), Int32Tensor({}, {2})})),
            (std::vector<int32_t>{0, 2, 4}));
  EXPECT_EQ(ToVector<float>(Run1("Range", {FloatTensor({}, {1}), FloatTensor({}, {2}), FloatTensor({}, {0.25f})})),
            (std::vector<float>{1, 1.25f, 1.5f, 1.75f}));
  EXPECT_EQ(Run1("Range", {ScalarInt64(5), ScalarInt64(1), ScalarInt64(1)}).size(), 0);
  ExpectError([] { Run1("Range", {ScalarInt64(0), ScalarInt64(1), ScalarInt64(0)}); }, ErrorCode::InvalidArgument, "delta is 0");
  ExpectError([] { Run1("Range", {ScalarInt64(0), Int32Tensor({}, {1}), ScalarInt64(1)}); }, ErrorCode::InvalidArgument,
              "same type");
}

TEST(TensorOpsEyeLike, DiagonalOffsetAndDtype) {
  Tensor x(DataType::Int32, {3, 4});
  Tensor y = Run1("EyeLike", {x}, {{"k", IntAttr(1)}});
  EXPECT_EQ(ToVector<int32_t>(y), (std::vector<int32_t>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
  Tensor z = Run1("EyeLike", {x}, {{"k", IntAttr(-2)}, {"dtype", IntAttr(static_cast<int64_t>(DataType::Float16))}});
  EXPECT_EQ(z.dtype(), DataType::Float16);
  EXPECT_EQ(z.data<uint16_t>()[8], FloatToHalf(1.f));
  EXPECT_EQ(z.data<uint16_t>()[0], 0);
  EXPECT_EQ(ToVector<int32_t>(Run1("EyeLike", {x}, {{"k", IntAttr(100)}})), std::vector<int32_t>(12, 0));
  EXPECT_EQ(ToVector<int32_t>(Run1("EyeLike", {x}, {{"k", IntAttr(std::numeric_limits<int64_t>::min())}})), std::vector<int32_t>(12, 0));
  ExpectError([] { Run1("EyeLike", {Iota({3})}); }, ErrorCode::InvalidArgument, "2-D");
}

TEST(TensorOpsOneHot, AxesNegativeAndOutOfRangeIndices) {
  Tensor values = FloatTensor({2}, {0, 5});
  Tensor y = Run1("OneHot", {Int64Tensor({3}, {0, -1, 7}), ScalarInt64(3), values}, {}, 11);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{5, 0, 0, 0, 0, 5, 0, 0, 0}));
  Tensor z = Run1("OneHot", {FloatTensor({2}, {1, 2}), FloatTensor({}, {3}), values}, {{"axis", IntAttr(0)}}, 11);
  EXPECT_EQ(z.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ToVector<float>(z), (std::vector<float>{0, 0, 5, 0, 0, 5}));
  ExpectError([&] { Run1("OneHot", {Int64Tensor({1}, {0}), ScalarInt64(-2), values}, {}, 11); }, ErrorCode::InvalidArgument,
              "non-negative");
  ExpectError([&] { Run1("OneHot", {Int64Tensor({1}, {0}), ScalarInt64(2), values}, {{"axis", IntAttr(3)}}, 11); },
              ErrorCode::InvalidArgument, "out of range");
}

}  // namespace
}  // namespace onyx::testing
