// Conv folding: BatchNormalization, Mul and Add by per-channel constants after a Conv fold into
// its weights and bias; outputs stay the same, and nothing changes where folding would be wrong.
#include <gtest/gtest.h>

#include "optimizer_test_util.h"

namespace onyx::testing {
namespace {

constexpr auto kBasic = GraphOptimizationLevel::EnableBasic;
constexpr int64_t kIn = 3, kOut = 4;

// x[2,3,6,6] -> Conv(W[4,3,3,3] (or grouped), B?) -> "c"
GraphBuilder ConvModel(DataType dt = DataType::Float, bool bias = true, int64_t group = 1) {
  GraphBuilder g;
  g.Input("x", dt, {int64_t(2), kIn * group, int64_t(6), int64_t(6)});
  g.Initializer("W", RandomTensor(dt, {kOut * group, kIn, 3, 3}, 11));
  std::vector<std::string> ins = {"x", "W"};
  if (bias) {
    g.Initializer("B", RandomTensor(dt, {kOut * group}, 12));
    ins.push_back("B");
  }
  g.Node("Conv", ins, {"c"}, {IntsAttribute("pads", {1, 1, 1, 1}), IntAttribute("group", group)});
  return g;
}

void AddBatchNorm(GraphBuilder& g, const std::string& in, const std::string& out, DataType dt = DataType::Float, int64_t channels = kOut,
                  uint32_t seed = 20) {
  const std::string p = out + "_";
  g.Initializer(p + "scale", RandomTensor(dt, {channels}, seed, 0.5, 2))
      .Initializer(p + "bias", RandomTensor(dt, {channels}, seed + 1))
      .Initializer(p + "mean", RandomTensor(dt, {channels}, seed + 2))
      .Initializer(p + "var", RandomTensor(dt, {channels}, seed + 3, 0.1, 3));
  g.Node("BatchNormalization", {in, p + "scale", p + "bias", p + "mean", p + "var"}, {out}, {FloatAttribute("epsilon", 1e-3f)});
}

Feeds XFeed(DataType dt = DataType::Float, int64_t channels = kIn) { return {{"x", RandomTensor(dt, {2, channels, 6, 6}, 7)}}; }

TEST(ConvFolding, BatchNormFoldsIntoConvWithAndWithoutBias) {
  for (bool bias : {true, false}) {
    GraphBuilder g = ConvModel(DataType::Float, bias);
    g.Output("y", DataType::Float);
    AddBatchNorm(g, "c", "y");
    SessionPair s(BuildModel(g), kBasic);
    EXPECT_EQ(CountOps(s.optimized, "Conv"), 1);
    EXPECT_EQ(CountOps(s.optimized, "BatchNormalization"), 0);
    ExpectSameOutputs(s, XFeed(), 1e-4);
  }
}

TEST(ConvFolding, DoubleAndGroupedConvFold) {
  GraphBuilder g = ConvModel(DataType::Double, true, /*group=*/2);
  g.Output("y", DataType::Double);
  AddBatchNorm(g, "c", "y", DataType::Double, 2 * kOut);
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "BatchNormalization"), 0);
  ExpectSameOutputs(s, XFeed(DataType::Double, 2 * kIn), 1e-10);
}

TEST(ConvFolding, PerChannelMulAndAddFold) {
  GraphBuilder g = ConvModel();
  g.Output("y", DataType::Float);
  g.Initializer("m", RandomTensor(DataType::Float, {kOut, 1, 1}, 30)).Initializer("a", RandomTensor(DataType::Float, {1, kOut, 1, 1}, 31));
  g.Initializer("k", FloatScalar(0.5f));
  g.Node("Mul", {"m", "c"}, {"cm"}).Node("Add", {"cm", "a"}, {"ca"}).Node("Mul", {"ca", "k"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Conv"), 1);
  EXPECT_EQ(CountOps(s.optimized, "Mul") + CountOps(s.optimized, "Add"), 0);
  ExpectSameOutputs(s, XFeed(), 1e-5);
}

TEST(ConvFolding, SharedWeightsFoldSeparately) {
  // Both Convs read W; each folds its own BatchNormalization into its own copy of W.
  GraphBuilder g = ConvModel(DataType::Float, false);
  g.Output("y", DataType::Float).Output("z", DataType::Float);
  g.Node("Conv", {"x", "W"}, {"c2"}, {IntsAttribute("pads", {1, 1, 1, 1})});
  AddBatchNorm(g, "c", "y", DataType::Float, kOut, 40);
  AddBatchNorm(g, "c2", "z", DataType::Float, kOut, 50);
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "BatchNormalization"), 0);
  ExpectSameOutputs(s, XFeed(), 1e-4);
}

