// Redundant-node elimination: no-op nodes disappear, reshape chains become one Reshape, graph
// outputs keep their names, and outputs stay the same as without optimization.
#include <gtest/gtest.h>

#include <limits>

#include "optimizer_test_util.h"

namespace onyx::testing {
namespace {

constexpr auto kBasic = GraphOptimizationLevel::EnableBasic;
const int64_t kToEnd = std::numeric_limits<int64_t>::max();

Feeds RandomX(const std::vector<int64_t>& shape, uint32_t seed = 1) { return {{"x", RandomTensor(DataType::Float, shape, seed)}}; }

TEST(RedundantNodeElimination, IdentitiesBeforeAGraphOutputGoAndTheOutputKeepsItsName) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3)}).Output("y", DataType::Float);
  g.Node("Relu", {"x"}, {"r"}).Node("Identity", {"r"}, {"i"}).Node("Identity", {"i"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Identity"), 0);
  EXPECT_EQ(CountOps(s.optimized, "Relu"), 1);
  EXPECT_EQ(s.optimized.outputs()[0].name, "y");
  ExpectSameOutputs(s, RandomX({2, 3}));
}

TEST(RedundantNodeElimination, RenamedValueKeepsItsOtherReaders) {
  // r is read by Sigmoid and by the Identity producing graph output y: Relu now writes y.
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(4)}).Output("y", DataType::Float).Output("z", DataType::Float);
  g.Node("Relu", {"x"}, {"r"}).Node("Identity", {"r"}, {"y"}).Node("Sigmoid", {"r"}, {"z"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Identity"), 0);
  ExpectSameOutputs(s, RandomX({4}));
}

TEST(RedundantNodeElimination, ReadersBeforeTheRemovedNodeFollowTheRename) {
  // Sigmoid reads r before the Identity in node order, and another Identity reads the output:
  // all of them must read the renamed value.
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(4)}).Output("z", DataType::Float).Output("y", DataType::Float).Output("w", DataType::Float);
  g.Node("Relu", {"x"}, {"r"}).Node("Sigmoid", {"r"}, {"z"}).Node("Identity", {"r"}, {"y"}).Node("Identity", {"y"}, {"i"});
  g.Node("Neg", {"i"}, {"w"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Identity"), 0);
  ExpectSameOutputs(s, RandomX({4}));
}

TEST(RedundantNodeElimination, IdentityFromGraphInputToGraphOutputStays) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(3)}).Output("y", DataType::Float);
  g.Node("Identity", {"x"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Identity"), 1);
  ExpectSameOutputs(s, RandomX({3}));
}

TEST(RedundantNodeElimination, IdentityReadBySubgraphIsRenamedNotLost) {
  // t (an Identity of r) is read only inside the If branches: r takes t's name.
  auto branch = [](const char* op) {
    GraphBuilder b;
    b.Output("o", DataType::Float).Initializer("one", FloatScalar(1.f)).Node(op, {"t", "one"}, {"o"});
    return b.proto();
  };
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(3)}).Input("c", DataType::Bool, {}).Output("y", DataType::Float);
  g.Node("Relu", {"x"}, {"r"}).Node("Identity", {"r"}, {"t"});
  g.Node("If", {"c"}, {"y"}, {GraphAttribute("then_branch", branch("Add")), GraphAttribute("else_branch", branch("Sub"))});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Identity"), 0);
  for (bool c : {true, false}) {
    Tensor cond(DataType::Bool, {});
    cond.data<bool>()[0] = c;
    ExpectSameOutputs(s, {{"x", RandomTensor(DataType::Float, {3}, 2)}, {"c", cond}});
  }
}

