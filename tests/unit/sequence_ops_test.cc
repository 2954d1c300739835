// Sequence and optional kernels: SequenceEmpty/Construct/Insert/At/Erase/Length, Optional,
// OptionalHasElement, OptionalGetElement.
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

Value Seq(std::vector<Tensor> items, DataType dt = DataType::Float) { return Value::Sequence(std::move(items), dt); }

std::vector<float> Floats(const Value& v, size_t i) { return ToVector<float>(v.sequence().at(i)); }

TEST(SequenceOps, EmptyHonoursDtype) {
  auto out = RunOpValues("SequenceEmpty", {}, 1, {}, 11);
  ASSERT_TRUE(out[0].is_sequence());
  EXPECT_TRUE(out[0].sequence().empty());
  EXPECT_EQ(out[0].sequence_elem_type(), DataType::Float);
  out = RunOpValues("SequenceEmpty", {}, 1, {{"dtype", IntAttr(7)}}, 11);
  EXPECT_EQ(out[0].sequence_elem_type(), DataType::Int64);
  ExpectError([] { RunOpValues("SequenceEmpty", {}, 1, {{"dtype", IntAttr(999)}}, 11); }, ErrorCode::InvalidGraph, "dtype 999");
}

TEST(SequenceOps, ConstructKeepsOrderAndChecksTypes) {
  auto out = RunOp("SequenceConstruct", {FloatTensor({2}, {1, 2}), FloatTensor({}, {3}), FloatTensor({0, 2}, {})}, 1, {}, 11);
  const Value& s = out[0];
  ASSERT_EQ(s.sequence().size(), 3u);
  EXPECT_EQ(Floats(s, 0), (std::vector<float>{1, 2}));
  EXPECT_EQ(s.sequence()[1].rank(), 0u);
  EXPECT_EQ(s.sequence()[2].shape(), (std::vector<int64_t>{0, 2}));
  ExpectError([] { RunOp("SequenceConstruct", {FloatTensor({1}, {1}), Int64Tensor({1}, {1})}, 1, {}, 11); },
              ErrorCode::InvalidArgument, "does not match");
}

TEST(SequenceOps, InsertAtBackFrontAndNegativePositions) {
  Value s = Seq({FloatTensor({1}, {0}), FloatTensor({1}, {1})});
  auto out = RunOpValues("SequenceInsert", {s, FloatTensor({1}, {9})}, 1, {}, 11);
  EXPECT_EQ(Floats(out[0], 2), (std::vector<float>{9}));
  out = RunOpValues("SequenceInsert", {s, FloatTensor({1}, {9}), Int64Tensor({}, {0})}, 1, {}, 11);
  EXPECT_EQ(Floats(out[0], 0), (std::vector<float>{9}));
  out = RunOpValues("SequenceInsert", {s, FloatTensor({1}, {9}), Int32Tensor({}, {-1})}, 1, {}, 11);
  ASSERT_EQ(out[0].sequence().size(), 3u);
  EXPECT_EQ(Floats(out[0], 1), (std::vector<float>{9}));  // before the last item
  out = RunOpValues("SequenceInsert", {s, FloatTensor({1}, {9}), Int64Tensor({}, {2})}, 1, {}, 11);
  EXPECT_EQ(Floats(out[0], 2), (std::vector<float>{9}));  // position n is the back
  EXPECT_EQ(s.sequence().size(), 2u);                     // the input sequence is unchanged
  ExpectError([&] { RunOpValues("SequenceInsert", {s, FloatTensor({1}, {9}), Int64Tensor({}, {3})}, 1, {}, 11); },
              ErrorCode::InvalidArgument, "out of range");
  ExpectError([&] { RunOpValues("SequenceInsert", {s, FloatTensor({1}, {9}), Int64Tensor({}, {-3})}, 1, {}, 11); },
              ErrorCode::InvalidArgument, "out of range");
  ExpectError([&] { RunOpValues("SequenceInsert", {s, Int64Tensor({1}, {9})}, 1, {}, 11); }, ErrorCode::InvalidArgument,
              "does not match the sequence element type");
  ExpectError([&] { RunOpValues("SequenceInsert", {Value(FloatTensor({1}, {0})), FloatTensor({1}, {9})}, 1, {}, 11); },
              ErrorCode::InvalidArgument, "should be a sequence");
}

TEST(SequenceOps, InsertIntoEmptySequence) {
  auto out = RunOpValues("SequenceInsert", {Seq({}, DataType::Int64), Int64Tensor({2}, {4, 5})}, 1, {}, 11);
  ASSERT_EQ(out[0].sequence().size(), 1u);
  EXPECT_EQ(ToVector<int64_t>(out[0].sequence()[0]), (std::vector<int64_t>{4, 5}));
}

