// TfIdfVectorizer and ai.onnx.ml LabelEncoder.
#include <cmath>

#include "core/node_evaluator.h"
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

std::map<std::string, Attribute> TfIdfAttrs(int64_t min_n, int64_t max_n, int64_t skip, const std::string& mode) {
  return {{"min_gram_length", IntAttr(min_n)}, {"max_gram_length", IntAttr(max_n)}, {"max_skip_count", IntAttr(skip)},
          {"mode", StringAttr(mode)}, {"ngram_counts", IntsAttr({0, 4})}, {"ngram_indexes", IntsAttr({0, 1, 2, 3, 4, 5, 6})},
          {"pool_int64s", IntsAttr({2, 3, 5, 4, 5, 6, 7, 8, 6, 7})}};
}

TEST(TfIdfVectorizer, UnigramsBigramsAndSkips) {
  Tensor x = Int64Tensor({6}, {2, 3, 5, 6, 7, 3});
  Tensor y = Run1("TfIdfVectorizer", {x}, TfIdfAttrs(1, 2, 0, "TF"), 9);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{7}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{1, 2, 1, 0, 1, 0, 1}));
  // Unigrams are counted once even when several skip distances are tried.
  y = Run1("TfIdfVectorizer", {Int32Tensor({4}, {5, 1, 6, 7})}, TfIdfAttrs(1, 2, 1, "TF"), 9);
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 0, 1, 0, 1, 0, 1}));
  y = Run1("TfIdfVectorizer", {Int32Tensor({4}, {5, 1, 6, 7})}, TfIdfAttrs(2, 2, 0, "TF"), 9);
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 0, 0, 0, 0, 0, 1}));
}

TEST(TfIdfVectorizer, BatchesAndModes) {
  Tensor x = Int64Tensor({2, 6}, {1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8});
  Tensor y = Run1("TfIdfVectorizer", {x}, TfIdfAttrs(2, 2, 0, "TF"), 9);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 7}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}));

  Tensor x1 = Int64Tensor({6}, {2, 3, 5, 6, 7, 3});
  auto attrs = TfIdfAttrs(1, 2, 0, "IDF");
  EXPECT_EQ(ToVector<float>(Run1("TfIdfVectorizer", {x1}, attrs, 9)), (std::vector<float>{1, 1, 1, 0, 1, 0, 1}));
  attrs["weights"] = FloatsAttr({0.5f, 0.25f, 2, 3, 4, 5, 6});
  EXPECT_EQ(ToVector<float>(Run1("TfIdfVectorizer", {x1}, attrs, 9)), (std::vector<float>{0.5f, 0.25f, 2, 0, 4, 0, 6}));
  attrs["mode"] = StringAttr("TFIDF");
  EXPECT_EQ(ToVector<float>(Run1("TfIdfVectorizer", {x1}, attrs, 9)), (std::vector<float>{0.5f, 0.5f, 2, 0, 4, 0, 6}));
  // The j-th weight belongs to the j-th pool n-gram, wherever ngram_indexes puts its column.
  attrs["ngram_indexes"] = IntsAttr({6, 5, 4, 3, 2, 1, 0});
  EXPECT_EQ(ToVector<float>(Run1("TfIdfVectorizer", {x1}, attrs, 9)), (std::vector<float>{6, 0, 4, 0, 2, 0.5f, 0.5f}));
  attrs["weights"] = FloatsAttr({1, 2});
  ExpectError([&] { Run1("TfIdfVectorizer", {x1}, attrs, 9); }, ErrorCode::InvalidGraph, "weights has 2 values");
}

TEST(TfIdfVectorizer, StringPoolAndEmptyInput) {
  std::map<std::string, Attribute> attrs = {
      {"min_gram_length", IntAttr(1)}, {"max_gram_length", IntAttr(2)}, {"max_skip_count", IntAttr(0)},
      {"mode", StringAttr("TF")},      {"ngram_counts", IntsAttr({0, 3})}, {"ngram_indexes", IntsAttr({0, 1, 2, 3})},
      {"pool_strings", StringsAttr({"a", "b", "c", "a", "b"})}};
  Tensor y = Run1("TfIdfVectorizer", {StringTensor({1, 5}, {"a", "b", "x", "a", "b"})}, attrs, 9);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{2, 2, 0, 2}));
  y = Run1("TfIdfVectorizer", {StringTensor({0}, {})}, attrs, 9);
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 0, 0, 0}));
  ExpectError([&] { Run1("TfIdfVectorizer", {Int64Tensor({1}, {1})}, attrs, 9); }, ErrorCode::InvalidArgument, "does not match");
}

TEST(TfIdfVectorizer, BadAttributes) {
  auto attrs = TfIdfAttrs(1, 2, 0, "TF");
  attrs["ngram_counts"] = IntsAttr({0, 3});  // 7 pool items after 3 do not form bigrams
  ExpectError([&] { Run1("TfIdfVectorizer", {Int64Tensor({1}, {1})}, attrs, 9); }, ErrorCode::InvalidGraph, "ngram_counts");
  attrs = TfIdfAttrs(1, 2, 0, "BM25");
  ExpectError([&] { Run1("TfIdfVectorizer", {Int64Tensor({1}, {1})}, attrs, 9); }, ErrorCode::InvalidGraph, "BM25");
  attrs = TfIdfAttrs(1, 2, 0, "TF");
  attrs["ngram_indexes"] = IntsAttr({0, 1});
  ExpectError([&] { Run1("TfIdfVectorizer", {Int64Tensor({1}, {1})}, attrs, 9); }, ErrorCode::InvalidGraph, "more n-grams");
  ExpectError([] { Run1("TfIdfVectorizer", {Int64Tensor({1, 1, 1}, {1})}, TfIdfAttrs(1, 2, 0, "TF"), 9); }, ErrorCode::InvalidArgument,
              "[N, C]");
}

