// ai.onnx.ml tree ensembles, ArrayFeatureExtractor and Binarizer: results on small hand-made
// trees, and the refusal of malformed attributes (bad ids, cycles, mismatched lengths).
#include <cmath>

#include "core/node_evaluator.h"
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

std::vector<Value> RunMl(const std::string& op, const std::vector<Tensor>& inputs, std::map<std::string, Attribute> attrs,
                         int64_t opset, size_t num_outputs = 1) {
  Node node;
  node.op_type = op;
  node.domain = "ai.onnx.ml";
  node.name = "test_" + op;
  node.opset = opset;
  node.attributes = std::move(attrs);
  std::vector<Value> values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    node.inputs.push_back("in" + std::to_string(i));
    values.emplace_back(inputs[i]);
  }
  for (size_t i = 0; i < num_outputs; ++i) node.outputs.push_back("out" + std::to_string(i));
  return EvaluateNode(node, values, TestRegistry(), kCpuProvider);
}

Tensor Uint8Tensor(std::vector<int64_t> shape, std::vector<uint8_t> v) { return MakeTensor<uint8_t>(DataType::UInt8, std::move(shape), std::move(v)); }

// Node 0: x0 <= 1 ? node 1 : leaf 2.  Node 1: x1 in {2, 5} (NaN goes true) ? leaf 0 : leaf 1.
std::map<std::string, Attribute> SmallTree() {
  return {{"nodes_featureids", IntsAttr({0, 1})},
          {"nodes_modes", TensorAttr(Uint8Tensor({2}, {0, 6}))},
          {"nodes_splits", TensorAttr(FloatTensor({2}, {1, 0}))},
          {"nodes_truenodeids", IntsAttr({1, 0})},
          {"nodes_trueleafs", IntsAttr({0, 1})},
          {"nodes_falsenodeids", IntsAttr({2, 1})},
          {"nodes_falseleafs", IntsAttr({1, 1})},
          {"nodes_missing_value_tracks_true", IntsAttr({0, 1})},
          {"membership_values", TensorAttr(FloatTensor({3}, {5, 2, NAN}))},
          {"leaf_targetids", IntsAttr({0, 1, 0})},
          {"leaf_weights", TensorAttr(FloatTensor({3}, {10, 20, 30}))},
          {"tree_roots", IntsAttr({0})},
          {"n_targets", IntAttr(2)}};
}

Tensor RunTree(const Tensor& x, std::map<std::string, Attribute> attrs) { return RunMl("TreeEnsemble", {x}, std::move(attrs), 5)[0].tensor(); }

TEST(MlTreeEnsemble, WalksBranchesMembershipAndMissingValues) {
  Tensor x = FloatTensor({5, 2}, {0, 2, 0, 3, 0, NAN, 2, 2, NAN, 5});
  Tensor y = RunTree(x, SmallTree());
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{5, 2}));
  // NaN in x0 does not track true at node 0, so that row goes to leaf 2.
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{10, 0, 0, 20, 10, 0, 30, 0, 30, 0}));
  auto attrs = SmallTree();
  attrs["tree_roots"] = IntsAttr({0, 0});
  attrs["aggregate_function"] = IntAttr(0);  // AVERAGE of two identical trees
  EXPECT_EQ(ToVector<float>(RunTree(x, attrs)), (std::vector<float>{10, 0, 0, 20, 10, 0, 30, 0, 30, 0}));
  attrs["post_transform"] = IntAttr(2);  // LOGISTIC
  EXPECT_NEAR(ToVector<float>(RunTree(x, attrs))[1], 0.5f, 1e-6f);
}

