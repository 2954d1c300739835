// Concat, Split, Slice, Compress, ReverseSequence.
#include <limits>

#include "core/thread_pool.h"
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(TensorOpsConcat, AlongEachAxis) {
  Tensor a = FloatTensor({2, 2}, {1, 2, 3, 4}), b = FloatTensor({2, 1}, {5, 6});
  Tensor y = Run1("Concat", {a, b}, {{"axis", IntAttr(-1)}});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{1, 2, 5, 3, 4, 6}));
  Tensor c = FloatTensor({1, 2}, {7, 8});
  EXPECT_EQ(ToVector<float>(Run1("Concat", {a, c, Tensor(DataType::Float, {0, 2})}, {{"axis", IntAttr(0)}})),
            (std::vector<float>{1, 2, 3, 4, 7, 8}));
}

TEST(TensorOpsConcat, StringsAndThreads) {
  Tensor s = Run1("Concat", {StringTensor({1}, {"x"}), StringTensor({2}, {"y", "z"})}, {{"axis", IntAttr(0)}});
  EXPECT_EQ(ToVector<std::string>(s), (std::vector<std::string>{"x", "y", "z"}));
  ThreadPool pool(4);
  Tensor a = Iota({300, 70}), b = Iota({300, 30});
  Tensor y = Run1("Concat", {a, b}, {{"axis", IntAttr(1)}}, 13, &pool);
  for (int64_t r = 0; r < 300; r += 37) {
    EXPECT_EQ(y.data<float>()[r * 100 + 5], a.data<float>()[r * 70 + 5]);
    EXPECT_EQ(y.data<float>()[r * 100 + 75], b.data<float>()[r * 30 + 5]);
  }
}

TEST(TensorOpsConcat, RejectsMismatches) {
  ExpectError([] { Run1("Concat", {Iota({2, 2}), Iota({3, 3})}, {{"axis", IntAttr(0)}}); }, ErrorCode::InvalidArgument,
              "does not match");
  ExpectError([] { Run1("Concat", {Iota({2}), Int64Tensor({1}, {1})}, {{"axis", IntAttr(0)}}); }, ErrorCode::InvalidArgument,
              "has type int64");
  ExpectError([] { Run1("Concat", {Iota({2})}, {{"axis", IntAttr(1)}}); }, ErrorCode::InvalidArgument, "out of range");
}

TEST(TensorOpsSplit, EqualAttributeInputAndNumOutputs) {
  Tensor x = Iota({2, 6});
  auto outs = RunOp("Split", {x}, 3, {{"axis", IntAttr(1)}}, 13);
  EXPECT_EQ(ToVector<float>(outs[1].tensor()), (std::vector<float>{2, 3, 8, 9}));
  outs = RunOp("Split", {x}, 2, {{"axis", IntAttr(1)}, {"split", IntsAttr({1, 5})}}, 11);
  EXPECT_EQ(outs[0].tensor().shape(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(ToVector<float>(outs[1].tensor()), (std::vector<float>{1, 2, 3, 4, 5, 7, 8, 9, 10, 11}));
  outs = RunOp("Split", {x, Int64Tensor({2}, {4, 2})}, 2, {{"axis", IntAttr(-1)}}, 13);
  EXPECT_EQ(ToVector<float>(outs[1].tensor()), (std::vector<float>{4, 5, 10, 11}));
  // num_outputs: chunks of ceil(7 / 3) = 3, the last one smaller.
  outs = RunOp("Split", {Iota({7})}, 3, {{"num_outputs", IntAttr(3)}}, 18);
  EXPECT_EQ(ToVector<float>(outs[2].tensor()), (std::vector<float>{6}));
}

TEST(TensorOpsSplit, RejectsInconsistentSizes) {
  ExpectError([] { RunOp("Split", {Iota({5})}, 2, {}, 13); }, ErrorCode::InvalidArgument, "cannot be split evenly");
  ExpectError([] { RunOp("Split", {Iota({5}), Int64Tensor({2}, {1, 2})}, 2, {}, 13); }, ErrorCode::InvalidArgument,
              "summing to 5");
  ExpectError([] { RunOp("Split", {Iota({5})}, 2, {{"num_outputs", IntAttr(3)}}, 18); }, ErrorCode::InvalidArgument,
              "num_outputs is 3");
}

TEST(TensorOpsSlice, InputsWithStepsAndClamping) {
  Tensor x = Iota({3, 4});
  // Rows 0..1, columns 3 down to 1.
  Tensor y = Run1("Slice", {x, Int64Tensor({2}, {0, -1}), Int64Tensor({2}, {2, 0}), Int64Tensor({2}, {0, 1}),
                            Int64Tensor({2}, {1, -1})});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{3, 2, 1, 7, 6, 5}));
  // Huge bounds clamp; a reversed full axis uses INT64_MIN as end.
  Tensor r = Run1("Slice", {x, Int64Tensor({1}, {kMax}), Int64Tensor({1}, {kMin}), Int64Tensor({1}, {1}), Int64Tensor({1}, {-1})});
  EXPECT_EQ(ToVector<float>(r), (std::vector<float>{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8}));
  Tensor s = Run1("Slice", {x, Int64Tensor({1}, {-100}), Int64Tensor({1}, {kMax}), Int64Tensor({1}, {0}), Int64Tensor({1}, {2})});
  EXPECT_EQ(ToVector<float>(s), (std::vector<float>{0, 1, 2, 3, 8, 9, 10, 11}));
  Tensor empty = Run1("Slice", {x, Int64Tensor({1}, {3}), Int64Tensor({1}, {1})});
  EXPECT_EQ(empty.shape(), (std::vector<int64_t>{0, 4}));
  Tensor big_step = Run1("Slice", {x, Int64Tensor({1}, {1}), Int64Tensor({1}, {kMax}), Int64Tensor({1}, {1}), Int64Tensor({1}, {kMax})});
  EXPECT_EQ(ToVector<float>(big_step), (std::vector<float>{1, 5, 9}));
  Tensor int32_inputs = Run1("Slice", {x, Int32Tensor({1}, {1}), Int32Tensor({1}, {3})});
  EXPECT_EQ(int32_inputs.shape(), (std::vector<int64_t>{2, 4}));
}

