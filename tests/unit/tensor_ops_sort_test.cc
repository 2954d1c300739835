// TopK, Unique, NonZero, CumSum, Trilu.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/thread_pool.h"
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

TEST(TensorOpsTopK, LargestSmallestAndStableTies) {
  Tensor x = FloatTensor({2, 4}, {1, 3, 3, 2, 4, 4, 0, 4});
  auto outs = RunOp("TopK", {x, Int64Tensor({1}, {2})}, 2, {}, 11);
  EXPECT_EQ(ToVector<float>(outs[0].tensor()), (std::vector<float>{3, 3, 4, 4}));
  EXPECT_EQ(ToVector<int64_t>(outs[1].tensor()), (std::vector<int64_t>{1, 2, 0, 1}));  // ties by lower index
  outs = RunOp("TopK", {x, Int64Tensor({1}, {3})}, 2, {{"largest", IntAttr(0)}}, 11);
  EXPECT_EQ(ToVector<float>(outs[0].tensor()), (std::vector<float>{1, 2, 3, 0, 4, 4}));
  EXPECT_EQ(ToVector<int64_t>(outs[1].tensor()), (std::vector<int64_t>{0, 3, 1, 2, 0, 1}));
  outs = RunOp("TopK", {x}, 2, {{"k", IntAttr(1)}, {"axis", IntAttr(0)}}, 1);
  EXPECT_EQ(ToVector<float>(outs[0].tensor()), (std::vector<float>{4, 4, 3, 4}));
  EXPECT_EQ(ToVector<int64_t>(outs[1].tensor()), (std::vector<int64_t>{1, 1, 0, 1}));
}

TEST(TensorOpsTopK, NaNIsLargestAndKIsChecked) {
  Tensor x = FloatTensor({4}, {1, NAN, 5, -1});
  auto outs = RunOp("TopK", {x, Int64Tensor({1}, {2})}, 2, {}, 11);
  EXPECT_TRUE(std::isnan(outs[0].tensor().data<float>()[0]));
  EXPECT_EQ(outs[0].tensor().data<float>()[1], 5.f);
  outs = RunOp("TopK", {x, Int64Tensor({1}, {4})}, 2, {{"largest", IntAttr(0)}}, 11);
  EXPECT_EQ(ToVector<int64_t>(outs[1].tensor()), (std::vector<int64_t>{3, 0, 2, 1}));
  ExpectError([&] { RunOp("TopK", {x, Int64Tensor({1}, {5})}, 2, {}, 11); }, ErrorCode::InvalidArgument, "k = 5");
  ExpectError([&] { RunOp("TopK", {x, Int64Tensor({1}, {-1})}, 2, {}, 11); }, ErrorCode::InvalidArgument, "k = -1");
}

TEST(TensorOpsTopK, IntegersOnThePool) {
  ThreadPool pool(4);
  Tensor x(DataType::Int32, {200, 50});
  for (int64_t i = 0; i < x.size(); ++i) x.data<int32_t>()[i] = static_cast<int32_t>((i * 37) % 101);
  auto outs = RunOp("TopK", {x, Int64Tensor({1}, {5})}, 2, {{"axis", IntAttr(1)}}, 11, &pool);
  const Tensor& v = outs[0].tensor();
  for (int64_t r = 0; r < 200; r += 17) {
    std::vector<int32_t> row(x.data<int32_t>() + r * 50, x.data<int32_t>() + r * 50 + 50);
    std::sort(row.rbegin(), row.rend());
    for (int k = 0; k < 5; ++k) EXPECT_EQ(v.data<int32_t>()[r * 5 + k], row[k]);
  }
}