TEST(RedundantNodeElimination, DropoutAtInferenceGoesUnlessItsMaskOrTrainingModeMatters) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(8)}).Input("train", DataType::Bool, {});
  g.Output("a", DataType::Float).Output("b", DataType::Float).Output("mask", DataType::Bool).Output("d", DataType::Float);
  Tensor ratio(DataType::Float, {});
  ratio.data<float>()[0] = 0.3f;
  g.Initializer("ratio", ratio);
  g.Node("Relu", {"x"}, {"r"});
  g.Node("Dropout", {"r", "ratio"}, {"a"});                  // inference: removed
  g.Node("Dropout", {"r", "ratio"}, {"b", "mask"});          // the mask is a graph output: stays
  g.Node("Dropout", {"r", "ratio", "train"}, {"dt"});        // training mode fed at run time: stays
  g.Node("Neg", {"dt"}, {"d"});
  SessionPair s(BuildModel(g, 13), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Dropout"), 2);
  Tensor train(DataType::Bool, {});
  train.data<bool>()[0] = false;
  ExpectSameOutputs(s, {{"x", RandomTensor(DataType::Float, {8}, 3)}, {"train", train}});
}

TEST(RedundantNodeElimination, TrainingDropoutWithRatioZeroGoes) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(8)}).Output("y", DataType::Float);
  Tensor train(DataType::Bool, {});
  train.data<bool>()[0] = true;
  g.Initializer("ratio", FloatScalar(0.f)).Initializer("train", train);
  g.Node("Relu", {"x"}, {"r"}).Node("Dropout", {"r", "ratio", "train"}, {"d"}).Node("Neg", {"d"}, {"y"});
  SessionPair s(BuildModel(g, 13), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Dropout"), 0);
  ExpectSameOutputs(s, RandomX({8}));
}

TEST(RedundantNodeElimination, AttributeFormsOfSliceAndPadBeforeOpset10) {
  // Slice-1 and Pad-2 take starts/ends and pads as attributes.
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3)}).Output("y", DataType::Float).Output("z", DataType::Float);
  g.Node("Relu", {"x"}, {"r"})
      .Node("Slice", {"r"}, {"a"}, {IntsAttribute("starts", {0, 0}), IntsAttribute("ends", {2, 100})})
      .Node("Pad", {"a"}, {"b"}, {IntsAttribute("pads", {0, 0, 0, 0})})
      .Node("Sigmoid", {"b"}, {"y"})
      .Node("Slice", {"r"}, {"c"}, {IntsAttribute("starts", {1}), IntsAttribute("ends", {2}), IntsAttribute("axes", {1})})
      .Node("Pad", {"c"}, {"z"}, {IntsAttribute("pads", {0, 1, 0, 0})});
  SessionPair s(BuildModel(g, 9), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Slice"), 1);
  EXPECT_EQ(CountOps(s.optimized, "Pad"), 1);
  ExpectSameOutputs(s, RandomX({2, 3}));
}

TEST(RedundantNodeElimination, CastToItsOwnTypeGoesOtherCastsStay) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(5)}).Output("y", DataType::Double);
  g.Node("Cast", {"x"}, {"same"}, {IntAttribute("to", static_cast<int64_t>(DataType::Float))})
      .Node("CastLike", {"same", "x"}, {"like"})
      .Node("Relu", {"like"}, {"r"})
      .Node("Cast", {"r"}, {"y"}, {IntAttribute("to", static_cast<int64_t>(DataType::Double))});
  SessionPair s(BuildModel(g, 15), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Cast"), 1);
  EXPECT_EQ(CountOps(s.optimized, "CastLike"), 0);
  ExpectSameOutputs(s, RandomX({5}));
}

TEST(RedundantNodeElimination, StaticReshapeChainBecomesOneReshape) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3), int64_t(4)}).Output("y", DataType::Float);
  g.Initializer("s1", Int64s({6, 4})).Initializer("ax", Int64s({0})).Initializer("ax1", Int64s({1}));
  g.Node("Reshape", {"x", "s1"}, {"a"})                         // [6,4]
      .Node("Unsqueeze", {"a", "ax"}, {"b"})                    // [1,6,4]
      .Node("Flatten", {"b"}, {"c"}, {IntAttribute("axis", 2)})  // [6,4]
      .Node("Unsqueeze", {"c", "ax1"}, {"d"})                   // [6,1,4]
      .Node("Squeeze", {"d", "ax1"}, {"y"});                    // [6,4]
  SessionPair s(BuildModel(g, 13), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Reshape"), 1);
  EXPECT_EQ(CountOps(s.optimized, "Unsqueeze") + CountOps(s.optimized, "Flatten") + CountOps(s.optimized, "Squeeze"), 0);
  ExpectSameOutputs(s, RandomX({2, 3, 4}));
}

