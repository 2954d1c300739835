// Identity, Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size.
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

TEST(TensorOpsIdentity, ForwardsTensorsSequencesAndNone) {
  Tensor x = StringTensor({2}, {"a", "b"});
  Tensor y = Run1("Identity", {x});
  EXPECT_EQ(y.data<std::string>(), x.data<std::string>());  // shares storage

  Value seq = Value::Sequence({Iota({2})}, DataType::Float);
  std::vector<Value> out = RunOpValues("Identity", {seq}, 1, {}, 16);
  ASSERT_TRUE(out[0].is_sequence());
  EXPECT_EQ(out[0].sequence().size(), 1u);
  // An omitted (empty optional) input passes through as None.
  Node node;
  node.op_type = "Identity";
  node.opset = 16;
  node.inputs = {"in"};
  node.outputs = {"out"};
  std::vector<Value> none_out = EvaluateNode(node, {Value()}, TestRegistry(), kCpuProvider);
  EXPECT_TRUE(none_out[0].is_none());
}

TEST(TensorOpsReshape, ZeroCopiesDimAndMinusOneInfers) {
  Tensor x = Iota({2, 3, 4});
  Tensor y = Run1("Reshape", {x, Int64Tensor({3}, {0, -1, 2})});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 6, 2}));
  EXPECT_EQ(y.raw_data(), x.raw_data());  // a view, no copy
  EXPECT_EQ(Run1("Reshape", {x, Int64Tensor({1}, {-1})}).shape(), (std::vector<int64_t>{24}));
}

TEST(TensorOpsReshape, AllowZeroKeepsZeroDims) {
  Tensor x(DataType::Float, {0, 3});
  Tensor y = Run1("Reshape", {x, Int64Tensor({3}, {3, 0, 5})}, {{"allowzero", IntAttr(1)}}, 14);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{3, 0, 5}));
  ExpectError([&] { Run1("Reshape", {x, Int64Tensor({2}, {0, -1})}, {{"allowzero", IntAttr(1)}}, 14); },
              ErrorCode::InvalidArgument, "both 0 and -1");
}

TEST(TensorOpsReshape, Opset1ReadsTheShapeAttribute) {
  Tensor y = Run1("Reshape", {Iota({6})}, {{"shape", IntsAttr({3, 2})}}, 1);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{3, 2}));
}

TEST(TensorOpsReshape, RejectsBadShapes) {
  Tensor x = Iota({2, 3});
  ExpectError([&] { Run1("Reshape", {x, Int64Tensor({2}, {4, 2})}); }, ErrorCode::InvalidArgument, "cannot reshape");
  ExpectError([&] { Run1("Reshape", {x, Int64Tensor({2}, {-1, -1})}); }, ErrorCode::InvalidArgument, "more than one -1");
  ExpectError([&] { Run1("Reshape", {x, Int64Tensor({2}, {-1, 4})}); }, ErrorCode::InvalidArgument, "cannot reshape");
  ExpectError([&] { Run1("Reshape", {x, Int64Tensor({3}, {1, 1, 0})}); }, ErrorCode::InvalidArgument, "copies dimension 2");
  ExpectError([&] { Run1("Reshape", {x, Int64Tensor({2}, {-2, 3})}); }, ErrorCode::InvalidArgument, "negative");
}

TEST(TensorOpsFlatten, AxisVariants) {
  Tensor x = Iota({2, 3, 4});
  EXPECT_EQ(Run1("Flatten", {x}).shape(), (std::vector<int64_t>{2, 12}));
  EXPECT_EQ(Run1("Flatten", {x}, {{"axis", IntAttr(0)}}).shape(), (std::vector<int64_t>{1, 24}));
  EXPECT_EQ(Run1("Flatten", {x}, {{"axis", IntAttr(3)}}).shape(), (std::vector<int64_t>{24, 1}));
  EXPECT_EQ(Run1("Flatten", {x}, {{"axis", IntAttr(-1)}}).shape(), (std::vector<int64_t>{6, 4}));
  ExpectError([&] { Run1("Flatten", {x}, {{"axis", IntAttr(4)}}); }, ErrorCode::InvalidArgument, "out of range");
}

TEST(TensorOpsSqueeze, AttributeAndInputForms) {
  Tensor x = Iota({1, 3, 1, 2});
  EXPECT_EQ(Run1("Squeeze", {x}, {}, 13).shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(Run1("Squeeze", {x, Int64Tensor({1}, {-2})}, {}, 13).shape(), (std::vector<int64_t>{1, 3, 2}));
  EXPECT_EQ(Run1("Squeeze", {x}, {{"axes", IntsAttr({0})}}, 11).shape(), (std::vector<int64_t>{3, 1, 2}));
  ExpectError([&] { Run1("Squeeze", {x, Int64Tensor({1}, {1})}, {}, 13); }, ErrorCode::InvalidArgument, "its size is not 1");
  ExpectError([&] { Run1("Squeeze", {x, Int64Tensor({1}, {4})}, {}, 13); }, ErrorCode::InvalidArgument, "out of range");
}

TEST(TensorOpsUnsqueeze, AttributeAndInputForms) {
  Tensor x = Iota({3, 2});
  EXPECT_EQ(Run1("Unsqueeze", {x, Int64Tensor({2}, {0, -1})}, {}, 13).shape(), (std::vector<int64_t>{1, 3, 2, 1}));
  EXPECT_EQ(Run1("Unsqueeze", {x}, {{"axes", IntsAttr({1})}}, 11).shape(), (std::vector<int64_t>{3, 1, 2}));
  EXPECT_EQ(Run1("Unsqueeze", {Tensor(DataType::Float, {})}, {{"axes", IntsAttr({0})}}, 1).shape(), (std::vector<int64_t>{1}));
  ExpectError([&] { Run1("Unsqueeze", {x, Int64Tensor({2}, {1, 1})}, {}, 13); }, ErrorCode::InvalidArgument, "repeat");
  ExpectError([&] { Run1("Unsqueeze", {x, Int64Tensor({1}, {3})}, {}, 13); }, ErrorCode::InvalidArgument, "out of range");
}

TEST(TensorOpsShape, StartAndEndSlice) {
  Tensor x = Iota({2, 3, 4, 5});
  EXPECT_EQ(ToVector<int64_t>(Run1("Shape", {x})), (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(ToVector<int64_t>(Run1("Shape", {x}, {{"start", IntAttr(1)}, {"end", IntAttr(-1)}}, 15)), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(ToVector<int64_t>(Run1("Shape", {x}, {{"start", IntAttr(-10)}, {"end", IntAttr(10)}}, 15)),
            (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(Run1("Shape", {x}, {{"start", IntAttr(3)}, {"end", IntAttr(1)}}, 15).size(), 0);
  EXPECT_EQ(Run1("Shape", {Tensor(DataType::Float, {})}).shape(), (std::vector<int64_t>{0}));
}

TEST(TensorOpsSize, CountsElements) {
  Tensor y = Run1("Size", {StringTensor({2, 3}, {"", "", "", "", "", ""})});
  EXPECT_EQ(y.rank(), 0u);
  EXPECT_EQ(y.data<int64_t>()[0], 6);
}

}  // namespace
}  // namespace onyx::testing
