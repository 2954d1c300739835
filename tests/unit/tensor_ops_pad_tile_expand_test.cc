// Pad, Tile, Expand.
#include <limits>

#include "core/thread_pool.h"
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

Tensor Pad1D(const std::vector<float>& x, int64_t before, int64_t after, const char* mode) {
  return Run1("Pad", {FloatTensor({static_cast<int64_t>(x.size())}, x), Int64Tensor({2}, {before, after})},
              {{"mode", StringAttr(mode)}}, 19);
}

TEST(TensorOpsPad, ModesIn1D) {
  std::vector<float> x = {1, 2, 3};
  EXPECT_EQ(ToVector<float>(Pad1D(x, 2, 1, "constant")), (std::vector<float>{0, 0, 1, 2, 3, 0}));
  EXPECT_EQ(ToVector<float>(Pad1D(x, 2, 2, "edge")), (std::vector<float>{1, 1, 1, 2, 3, 3, 3}));
  EXPECT_EQ(ToVector<float>(Pad1D(x, 2, 2, "reflect")), (std::vector<float>{3, 2, 1, 2, 3, 2, 1}));
  EXPECT_EQ(ToVector<float>(Pad1D(x, 2, 2, "wrap")), (std::vector<float>{2, 3, 1, 2, 3, 1, 2}));
  // Pads wider than the input repeat the pattern, as numpy.pad does.
  EXPECT_EQ(ToVector<float>(Pad1D(x, 5, 0, "reflect")), (std::vector<float>{2, 1, 2, 3, 2, 1, 2, 3}));
  EXPECT_EQ(ToVector<float>(Pad1D(x, 4, 0, "wrap")), (std::vector<float>{3, 1, 2, 3, 1, 2, 3}));
  // Negative pads crop.
  EXPECT_EQ(ToVector<float>(Pad1D(x, -1, 2, "constant")), (std::vector<float>{2, 3, 0, 0}));
  EXPECT_EQ(ToVector<float>(Pad1D(x, -2, 1, "edge")), (std::vector<float>{3, 3}));
}

TEST(TensorOpsPad, ConstantValueAxesAnd2D) {
  Tensor x = FloatTensor({2, 2}, {1, 2, 3, 4});
  Tensor y = Run1("Pad", {x, Int64Tensor({4}, {1, 0, 0, 1}), FloatTensor({}, {9})}, {}, 13);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{9, 9, 9, 1, 2, 9, 3, 4, 9}));
  Tensor z = Run1("Pad", {x, Int64Tensor({2}, {1, 1}), Tensor(), Int64Tensor({1}, {-1})}, {{"mode", StringAttr("reflect")}}, 18);
  EXPECT_EQ(ToVector<float>(z), (std::vector<float>{2, 1, 2, 1, 4, 3, 4, 3}));
  Tensor s = Run1("Pad", {StringTensor({1}, {"a"}), Int64Tensor({2}, {1, 0}), StringTensor({}, {"-"})}, {}, 13);
  EXPECT_EQ(ToVector<std::string>(s), (std::vector<std::string>{"-", "a"}));
}

TEST(TensorOpsPad, Opset2AttributesAndIntValue) {
  Tensor x = Int64Tensor({2}, {5, 6});
  Tensor y = Run1("Pad", {x}, {{"pads", IntsAttr({1, 1})}, {"value", FloatAttr(7.f)}}, 2);
  EXPECT_EQ(ToVector<int64_t>(y), (std::vector<int64_t>{7, 5, 6, 7}));
}

TEST(TensorOpsPad, LargeImageOnThePool) {
  ThreadPool pool(4);
  Tensor x = Iota({2, 3, 64, 64});
  Tensor y = Run1("Pad", {x, Int64Tensor({8}, {0, 0, 1, 2, 0, 0, 3, 4})}, {}, 13, &pool);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 3, 68, 70}));
  auto at = [&](int64_t n, int64_t c, int64_t h, int64_t w) { return y.data<float>()[((n * 3 + c) * 68 + h) * 70 + w]; };
  EXPECT_EQ(at(1, 2, 0, 5), 0.f);
  EXPECT_EQ(at(1, 2, 1, 1), 0.f);
  EXPECT_EQ(at(1, 2, 1, 2), x.data<float>()[((1 * 3 + 2) * 64 + 0) * 64 + 0]);
  EXPECT_EQ(at(0, 1, 64, 65), x.data<float>()[((0 * 3 + 1) * 64 + 63) * 64 + 63]);
  EXPECT_EQ(at(0, 1, 64, 66), 0.f);
}

