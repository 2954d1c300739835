// Gather, GatherElements, GatherND, ScatterND, ScatterElements, Scatter.
#include "core/thread_pool.h"
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

TEST(TensorOpsGather, Axis0Axis1AndNegativeIndices) {
  Tensor x = Iota({3, 2});
  Tensor y = Run1("Gather", {x, Int64Tensor({2, 2}, {0, 1, -1, 1})});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 1, 2, 3, 4, 5, 2, 3}));
  Tensor z = Run1("Gather", {x, Int32Tensor({}, {1})}, {{"axis", IntAttr(1)}});
  EXPECT_EQ(z.shape(), (std::vector<int64_t>{3}));
  EXPECT_EQ(ToVector<float>(z), (std::vector<float>{1, 3, 5}));
  Tensor s = Run1("Gather", {StringTensor({3}, {"a", "b", "c"}), Int64Tensor({2}, {2, 0})});
  EXPECT_EQ(ToVector<std::string>(s), (std::vector<std::string>{"c", "a"}));
}

TEST(TensorOpsGather, OutOfRangeIndexIsAClearError) {
  Tensor x = Iota({3, 2});
  ExpectError([&] { Run1("Gather", {x, Int64Tensor({1}, {3})}); }, ErrorCode::InvalidArgument,
              "Gather index 3 is out of bounds for a dimension of size 3 (valid range [-3, 2])");
  ExpectError([&] { Run1("Gather", {x, Int64Tensor({1}, {-4})}); }, ErrorCode::InvalidArgument, "index -4");
  ExpectError([&] { Run1("Gather", {x, FloatTensor({1}, {0})}); }, ErrorCode::InvalidArgument, "int64 or int32");
}

TEST(TensorOpsGather, LargeOnThePool) {
  ThreadPool pool(4);
  Tensor x = Iota({1000, 8});
  std::vector<int64_t> idx(5000);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>((i * 7919) % 1000);
  Tensor y = Run1("Gather", {x, Int64Tensor({5000}, idx)}, {}, 13, &pool);
  for (size_t i = 0; i < idx.size(); i += 101) EXPECT_EQ(y.data<float>()[i * 8 + 3], static_cast<float>(idx[i] * 8 + 3));
}

TEST(TensorOpsGatherElements, PicksAlongAxis) {
  Tensor x = FloatTensor({2, 2}, {1, 2, 3, 4});
  Tensor y = Run1("GatherElements", {x, Int64Tensor({2, 2}, {0, 0, 1, 0})}, {{"axis", IntAttr(1)}});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{1, 1, 4, 3}));
  Tensor x3 = Iota({3, 3});
  Tensor z = Run1("GatherElements", {x3, Int64Tensor({2, 3}, {1, 2, 0, 2, 0, -1})}, {{"axis", IntAttr(0)}});
  EXPECT_EQ(ToVector<float>(z), (std::vector<float>{3, 7, 2, 6, 1, 8}));
  ExpectError([&] { Run1("GatherElements", {x, Int64Tensor({1, 1}, {2})}, {{"axis", IntAttr(1)}}); }, ErrorCode::InvalidArgument,
              "GatherElements index 2");
  ExpectError([&] { Run1("GatherElements", {x, Int64Tensor({3, 1}, {0, 0, 0})}, {{"axis", IntAttr(1)}}); },
              ErrorCode::InvalidArgument, "exceed data");
}