TEST(SequenceOps, AtEraseLength) {
  Value s = Seq({FloatTensor({1}, {0}), FloatTensor({1}, {1}), FloatTensor({1}, {2})});
  EXPECT_EQ(ToVector<float>(RunOpValues("SequenceAt", {s, Int64Tensor({}, {1})}, 1, {}, 11)[0].tensor()), (std::vector<float>{1}));
  EXPECT_EQ(ToVector<float>(RunOpValues("SequenceAt", {s, Int64Tensor({}, {-3})}, 1, {}, 11)[0].tensor()), (std::vector<float>{0}));
  ExpectError([&] { RunOpValues("SequenceAt", {s, Int64Tensor({}, {3})}, 1, {}, 11); }, ErrorCode::InvalidArgument, "out of range");
  ExpectError([&] { RunOpValues("SequenceAt", {s, FloatTensor({}, {0})}, 1, {}, 11); }, ErrorCode::InvalidArgument, "int64 or int32");
  ExpectError([&] { RunOpValues("SequenceAt", {s, Int64Tensor({2}, {0, 1})}, 1, {}, 11); }, ErrorCode::InvalidArgument, "scalar");

  auto out = RunOpValues("SequenceErase", {s}, 1, {}, 11);
  ASSERT_EQ(out[0].sequence().size(), 2u);
  EXPECT_EQ(Floats(out[0], 1), (std::vector<float>{1}));
  out = RunOpValues("SequenceErase", {s, Int64Tensor({}, {-3})}, 1, {}, 11);
  EXPECT_EQ(Floats(out[0], 0), (std::vector<float>{1}));
  ExpectError([] { RunOpValues("SequenceErase", {Seq({})}, 1, {}, 11); }, ErrorCode::InvalidArgument, "empty sequence");

  Tensor len = RunOpValues("SequenceLength", {s}, 1, {}, 11)[0].tensor();
  EXPECT_EQ(len.rank(), 0u);
  EXPECT_EQ(len.dtype(), DataType::Int64);
  EXPECT_EQ(len.data<int64_t>()[0], 3);
  EXPECT_EQ(RunOpValues("SequenceLength", {Seq({})}, 1, {}, 11)[0].tensor().data<int64_t>()[0], 0);
}

TEST(SequenceOps, StringItems) {
  Value s = Seq({StringTensor({2}, {"a", "b"})}, DataType::String);
  auto out = RunOpValues("SequenceInsert", {s, StringTensor({1}, {"c"}), Int64Tensor({}, {0})}, 1, {}, 11);
  EXPECT_EQ(ToVector<std::string>(out[0].sequence()[0]), (std::vector<std::string>{"c"}));
  EXPECT_EQ(ToVector<std::string>(out[0].sequence()[1]), (std::vector<std::string>{"a", "b"}));
}

TEST(OptionalOps, WrapTestAndUnwrap) {
  Attribute type;
  type.type = Attribute::Type::TypeProto;
  auto out = RunOpValues("Optional", {Value()}, 1, {{"type", type}}, 15);
  EXPECT_TRUE(out[0].is_none());
  ExpectError([] { RunOpValues("Optional", {Value()}, 1, {}, 15); }, ErrorCode::InvalidGraph, "'type'");
  out = RunOpValues("Optional", {FloatTensor({1}, {5})}, 1, {}, 15);
  ASSERT_TRUE(out[0].is_tensor());

  auto has = [](const Value& v, int64_t opset) {
    return RunOpValues("OptionalHasElement", {v}, 1, {}, opset)[0].tensor().data<bool>()[0];
  };
  EXPECT_TRUE(has(FloatTensor({1}, {5}), 15));
  EXPECT_TRUE(has(Seq({}), 18));
  EXPECT_FALSE(has(Value(), 18));
  EXPECT_FALSE(RunOpValues("OptionalHasElement", {}, 1, {}, 18)[0].tensor().data<bool>()[0]);  // no input at all

  EXPECT_EQ(ToVector<float>(RunOpValues("OptionalGetElement", {FloatTensor({2}, {1, 2})}, 1, {}, 18)[0].tensor()),
            (std::vector<float>{1, 2}));
  out = RunOpValues("OptionalGetElement", {Seq({FloatTensor({1}, {3})})}, 1, {}, 18);
  ASSERT_TRUE(out[0].is_sequence());
  ExpectError([] { RunOpValues("OptionalGetElement", {Value()}, 1, {}, 18); }, ErrorCode::InvalidArgument, "empty");
}

}  // namespace
}  // namespace onyx::testing