Tensor RunLabelEncoder(const Tensor& x, std::map<std::string, Attribute> attrs, int64_t opset) {
  Node node;
  node.op_type = "LabelEncoder";
  node.domain = "ai.onnx.ml";
  node.name = "test_LabelEncoder";
  node.opset = opset;
  node.attributes = std::move(attrs);
  node.inputs = {"x"};
  node.outputs = {"y"};
  return EvaluateNode(node, {Value(x)}, TestRegistry(), kCpuProvider)[0].tensor();
}

TEST(LabelEncoder, Opset1BothDirections) {
  std::map<std::string, Attribute> attrs = {{"classes_strings", StringsAttr({"a", "b", "c"})}};
  Tensor y = RunLabelEncoder(StringTensor({2, 2}, {"c", "a", "z", "b"}), attrs, 1);
  EXPECT_EQ(y.dtype(), DataType::Int64);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<int64_t>(y), (std::vector<int64_t>{2, 0, -1, 1}));
  y = RunLabelEncoder(Int64Tensor({3}, {1, 7, -1}), attrs, 1);
  EXPECT_EQ(ToVector<std::string>(y), (std::vector<std::string>{"b", "_Unused", "_Unused"}));
  attrs["default_string"] = StringAttr("?");
  EXPECT_EQ(ToVector<std::string>(RunLabelEncoder(Int64Tensor({1}, {3}), attrs, 1)), (std::vector<std::string>{"?"}));
}

TEST(LabelEncoder, Opset2Lists) {
  std::map<std::string, Attribute> attrs = {{"keys_floats", FloatsAttr({1.5f, NAN, -2})}, {"values_strings", StringsAttr({"x", "nan", "y"})}};
  Tensor y = RunLabelEncoder(FloatTensor({4}, {-2, NAN, 0, 1.5f}), attrs, 4);
  EXPECT_EQ(ToVector<std::string>(y), (std::vector<std::string>{"y", "nan", "_Unused", "x"}));
  y = RunLabelEncoder(FloatTensor({4}, {-2, NAN, 0, 1.5f}), attrs, 2);  // NaN keys match nothing before opset 4
  EXPECT_EQ(ToVector<std::string>(y), (std::vector<std::string>{"y", "_Unused", "_Unused", "x"}));
  attrs = {{"keys_int64s", IntsAttr({3, 4})}, {"values_floats", FloatsAttr({0.5f, 1.5f})}};
  y = RunLabelEncoder(Int64Tensor({3}, {4, 5, 3}), attrs, 2);
  EXPECT_EQ(ToVector<float>(y)[0], 1.5f);
  EXPECT_TRUE(std::signbit(ToVector<float>(y)[1]));  // default -0.0
  attrs["default_float"] = FloatAttr(7);
  EXPECT_EQ(ToVector<float>(RunLabelEncoder(Int64Tensor({1}, {9}), attrs, 2)), (std::vector<float>{7}));
  ExpectError([&] { RunLabelEncoder(StringTensor({1}, {"a"}), attrs, 2); }, ErrorCode::InvalidArgument, "does not match");
  attrs = {{"keys_int64s", IntsAttr({3, 4})}, {"values_floats", FloatsAttr({0.5f})}};
  ExpectError([&] { RunLabelEncoder(Int64Tensor({1}, {3}), attrs, 2); }, ErrorCode::InvalidGraph, "2 keys but 1 values");
  attrs = {{"keys_int64s", IntsAttr({3})}, {"keys_strings", StringsAttr({"a"})}, {"values_floats", FloatsAttr({0.5f})}};
  ExpectError([&] { RunLabelEncoder(Int64Tensor({1}, {3}), attrs, 2); }, ErrorCode::InvalidGraph, "exactly one of keys");
}

TEST(LabelEncoder, Opset4Tensors) {
  Tensor keys = MakeTensor<int16_t>(DataType::Int16, {3}, {1, 2, 3});
  Tensor values = MakeTensor<double>(DataType::Double, {3}, {0.1, 0.2, 0.3});
  Tensor dflt = MakeTensor<double>(DataType::Double, {1}, {9.5});
  std::map<std::string, Attribute> attrs = {{"keys_tensor", TensorAttr(keys)}, {"values_tensor", TensorAttr(values)}, {"default_tensor", TensorAttr(dflt)}};
  Tensor y = RunLabelEncoder(MakeTensor<int16_t>(DataType::Int16, {3}, {3, 4, 1}), attrs, 4);
  EXPECT_EQ(y.dtype(), DataType::Double);
  EXPECT_EQ(ToVector<double>(y), (std::vector<double>{0.3, 9.5, 0.1}));
  attrs.erase("default_tensor");
  EXPECT_EQ(ToVector<double>(RunLabelEncoder(MakeTensor<int16_t>(DataType::Int16, {1}, {0}), attrs, 4))[0], -0.0);
  attrs["default_tensor"] = TensorAttr(Int64Tensor({1}, {1}));
  ExpectError([&] { RunLabelEncoder(keys, attrs, 4); }, ErrorCode::InvalidGraph, "default_tensor");
}

}  // namespace
}  // namespace onyx::testing