TEST(RedundantNodeElimination, DynamicReshapeChainCollapsesOnlyWithoutCopiedDims) {
  // Reshape(Reshape(x, [0, 12]), [-1, 6]) reads x directly; a 0 in the second shape refers to the
  // intermediate's dims, so Reshape(Reshape(x, [0, 12]), [0, 3, 4]) keeps both.
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("N"), int64_t(3), int64_t(4)}).Output("y", DataType::Float).Output("z", DataType::Float);
  g.Initializer("s1", Int64s({0, 12})).Initializer("s2", Int64s({-1, 6})).Initializer("s3", Int64s({0, 3, 4}));
  g.Node("Reshape", {"x", "s1"}, {"a"}).Node("Reshape", {"a", "s2"}, {"y"});
  g.Node("Relu", {"x"}, {"r"}).Node("Reshape", {"r", "s1"}, {"b"}).Node("Reshape", {"b", "s3"}, {"z"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Reshape"), 3);
  ExpectSameOutputs(s, RandomX({5, 3, 4}));
}

TEST(RedundantNodeElimination, ReshapesToTheSameShapeGo) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("N"), int64_t(4)}).Output("y", DataType::Float);
  g.Initializer("keep", Int64s({0, -1})).Initializer("fixed", Int64s({-1, 4}));
  g.Node("Relu", {"x"}, {"r"}).Node("Reshape", {"r", "keep"}, {"a"}).Node("Reshape", {"a", "fixed"}, {"b"}).Node("Sigmoid", {"b"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Reshape"), 0);
  ExpectSameOutputs(s, RandomX({3, 4}));
}

TEST(RedundantNodeElimination, NoOpExpandTileSlicePadGo) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("N"), int64_t(3)}).Output("y", DataType::Float);
  g.Initializer("e", Int64s({1, 3})).Initializer("t", Int64s({1, 1}));
  g.Initializer("starts", Int64s({0, -3})).Initializer("ends", Int64s({kToEnd, 3})).Initializer("axes", Int64s({0, 1}));
  g.Initializer("pads", Int64s({0, 0, 0, 0}));
  g.Node("Relu", {"x"}, {"r"})
      .Node("Expand", {"r", "e"}, {"a"})
      .Node("Tile", {"a", "t"}, {"b"})
      .Node("Slice", {"b", "starts", "ends", "axes"}, {"c"})
      .Node("Pad", {"c", "pads"}, {"d"})
      .Node("Sigmoid", {"d"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Expand") + CountOps(s.optimized, "Tile") + CountOps(s.optimized, "Slice") + CountOps(s.optimized, "Pad"), 0);
  ExpectSameOutputs(s, RandomX({4, 3}));
}

TEST(RedundantNodeElimination, ExpandTileSlicePadThatChangeSomethingStay) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("N"), int64_t(3)}).Input("pads_in", DataType::Int64, {int64_t(4)});
  g.Output("a", DataType::Float).Output("b", DataType::Float).Output("c", DataType::Float).Output("c2", DataType::Float);
  g.Output("d", DataType::Float).Output("ident", DataType::Float);
  g.Initializer("e", Int64s({2, 1, 3})).Initializer("t", Int64s({1, 2}));
  g.Initializer("starts", Int64s({0})).Initializer("ends", Int64s({2})).Initializer("steps", Int64s({-1}));
  g.Initializer("axes", Int64s({1})).Initializer("open", Int64s({kToEnd}));
  g.Node("Relu", {"x"}, {"r"})
      .Node("Expand", {"r", "e"}, {"a"})                                   // adds an axis
      .Node("Tile", {"r", "t"}, {"b"})                                     // repeats
      .Node("Slice", {"r", "starts", "ends", "axes"}, {"c"})               // cuts axis 1
      .Node("Slice", {"r", "starts", "open", "axes", "steps"}, {"c2"})     // reverses
      .Node("Pad", {"r", "pads_in"}, {"d"})                                // pads known only at run time
      .Node("Identity", {"r"}, {"ident"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Expand"), 1);
  EXPECT_EQ(CountOps(s.optimized, "Tile"), 1);
  EXPECT_EQ(CountOps(s.optimized, "Slice"), 2);
  EXPECT_EQ(CountOps(s.optimized, "Pad"), 1);
  ExpectSameOutputs(s, {{"x", RandomTensor(DataType::Float, {2, 3}, 5)}, {"pads_in", Int64s({0, 1, 0, 0})}});
}

Tensor Filled(const std::vector<int64_t>& shape, float v) {
  Tensor t(DataType::Float, shape);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = v;
  return t;
}

TEST(RedundantNodeElimination, NeutralArithmeticGoes) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("N"), int64_t(3)}).Output("y", DataType::Float);
  g.Initializer("zeros", Filled({3}, 0.f)).Initializer("ones", Filled({1, 1}, 1.f)).Initializer("zero", FloatScalar(0.f));
  g.Initializer("one", FloatScalar(1.f));
  g.Node("Relu", {"x"}, {"r"})
      .Node("Add", {"r", "zeros"}, {"a"})
      .Node("Mul", {"ones", "a"}, {"b"})
      .Node("Sub", {"b", "zero"}, {"c"})
      .Node("Div", {"c", "one"}, {"d"})
      .Node("Sigmoid", {"d"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Add") + CountOps(s.optimized, "Mul") + CountOps(s.optimized, "Sub") + CountOps(s.optimized, "Div"), 0);
  ExpectSameOutputs(s, RandomX({4, 3}));
}

TEST(RedundantNodeElimination, ArithmeticThatChangesValuesOrShapesStays) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("N"), int64_t(3)});
  g.Output("a", DataType::Float).Output("b", DataType::Float).Output("c", DataType::Float).Output("d", DataType::Float);
  g.Initializer("wide", Filled({2, 1, 3}, 0.f)).Initializer("zero", FloatScalar(0.f)).Initializer("two", FloatScalar(2.f));
  g.Initializer("one", FloatScalar(1.f));
  g.Node("Relu", {"x"}, {"r"})
      .Node("Add", {"r", "wide"}, {"a"})  // broadcasts r to [2,N,3]
      .Node("Sub", {"zero", "r"}, {"b"})  // 0 - r
      .Node("Mul", {"r", "two"}, {"c"})
      .Node("Div", {"one", "r"}, {"d"});  // 1 / r
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Add") + CountOps(s.optimized, "Mul") + CountOps(s.optimized, "Sub") + CountOps(s.optimized, "Div"), 4);
  ExpectSameOutputs(s, RandomX({2, 3}));
}