TEST(MlTreeEnsemble, RefusesMalformedTrees) {
  auto attrs = SmallTree();
  attrs["nodes_truenodeids"] = IntsAttr({1, 0});
  attrs["nodes_trueleafs"] = IntsAttr({0, 0});  // node 1 -> node 0 -> node 1
  Tensor x = FloatTensor({1, 2}, {0, 0});
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "cycle");
  attrs = SmallTree();
  attrs["nodes_truenodeids"] = IntsAttr({1, 1});
  attrs["nodes_trueleafs"] = IntsAttr({0, 0});  // node 1 loops on itself
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "cycle");
  attrs = SmallTree();
  attrs["nodes_truenodeids"] = IntsAttr({7, 0});
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "nodes_truenodeids[0] is 7");
  attrs = SmallTree();
  attrs["nodes_falsenodeids"] = IntsAttr({-1, 1});
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "nodes_falsenodeids[0] is -1");
  attrs = SmallTree();
  attrs["nodes_splits"] = TensorAttr(FloatTensor({3}, {1, 0, 0}));
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "nodes_splits has 3 values");
  attrs = SmallTree();
  attrs["leaf_targetids"] = IntsAttr({0, 1});
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "leaf_weights has 3 values");
  attrs = SmallTree();
  attrs["leaf_targetids"] = IntsAttr({0, 2, 0});
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "target 2");
  attrs = SmallTree();
  attrs["tree_roots"] = IntsAttr({2});
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "tree_roots holds 2");
  attrs = SmallTree();
  attrs["membership_values"] = TensorAttr(FloatTensor({2}, {5, 2}));
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "membership_values");
  attrs = SmallTree();
  attrs["nodes_modes"] = TensorAttr(Uint8Tensor({2}, {0, 7}));
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "nodes_modes[1]");
  attrs = SmallTree();
  attrs["nodes_featureids"] = IntsAttr({0, -3});
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "feature -3");
  attrs = SmallTree();
  attrs["n_targets"] = IntAttr(0);
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "n_targets");
  attrs = SmallTree();
  attrs["aggregate_function"] = IntAttr(9);
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "aggregate_function");
  attrs = SmallTree();
  attrs.erase("nodes_splits");
  ExpectError([&] { RunTree(x, attrs); }, ErrorCode::InvalidGraph, "nodes_splits");
  ExpectError([&] { RunTree(MakeTensor<double>(DataType::Double, {1, 2}, {0, 0}), SmallTree()); }, ErrorCode::InvalidArgument, "same type");
  // Too few features for the trees is the input's fault.
  ExpectError([&] { RunTree(FloatTensor({1, 1}, {0}), SmallTree()); }, ErrorCode::InvalidArgument, "features");
}

// Tree 0: node 0 (x0 < 0.5) -> node 1 (leaf, +1 for target 0) / node 2 (leaf, +2 for target 1).
std::map<std::string, Attribute> LegacyTree() {
  return {{"nodes_treeids", IntsAttr({0, 0, 0})},
          {"nodes_nodeids", IntsAttr({0, 1, 2})},
          {"nodes_featureids", IntsAttr({0, 0, 0})},
          {"nodes_modes", StringsAttr({"BRANCH_LT", "LEAF", "LEAF"})},
          {"nodes_values", FloatsAttr({0.5f, 0, 0})},
          {"nodes_truenodeids", IntsAttr({1, 0, 0})},
          {"nodes_falsenodeids", IntsAttr({2, 0, 0})},
          {"target_treeids", IntsAttr({0, 0})},
          {"target_nodeids", IntsAttr({1, 2})},
          {"target_ids", IntsAttr({0, 1})},
          {"target_weights", FloatsAttr({1, 2})},
          {"n_targets", IntAttr(2)}};
}

Tensor RunRegressor(const Tensor& x, std::map<std::string, Attribute> attrs) {
  return RunMl("TreeEnsembleRegressor", {x}, std::move(attrs), 3)[0].tensor();
}

TEST(MlTreeEnsembleRegressor, ResultsAndRefusals) {
  Tensor x = FloatTensor({3, 1}, {0, 1, NAN});
  auto attrs = LegacyTree();
  attrs["base_values"] = FloatsAttr({0.5f, 0});
  EXPECT_EQ(ToVector<float>(RunRegressor(x, attrs)), (std::vector<float>{1.5f, 0, 0.5f, 2, 0.5f, 2}));
  attrs = LegacyTree();
  attrs["nodes_nodeids"] = IntsAttr({0, 1, 1});
  ExpectError([&] { RunRegressor(x, attrs); }, ErrorCode::InvalidGraph, "node id 1 twice");
  attrs = LegacyTree();
  attrs["nodes_falsenodeids"] = IntsAttr({5, 0, 0});
  ExpectError([&] { RunRegressor(x, attrs); }, ErrorCode::InvalidGraph, "does not exist");
  attrs = LegacyTree();
  attrs["nodes_modes"] = StringsAttr({"BRANCH_LT", "BRANCH_LEQ", "LEAF"});  // node 1 -> node 0
  attrs["target_nodeids"] = IntsAttr({2, 2});
  ExpectError([&] { RunRegressor(x, attrs); }, ErrorCode::InvalidGraph, "cycle");
  attrs = LegacyTree();
  attrs["nodes_modes"] = StringsAttr({"BRANCH_XX", "LEAF", "LEAF"});
  ExpectError([&] { RunRegressor(x, attrs); }, ErrorCode::InvalidGraph, "BRANCH_XX");
  attrs = LegacyTree();
  attrs["target_nodeids"] = IntsAttr({0, 2});
  ExpectError([&] { RunRegressor(x, attrs); }, ErrorCode::InvalidGraph, "branch node");
  attrs = LegacyTree();
  attrs["target_weights"] = FloatsAttr({1});
  ExpectError([&] { RunRegressor(x, attrs); }, ErrorCode::InvalidGraph, "target_weights has 1 values");
  attrs = LegacyTree();
  attrs["nodes_values"] = FloatsAttr({0.5f});
  ExpectError([&] { RunRegressor(x, attrs); }, ErrorCode::InvalidGraph, "nodes_values has 1 values");
  attrs = LegacyTree();
  attrs["base_values"] = FloatsAttr({1, 2, 3});
  ExpectError([&] { RunRegressor(x, attrs); }, ErrorCode::InvalidGraph, "base_values");
  attrs = LegacyTree();
  attrs["aggregate_function"] = StringAttr("MEDIAN");
  ExpectError([&] { RunRegressor(x, attrs); }, ErrorCode::InvalidGraph, "MEDIAN");
  attrs = LegacyTree();
  attrs["nodes_treeids"] = IntsAttr({0, 0, 1});  // tree 1 has no node 0
  ExpectError([&] { RunRegressor(x, attrs); }, ErrorCode::InvalidGraph, "does not exist");
}