TEST(TensorOpsPad, RejectsBadPads) {
  Tensor x = FloatTensor({3}, {1, 2, 3});
  ExpectError([&] { Run1("Pad", {x, Int64Tensor({1}, {1})}, {}, 13); }, ErrorCode::InvalidArgument, "2 per axis");
  ExpectError([&] { Run1("Pad", {x, Int64Tensor({2}, {-2, -2})}, {}, 13); }, ErrorCode::InvalidArgument, "remove more");
  ExpectError([&] { Run1("Pad", {Tensor(DataType::Float, {0}), Int64Tensor({2}, {1, 0})}, {{"mode", StringAttr("edge")}}, 13); },
              ErrorCode::InvalidArgument, "size 0");
  ExpectError([&] { Run1("Pad", {x, Int64Tensor({2}, {1, 0}), Int64Tensor({}, {1})}, {}, 13); }, ErrorCode::InvalidArgument,
              "constant_value has type int64");
  ExpectError([&] { Run1("Pad", {x, Int64Tensor({2}, {std::numeric_limits<int64_t>::min(), 0})}, {}, 13); },
              ErrorCode::InvalidArgument, "too large");
  ExpectError([&] { Run1("Pad", {x, Int64Tensor({4}, {1, 1, 1, 1}), Tensor(), Int64Tensor({2}, {0, -1})}, {}, 18); },
              ErrorCode::InvalidArgument, "repeat");
  ExpectError([&] { Run1("Pad", {x, Int64Tensor({2}, {1, 0})}, {{"mode", StringAttr("wrap")}}, 18); }, ErrorCode::InvalidGraph,
              "not supported at opset 18");
}

TEST(TensorOpsTile, RepeatsEveryAxis) {
  Tensor x = FloatTensor({2, 2}, {1, 2, 3, 4});
  Tensor y = Run1("Tile", {x, Int64Tensor({2}, {2, 3})});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
  EXPECT_EQ(Run1("Tile", {x, Int64Tensor({2}, {0, 1})}).shape(), (std::vector<int64_t>{0, 2}));
  Tensor s = Run1("Tile", {StringTensor({1}, {"ab"}), Int64Tensor({1}, {3})});
  EXPECT_EQ(ToVector<std::string>(s), (std::vector<std::string>{"ab", "ab", "ab"}));
  ExpectError([&] { Run1("Tile", {x, Int64Tensor({1}, {2})}); }, ErrorCode::InvalidArgument, "1-D tensor of 2 values");
  ExpectError([&] { Run1("Tile", {x, Int64Tensor({2}, {-1, 1})}); }, ErrorCode::InvalidArgument, "negative");
  ExpectError([&] { Run1("Tile", {x, Int64Tensor({2}, {int64_t(1) << 40, int64_t(1) << 40})}); }, ErrorCode::InvalidArgument,
              "too many elements");
}

TEST(TensorOpsExpand, BidirectionalBroadcast) {
  Tensor x = FloatTensor({3, 1}, {1, 2, 3});
  Tensor z = Run1("Expand", {x, Int64Tensor({3}, {2, 1, 4})});
  EXPECT_EQ(z.shape(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(z.data<float>()[0], 1.f);
  EXPECT_EQ(z.data<float>()[5], 2.f);
  EXPECT_EQ(z.data<float>()[12 + 11], 3.f);
  Tensor w = Run1("Expand", {x, Int64Tensor({1}, {1})});
  EXPECT_EQ(w.shape(), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(Run1("Expand", {x, Int64Tensor({1}, {2})}).shape(), (std::vector<int64_t>{3, 2}));
  ExpectError([&] { Run1("Expand", {x, Int64Tensor({2}, {2, 1})}); }, ErrorCode::InvalidArgument, "cannot be broadcast");
  ExpectError([&] { Run1("Expand", {x, Int64Tensor({1}, {-1})}); }, ErrorCode::InvalidArgument, "negative");
}

}  // namespace
}  // namespace onyx::testing