TEST(RedundantNodeElimination, OverridableInitializerIsNotAConstant) {
  // "shape" is also a graph input: a feed may replace it, so the Reshape must stay.
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3)}).Input("shape", DataType::Int64, {int64_t(2)}).Output("y", DataType::Float);
  g.Initializer("shape", Int64s({2, 3}));
  g.Node("Relu", {"x"}, {"r"}).Node("Reshape", {"r", "shape"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Reshape"), 1);
  ExpectSameOutputs(s, {{"x", RandomTensor(DataType::Float, {2, 3}, 6)}, {"shape", Int64s({3, 2})}});
}

TEST(RedundantNodeElimination, SavedOptimizedModelReloads) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3)}).Output("y", DataType::Float);
  g.Initializer("s", Int64s({3, 2}));
  g.Node("Relu", {"x"}, {"r"}).Node("Identity", {"r"}, {"i"}).Node("Flatten", {"i"}, {"f"}).Node("Reshape", {"f", "s"}, {"y"});
  const std::string path = ::testing::TempDir() + "/redundant_nodes.onnx";
  const std::string model = BuildModel(g);
  Session saved = SessionAt(model, kBasic, path);
  Session reloaded(path);
  EXPECT_EQ(CountOps(reloaded, "Identity") + CountOps(reloaded, "Flatten"), 0);
  Feeds feeds = RandomX({2, 3});
  const Tensor want = SessionAt(model, GraphOptimizationLevel::DisableAll).Run(feeds)[0];
  const Tensor got = reloaded.Run(feeds)[0];
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.size(); ++i) EXPECT_EQ(got.data<float>()[i], want.data<float>()[i]);
}

}  // namespace
}  // namespace onyx::testing