TEST(TensorOpsUnique, SortedUnsortedAndAxis) {
  Tensor x = FloatTensor({6}, {2, 1, 1, 3, 4, 3});
  auto outs = RunOp("Unique", {x}, 4, {{"sorted", IntAttr(0)}}, 11);
  EXPECT_EQ(ToVector<float>(outs[0].tensor()), (std::vector<float>{2, 1, 3, 4}));
  EXPECT_EQ(ToVector<int64_t>(outs[1].tensor()), (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(ToVector<int64_t>(outs[2].tensor()), (std::vector<int64_t>{0, 1, 1, 2, 3, 2}));
  EXPECT_EQ(ToVector<int64_t>(outs[3].tensor()), (std::vector<int64_t>{1, 2, 2, 1}));
  outs = RunOp("Unique", {x}, 4, {}, 11);
  EXPECT_EQ(ToVector<float>(outs[0].tensor()), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(ToVector<int64_t>(outs[1].tensor()), (std::vector<int64_t>{1, 0, 3, 4}));
  EXPECT_EQ(ToVector<int64_t>(outs[2].tensor()), (std::vector<int64_t>{1, 0, 0, 2, 3, 2}));
  EXPECT_EQ(ToVector<int64_t>(outs[3].tensor()), (std::vector<int64_t>{2, 1, 2, 1}));
  Tensor m = FloatTensor({3, 3}, {1, 0, 0, 1, 0, 0, 2, 3, 4});
  outs = RunOp("Unique", {m}, 4, {{"axis", IntAttr(0)}}, 11);
  EXPECT_EQ(outs[0].tensor().shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ToVector<float>(outs[0].tensor()), (std::vector<float>{1, 0, 0, 2, 3, 4}));
  EXPECT_EQ(ToVector<int64_t>(outs[2].tensor()), (std::vector<int64_t>{0, 0, 1}));
  Tensor s = StringTensor({4}, {"b", "a", "b", "c"});
  EXPECT_EQ(ToVector<std::string>(Run1("Unique", {s}, {}, 11)), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(TensorOpsNonZero, CoordinatesPerDimension) {
  Tensor x = FloatTensor({2, 2}, {1, 0, 1, 1});
  Tensor y = Run1("NonZero", {x}, {}, 13);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ToVector<int64_t>(y), (std::vector<int64_t>{0, 1, 1, 0, 0, 1}));
  EXPECT_EQ(Run1("NonZero", {BoolTensor({3}, {false, false, false})}, {}, 13).shape(), (std::vector<int64_t>{1, 0}));
}

TEST(TensorOpsCumSum, ExclusiveReverseAndAxis) {
  Tensor x = FloatTensor({5}, {1, 2, 3, 4, 5});
  auto run = [&](int64_t exclusive, int64_t reverse) {
    return ToVector<float>(Run1("CumSum", {x, ScalarInt64(0)}, {{"exclusive", IntAttr(exclusive)}, {"reverse", IntAttr(reverse)}}, 14));
  };
  EXPECT_EQ(run(0, 0), (std::vector<float>{1, 3, 6, 10, 15}));
  EXPECT_EQ(run(1, 0), (std::vector<float>{0, 1, 3, 6, 10}));
  EXPECT_EQ(run(0, 1), (std::vector<float>{15, 14, 12, 9, 5}));
  EXPECT_EQ(run(1, 1), (std::vector<float>{14, 12, 9, 5, 0}));
  Tensor m = Int64Tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(ToVector<int64_t>(Run1("CumSum", {m, Int32Tensor({}, {-1})}, {}, 14)), (std::vector<int64_t>{1, 3, 6, 4, 9, 15}));
  EXPECT_EQ(ToVector<int64_t>(Run1("CumSum", {m, Int32Tensor({}, {0})}, {}, 14)), (std::vector<int64_t>{1, 2, 3, 5, 7, 9}));
  ExpectError([&] { Run1("CumSum", {m, ScalarInt64(2)}, {}, 14); }, ErrorCode::InvalidArgument, "out of range");
}

TEST(TensorOpsTrilu, UpperLowerWithK) {
  Tensor x = Iota({3, 4});
  EXPECT_EQ(ToVector<float>(Run1("Trilu", {x}, {}, 14)), (std::vector<float>{0, 1, 2, 3, 0, 5, 6, 7, 0, 0, 10, 11}));
  EXPECT_EQ(ToVector<float>(Run1("Trilu", {x, ScalarInt64(1)}, {{"upper", IntAttr(0)}}, 14)),
            (std::vector<float>{0, 1, 0, 0, 4, 5, 6, 0, 8, 9, 10, 11}));
  EXPECT_EQ(ToVector<float>(Run1("Trilu", {x, ScalarInt64(-1)}, {}, 14)), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11}));
  EXPECT_EQ(ToVector<float>(Run1("Trilu", {x, ScalarInt64(std::numeric_limits<int64_t>::min())}, {{"upper", IntAttr(0)}}, 14)),
            std::vector<float>(12, 0.f));
  EXPECT_EQ(ToVector<float>(Run1("Trilu", {x, ScalarInt64(std::numeric_limits<int64_t>::max())}, {{"upper", IntAttr(0)}}, 14)),
            ToVector<float>(x));
  Tensor batched = Run1("Trilu", {Iota({2, 2, 2})}, {{"upper", IntAttr(0)}}, 14);
  EXPECT_EQ(ToVector<float>(batched), (std::vector<float>{0, 0, 2, 3, 4, 0, 6, 7}));
}

}  // namespace
}  // namespace onyx::testing