TEST(TensorOpsGatherND, SlicesAndBatchDims) {
  Tensor x = Int64Tensor({2, 2}, {0, 1, 2, 3});
  EXPECT_EQ(ToVector<int64_t>(Run1("GatherND", {x, Int64Tensor({2, 2}, {0, 0, 1, 1})})), (std::vector<int64_t>{0, 3}));
  Tensor rows = Run1("GatherND", {x, Int64Tensor({2, 1}, {1, 0})});
  EXPECT_EQ(rows.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<int64_t>(rows), (std::vector<int64_t>{2, 3, 0, 1}));
  Tensor x3 = Int64Tensor({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  Tensor b = Run1("GatherND", {x3, Int64Tensor({2, 1}, {1, 0})}, {{"batch_dims", IntAttr(1)}});
  EXPECT_EQ(b.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<int64_t>(b), (std::vector<int64_t>{2, 3, 4, 5}));
  ExpectError([&] { Run1("GatherND", {x, Int64Tensor({1, 2}, {0, 2})}); }, ErrorCode::InvalidArgument, "GatherND index 2");
  ExpectError([&] { Run1("GatherND", {x, Int64Tensor({1, 3}, {0, 0, 0})}); }, ErrorCode::InvalidArgument, "exceeds rank");
}

TEST(TensorOpsScatterND, ReplaceAndReductions) {
  Tensor data = FloatTensor({4}, {1, 2, 3, 4});
  Tensor idx = Int64Tensor({2, 1}, {1, -1});
  Tensor upd = FloatTensor({2}, {10, 20});
  EXPECT_EQ(ToVector<float>(Run1("ScatterND", {data, idx, upd})), (std::vector<float>{1, 10, 3, 20}));
  Tensor dup = Int64Tensor({2, 1}, {1, 1});
  auto run = [&](const char* red) { return ToVector<float>(Run1("ScatterND", {data, dup, upd}, {{"reduction", StringAttr(red)}})); };
  EXPECT_EQ(run("add"), (std::vector<float>{1, 32, 3, 4}));
  EXPECT_EQ(run("mul"), (std::vector<float>{1, 400, 3, 4}));
  EXPECT_EQ(run("max"), (std::vector<float>{1, 20, 3, 4}));
  EXPECT_EQ(run("min"), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(ToVector<float>(data), (std::vector<float>{1, 2, 3, 4}));  // input untouched
  // Whole rows.
  Tensor rows = Run1("ScatterND", {Iota({2, 2}), Int64Tensor({1, 1}, {1}), FloatTensor({1, 2}, {9, 9})});
  EXPECT_EQ(ToVector<float>(rows), (std::vector<float>{0, 1, 9, 9}));
  ExpectError([&] { Run1("ScatterND", {data, Int64Tensor({1, 1}, {4}), FloatTensor({1}, {0})}); }, ErrorCode::InvalidArgument,
              "ScatterND index 4");
  ExpectError([&] { Run1("ScatterND", {data, idx, FloatTensor({3}, {0, 0, 0})}); }, ErrorCode::InvalidArgument, "should have [2]");
  ExpectError([&] { Run1("ScatterND", {data, dup, upd}, {{"reduction", StringAttr("max")}}, 16); }, ErrorCode::InvalidGraph,
              "not supported at opset 16");
}

TEST(TensorOpsScatterElements, AxisAndReductions) {
  Tensor data = Iota({3, 3});
  Tensor idx = Int64Tensor({2, 3}, {1, 0, 2, 0, 2, 1});
  Tensor upd = FloatTensor({2, 3}, {1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f});
  Tensor y = Run1("ScatterElements", {data, idx, upd}, {{"axis", IntAttr(0)}});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{4.5f, 2.5f, 2, 1.5f, 4, 6.5f, 6, 5.5f, 3.5f}));
  Tensor row = FloatTensor({1, 5}, {1, 2, 3, 4, 5});
  Tensor y2 = Run1("ScatterElements", {row, Int64Tensor({1, 2}, {1, 1}), FloatTensor({1, 2}, {1.1f, 2.1f})},
                   {{"axis", IntAttr(1)}, {"reduction", StringAttr("add")}});
  EXPECT_NEAR(y2.data<float>()[1], 5.2f, 1e-5f);
  EXPECT_EQ(y2.data<float>()[2], 3.f);
  Tensor y3 = Run1("ScatterElements", {row, Int64Tensor({1, 2}, {1, -2}), FloatTensor({1, 2}, {3, 3})}, {{"axis", IntAttr(1)}});
  EXPECT_EQ(ToVector<float>(y3), (std::vector<float>{1, 3, 3, 3, 5}));
  ExpectError([&] { Run1("ScatterElements", {row, Int64Tensor({1, 1}, {5}), FloatTensor({1, 1}, {0})}, {{"axis", IntAttr(1)}}); },
              ErrorCode::InvalidArgument, "ScatterElements index 5");
  ExpectError([&] { Run1("ScatterElements", {row, Int64Tensor({1, 1}, {0}), Int64Tensor({1, 1}, {0})}, {{"axis", IntAttr(1)}}); },
              ErrorCode::InvalidArgument, "updates have type int64");
}

TEST(TensorOpsScatter, Opset9IsScatterElements) {
  Tensor y = Run1("Scatter", {Iota({1, 3}), Int64Tensor({1, 1}, {2}), FloatTensor({1, 1}, {7})}, {{"axis", IntAttr(1)}}, 9);
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 1, 7}));
  Tensor s = Run1("ScatterElements", {StringTensor({2}, {"a", "b"}), Int64Tensor({1}, {0}), StringTensor({1}, {"z"})});
  EXPECT_EQ(ToVector<std::string>(s), (std::vector<std::string>{"z", "b"}));
}

}  // namespace
}  // namespace onyx::testing