TEST(ConvFolding, NothingFoldsWhereItWouldBeWrong) {
  GraphBuilder g = ConvModel();
  g.Input("Wd", DataType::Float, {kOut, kIn, int64_t(3), int64_t(3)});
  g.Output("c", DataType::Float).Output("y", DataType::Float);          // c is a graph output
  g.Output("b1", DataType::Float).Output("b2", DataType::Float);        // d feeds two BatchNorms
  g.Output("m", DataType::Float).Output("a", DataType::Float).Output("e", DataType::Float);
  AddBatchNorm(g, "c", "y");
  g.Node("Conv", {"x", "W"}, {"d"}, {IntsAttribute("pads", {1, 1, 1, 1}), IntsAttribute("strides", {1, 1})});
  AddBatchNorm(g, "d", "b1", DataType::Float, kOut, 60);
  AddBatchNorm(g, "d", "b2", DataType::Float, kOut, 70);
  // [6] broadcasts along the last (width) axis, not the channels. (Each Conv differs in an
  // attribute so that common-subexpression elimination keeps them apart.)
  g.Initializer("w6", RandomTensor(DataType::Float, {6}, 81));
  g.Node("Conv", {"x", "W"}, {"f"}, {IntsAttribute("pads", {1, 1, 1, 1}), IntsAttribute("kernel_shape", {3, 3})});
  g.Node("Mul", {"f", "w6"}, {"m"});
  // A constant of the full output shape is not per channel.
  g.Initializer("full", RandomTensor(DataType::Float, {1, kOut, 6, 6}, 82));
  g.Node("Conv", {"x", "W"}, {"h"}, {IntsAttribute("pads", {1, 1, 1, 1}), IntsAttribute("dilations", {1, 1})}).Node("Add", {"h", "full"}, {"a"});
  // Weights fed at run time.
  g.Node("Conv", {"x", "Wd"}, {"k"}, {IntsAttribute("pads", {1, 1, 1, 1})});
  AddBatchNorm(g, "k", "e", DataType::Float, kOut, 90);
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "BatchNormalization"), 4);
  EXPECT_EQ(CountOps(s.optimized, "Mul"), 1);
  EXPECT_EQ(CountOps(s.optimized, "Add"), 1);
  Feeds feeds = XFeed();
  feeds.emplace_back("Wd", RandomTensor(DataType::Float, {kOut, kIn, 3, 3}, 91));
  ExpectSameOutputs(s, feeds, 1e-5);
}

TEST(ConvFolding, TrainingModeBatchNormStays) {
  GraphBuilder g = ConvModel();
  g.Output("y", DataType::Float).Output("rm", DataType::Float).Output("rv", DataType::Float);
  g.Initializer("s", RandomTensor(DataType::Float, {kOut}, 1, 0.5, 2)).Initializer("b", RandomTensor(DataType::Float, {kOut}, 2));
  g.Initializer("mu", RandomTensor(DataType::Float, {kOut}, 3)).Initializer("v", RandomTensor(DataType::Float, {kOut}, 4, 0.1, 3));
  g.Node("BatchNormalization", {"c", "s", "b", "mu", "v"}, {"y", "rm", "rv"}, {IntAttribute("training_mode", 1)});
  const std::string model = BuildModel(g, 15);
  Session s = SessionAt(model, kBasic);
  EXPECT_EQ(CountOps(s, "BatchNormalization"), 1);
}

}  // namespace
}  // namespace onyx::testing