TEST(TensorOpsSlice, Opset1Attributes) {
  Tensor y = Run1("Slice", {Iota({3, 4})}, {{"starts", IntsAttr({1})}, {"ends", IntsAttr({1000})}, {"axes", IntsAttr({1})}}, 1);
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{1, 2, 3, 5, 6, 7, 9, 10, 11}));
}

TEST(TensorOpsSlice, RejectsBadArguments) {
  Tensor x = Iota({3, 4});
  ExpectError([&] { Run1("Slice", {x, Int64Tensor({1}, {0}), Int64Tensor({1}, {2}), Int64Tensor({1}, {0}), Int64Tensor({1}, {0})}); },
              ErrorCode::InvalidArgument, "step");
  ExpectError([&] { Run1("Slice", {x, Int64Tensor({2}, {0, 0}), Int64Tensor({2}, {1, 1}), Int64Tensor({2}, {1, -1})}); },
              ErrorCode::InvalidArgument, "repeat");
  ExpectError([&] { Run1("Slice", {x, Int64Tensor({1}, {0}), Int64Tensor({1}, {1}), Int64Tensor({1}, {2})}); },
              ErrorCode::InvalidArgument, "out of range");
  ExpectError([&] { Run1("Slice", {x, Int64Tensor({2}, {0, 0}), Int64Tensor({1}, {1})}); }, ErrorCode::InvalidArgument,
              "same length");
  ExpectError([&] { Run1("Slice", {x, FloatTensor({1}, {0}), Int64Tensor({1}, {1})}); }, ErrorCode::InvalidArgument,
              "int64 or int32");
}

TEST(TensorOpsCompress, WithAndWithoutAxis) {
  Tensor x = Iota({3, 2});
  Tensor y = Run1("Compress", {x, BoolTensor({3}, {false, true, true})}, {{"axis", IntAttr(0)}});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{2, 3, 4, 5}));
  Tensor z = Run1("Compress", {x, BoolTensor({2}, {false, true})}, {{"axis", IntAttr(-1)}});
  EXPECT_EQ(ToVector<float>(z), (std::vector<float>{1, 3, 5}));
  Tensor flat = Run1("Compress", {x, BoolTensor({5}, {true, false, false, false, true})});
  EXPECT_EQ(ToVector<float>(flat), (std::vector<float>{0, 4}));
  ExpectError([&] { Run1("Compress", {x, BoolTensor({4}, {false, false, false, true})}, {{"axis", IntAttr(0)}}); },
              ErrorCode::InvalidArgument, "selects index 3");
}

TEST(TensorOpsReverseSequence, TimeMajorAndBatchMajor) {
  Tensor x = Iota({4, 2});  // time 4, batch 2
  Tensor y = Run1("ReverseSequence", {x, Int64Tensor({2}, {3, 1})}, {{"time_axis", IntAttr(0)}, {"batch_axis", IntAttr(1)}});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{4, 1, 2, 3, 0, 5, 6, 7}));
  Tensor b = Iota({2, 4});  // batch 2, time 4
  Tensor z = Run1("ReverseSequence", {b, Int64Tensor({2}, {4, 2})}, {{"time_axis", IntAttr(1)}, {"batch_axis", IntAttr(0)}});
  EXPECT_EQ(ToVector<float>(z), (std::vector<float>{3, 2, 1, 0, 5, 4, 6, 7}));
  ExpectError([&] { Run1("ReverseSequence", {x, Int64Tensor({2}, {5, 1})}); }, ErrorCode::InvalidArgument, "outside [0, 4]");
}

}  // namespace
}  // namespace onyx::testing
