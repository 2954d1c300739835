// SplitToSequence, ConcatFromSequence, and SequenceMap (through a session, as it runs a body).
#include "model_builder.h"
#include "onyx/onyx.h"
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

std::vector<Tensor> Items(const Value& v) { return v.sequence(); }

TEST(SplitToSequence, NoSplitKeepdimsAndSqueeze) {
  Tensor x = Iota({2, 3});
  auto items = Items(RunOp("SplitToSequence", {x}, 1, {{"axis", IntAttr(1)}}, 11)[0]);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1].shape(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(ToVector<float>(items[1]), (std::vector<float>{1, 4}));
  items = Items(RunOp("SplitToSequence", {x}, 1, {{"axis", IntAttr(-1)}, {"keepdims", IntAttr(0)}}, 11)[0]);
  EXPECT_EQ(items[2].shape(), (std::vector<int64_t>{2}));
  EXPECT_EQ(ToVector<float>(items[2]), (std::vector<float>{2, 5}));
}

TEST(SplitToSequence, ScalarAndListSplits) {
  Tensor x = Iota({5, 2});
  auto items = Items(RunOp("SplitToSequence", {x, Int64Tensor({}, {2})}, 1, {{"keepdims", IntAttr(0)}}, 11)[0]);
  ASSERT_EQ(items.size(), 3u);  // 2 + 2 + 1, keepdims ignored with a split
  EXPECT_EQ(items[2].shape(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ToVector<float>(items[2]), (std::vector<float>{8, 9}));
  items = Items(RunOp("SplitToSequence", {x, Int32Tensor({3}, {1, 0, 4})}, 1, {}, 11)[0]);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1].shape(), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(ToVector<float>(items[2]), (std::vector<float>{2, 3, 4, 5, 6, 7, 8, 9}));
  ExpectError([&] { RunOp("SplitToSequence", {x, Int64Tensor({2}, {1, 1})}, 1, {}, 11); }, ErrorCode::InvalidArgument, "add up to 2");
  ExpectError([&] { RunOp("SplitToSequence", {x, Int64Tensor({}, {0})}, 1, {}, 11); }, ErrorCode::InvalidArgument, "positive");
  ExpectError([&] { RunOp("SplitToSequence", {x}, 1, {{"axis", IntAttr(2)}}, 11); }, ErrorCode::InvalidArgument, "out of range");
  ExpectError([&] { RunOp("SplitToSequence", {FloatTensor({}, {1})}, 1, {}, 11); }, ErrorCode::InvalidArgument, "scalar");
}

TEST(SplitToSequence, StringsAndEmptyAxis) {
  Tensor s = StringTensor({3}, {"a", "b", "c"});
  auto items = Items(RunOp("SplitToSequence", {s, Int64Tensor({2}, {2, 1})}, 1, {}, 11)[0]);
  EXPECT_EQ(ToVector<std::string>(items[0]), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(RunOp("SplitToSequence", {Iota({0, 3})}, 1, {}, 11)[0].sequence().size(), 0u);
}

TEST(ConcatFromSequence, ConcatAndStack) {
  Value s = Value::Sequence({Iota({2, 1}), FloatTensor({2, 2}, {10, 11, 12, 13})}, DataType::Float);
  Tensor y = RunOpValues("ConcatFromSequence", {s}, 1, {{"axis", IntAttr(-1)}}, 11)[0].tensor();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 10, 11, 1, 12, 13}));
  ExpectError([&] { RunOpValues("ConcatFromSequence", {s}, 1, {{"axis", IntAttr(0)}}, 11); }, ErrorCode::InvalidArgument, "does not match");
  ExpectError([&] { RunOpValues("ConcatFromSequence", {s}, 1, {}, 11); }, ErrorCode::InvalidGraph, "'axis'");

  Value same = Value::Sequence({FloatTensor({2}, {1, 2}), FloatTensor({2}, {3, 4})}, DataType::Float);
  y = RunOpValues("ConcatFromSequence", {same}, 1, {{"axis", IntAttr(1)}, {"new_axis", IntAttr(1)}}, 11)[0].tensor();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{1, 3, 2, 4}));
  y = RunOpValues("ConcatFromSequence", {same}, 1, {{"axis", IntAttr(-2)}, {"new_axis", IntAttr(1)}}, 11)[0].tensor();
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{1, 2, 3, 4}));
  ExpectError([&] { RunOpValues("ConcatFromSequence", {same}, 1, {{"axis", IntAttr(2)}, {"new_axis", IntAttr(1)}}, 11); },
              ErrorCode::InvalidArgument, "out of range");
  ExpectError([] { RunOpValues("ConcatFromSequence", {Value::Sequence({}, DataType::Float)}, 1, {{"axis", IntAttr(0)}}, 11); },
              ErrorCode::InvalidArgument, "empty sequence");
}

TEST(ConcatFromSequence, ScalarsStackAndStringsConcat) {
  Value scalars = Value::Sequence({FloatTensor({}, {1}), FloatTensor({}, {2})}, DataType::Float);
  Tensor y = RunOpValues("ConcatFromSequence", {scalars}, 1, {{"axis", IntAttr(0)}, {"new_axis", IntAttr(1)}}, 11)[0].tensor();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2}));
  ExpectError([&] { RunOpValues("ConcatFromSequence", {scalars}, 1, {{"axis", IntAttr(0)}}, 11); }, ErrorCode::InvalidArgument, "rank 0");
  Value strs = Value::Sequence({StringTensor({1}, {"x"}), StringTensor({0}, {}), StringTensor({2}, {"y", "z"})}, DataType::String);
  y = RunOpValues("ConcatFromSequence", {strs}, 1, {{"axis", IntAttr(0)}}, 11)[0].tensor();
  EXPECT_EQ(ToVector<std::string>(y), (std::vector<std::string>{"x", "y", "z"}));
}

TEST(SequenceMap, BodyRunsPerItemWithBroadcastTensor) {
  // y = ConcatFromSequence(SequenceMap(SplitToSequence(x), b; body: Add), axis 0)
  GraphBuilder body;
  body.Name("body").Input("item", DataType::Float, {int64_t(1), int64_t(2)}).Input("bias", DataType::Float, {int64_t(2)});
  body.Output("sum", DataType::Float).Output("shape", DataType::Int64);
  body.Node("Add", {"item", "bias"}, {"sum"}).Node("Shape", {"item"}, {"shape"});
  GraphBuilder g;
  g.Name("main").Input("x", DataType::Float, {std::string("N"), int64_t(2)}).Input("b", DataType::Float, {int64_t(2)});
  g.Output("y", DataType::Float).Output("n", DataType::Int64);
  g.Node("SplitToSequence", {"x"}, {"seq"}, {IntAttribute("axis", 0)});
  g.Node("SequenceMap", {"seq", "b"}, {"mapped", "shapes"}, {GraphAttribute("body", body.proto())});
  g.Node("ConcatFromSequence", {"mapped"}, {"y"}, {IntAttribute("axis", 0)});
  g.Node("SequenceLength", {"shapes"}, {"n"});
  std::string bytes = BuildModel(g, 17);
  Session s(bytes.data(), bytes.size());
  auto out = s.Run({{"x", Iota({3, 2})}, {"b", FloatTensor({2}, {10, 20})}});
  EXPECT_EQ(out[0].shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ToVector<float>(out[0]), (std::vector<float>{10, 21, 12, 23, 14, 25}));
  EXPECT_EQ(out[1].data<int64_t>()[0], 3);
}

}  // namespace
}  // namespace onyx::testing