TEST(MlTreeEnsembleClassifier, LabelsScoresAndRefusals) {
  auto attrs = LegacyTree();
  for (const char* k : {"target_treeids", "target_nodeids", "target_ids", "target_weights"}) {
    std::string name = std::string("class") + (k + 6);
    attrs[name] = attrs[k];
    attrs.erase(k);
  }
  attrs.erase("n_targets");
  attrs["classlabels_strings"] = StringsAttr({"a", "b", "c"});
  auto out = RunMl("TreeEnsembleClassifier", {FloatTensor({2, 1}, {0, 1})}, attrs, 3, 2);
  EXPECT_EQ(ToVector<std::string>(out[0].tensor()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ToVector<float>(out[1].tensor()), (std::vector<float>{1, 0, 0, 0, 2, 0}));
  attrs["classlabels_int64s"] = IntsAttr({1, 2, 3});
  ExpectError([&] { RunMl("TreeEnsembleClassifier", {FloatTensor({1, 1}, {0})}, attrs, 3, 2); }, ErrorCode::InvalidGraph, "exactly one");
  attrs.erase("classlabels_strings");
  attrs["class_ids"] = IntsAttr({0, 3});
  ExpectError([&] { RunMl("TreeEnsembleClassifier", {FloatTensor({1, 1}, {0})}, attrs, 3, 2); }, ErrorCode::InvalidGraph, "target 3");
}

TEST(MlArrayFeatureExtractor, GathersLastAxis) {
  Tensor x = FloatTensor({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor y = RunMl("ArrayFeatureExtractor", {x, Int64Tensor({2}, {2, 0})}, {}, 1)[0].tensor();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{3, 1, 6, 4}));
  y = RunMl("ArrayFeatureExtractor", {FloatTensor({3}, {1, 2, 3}), Int64Tensor({1}, {1})}, {}, 1)[0].tensor();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 1}));
  ExpectError([&] { RunMl("ArrayFeatureExtractor", {x, Int64Tensor({1}, {3})}, {}, 1); }, ErrorCode::InvalidArgument, "out of range");
  ExpectError([&] { RunMl("ArrayFeatureExtractor", {x, Int64Tensor({1}, {-1})}, {}, 1); }, ErrorCode::InvalidArgument, "out of range");
}

TEST(MlCategoryMapper, BothDirectionsAndRefusal) {
  std::map<std::string, Attribute> attrs = {{"cats_strings", StringsAttr({"a", "b"})}, {"cats_int64s", IntsAttr({4, 5})}};
  Tensor y = RunMl("CategoryMapper", {StringTensor({3}, {"b", "z", "a"})}, attrs, 1)[0].tensor();
  EXPECT_EQ(ToVector<int64_t>(y), (std::vector<int64_t>{5, -1, 4}));
  y = RunMl("CategoryMapper", {Int64Tensor({2}, {4, 6})}, attrs, 1)[0].tensor();
  EXPECT_EQ(ToVector<std::string>(y), (std::vector<std::string>{"a", "_Unused"}));
  attrs["cats_int64s"] = IntsAttr({4});
  ExpectError([&] { RunMl("CategoryMapper", {Int64Tensor({1}, {4})}, attrs, 1); }, ErrorCode::InvalidGraph, "cats_int64s has 1 values");
}

TEST(MlSVMRegressor, RbfAndRefusals) {
  std::map<std::string, Attribute> attrs = {{"kernel_type", StringAttr("RBF")}, {"n_supports", IntAttr(2)},
                                            {"coefficients", FloatsAttr({1, -2})}, {"rho", FloatsAttr({0.5f})},
                                            {"support_vectors", FloatsAttr({0, 0, 1, 1})}, {"kernel_params", FloatsAttr({1, 0, NAN})}};
  Tensor y = RunMl("SVMRegressor", {FloatTensor({1, 2}, {0, 0})}, attrs, 1)[0].tensor();
  EXPECT_NEAR(ToVector<float>(y)[0], 1.5f - 2 * std::exp(-2.0f), 1e-6f);
  ExpectError([&] { RunMl("SVMRegressor", {FloatTensor({1, 3}, {0, 0, 0})}, attrs, 1); }, ErrorCode::InvalidArgument, "X has 3 features");
  attrs["support_vectors"] = FloatsAttr({0, 0, 1});
  ExpectError([&] { RunMl("SVMRegressor", {FloatTensor({1, 2}, {0, 0})}, attrs, 1); }, ErrorCode::InvalidGraph, "support_vectors has 3 values");
  attrs["support_vectors"] = FloatsAttr({0, 0, 1, 1});
  attrs["coefficients"] = FloatsAttr({1});
  ExpectError([&] { RunMl("SVMRegressor", {FloatTensor({1, 2}, {0, 0})}, attrs, 1); }, ErrorCode::InvalidGraph, "coefficients has 1 values");
  attrs["kernel_type"] = StringAttr("CUBIC");
  ExpectError([&] { RunMl("SVMRegressor", {FloatTensor({1, 2}, {0, 0})}, attrs, 1); }, ErrorCode::InvalidGraph, "CUBIC");
}

TEST(MlBinarizer, ThresholdAndNaN) {
  Tensor y = RunMl("Binarizer", {FloatTensor({4}, {-1, 0.5f, NAN, 2})}, {{"threshold", FloatAttr(0.5f)}}, 1)[0].tensor();
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 0, 0, 1}));
}


TEST(MlLinearAndPreprocess, RefuseInconsistentAttributes) {
  Tensor x = FloatTensor({1, 3}, {1, 2, 3});
  std::map<std::string, Attribute> attrs = {{"coefficients", FloatsAttr({1, 2, 3, 4})}, {"targets", IntAttr(3)}};
  ExpectError([&] { RunMl("LinearRegressor", {x}, attrs, 1); }, ErrorCode::InvalidGraph, "coefficients has 4 values");
  attrs = {{"coefficients", FloatsAttr({1, 2, 3})}, {"intercepts", FloatsAttr({1, 2})}};
  ExpectError([&] { RunMl("LinearRegressor", {x}, attrs, 1); }, ErrorCode::InvalidGraph, "intercepts has 2 values");
  attrs = {{"coefficients", FloatsAttr({1, 2})}};
  ExpectError([&] { RunMl("LinearRegressor", {x}, attrs, 1); }, ErrorCode::InvalidArgument, "X has 3 features");
  attrs = {{"coefficients", FloatsAttr({1, 2, 3, 4, 5, 6})}, {"intercepts", FloatsAttr({0, 0})}, {"classlabels_ints", IntsAttr({1, 2, 3})}};
  ExpectError([&] { RunMl("LinearClassifier", {x}, attrs, 1, 2); }, ErrorCode::InvalidGraph, "3 class labels for 2 rows");
  ExpectError([&] { RunMl("Normalizer", {x}, {{"norm", StringAttr("L3")}}, 1); }, ErrorCode::InvalidGraph, "L3");
  ExpectError([&] { RunMl("Scaler", {x}, {{"scale", FloatsAttr({1, 2})}}, 1); }, ErrorCode::InvalidArgument, "scale has 2 values");
  ExpectError([&] { RunMl("Imputer", {x}, {{"imputed_value_floats", FloatsAttr({1, 2})}}, 1); }, ErrorCode::InvalidArgument, "2 imputed values");
  ExpectError([&] { RunMl("FeatureVectorizer", {x}, {{"inputdimensions", IntsAttr({1, 2})}}, 1); }, ErrorCode::InvalidGraph, "inputdimensions");
  ExpectError([&] { RunMl("OneHotEncoder", {x}, {}, 1); }, ErrorCode::InvalidGraph, "exactly one of cats_int64s");
  Tensor y = RunMl("OneHotEncoder", {FloatTensor({3}, {NAN, 2.7f, 1e30f})}, {{"cats_int64s", IntsAttr({2})}}, 1)[0].tensor();
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 1, 0}));  // NaN and huge values match nothing; 2.7 truncates to 2
}

}  // namespace
}  // namespace onyx::testing
