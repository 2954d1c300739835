// Conv + activation -> com.microsoft FusedConv (level 2): each activation fuses, outputs equal the
// unoptimized model's; nothing fuses where the Conv output is read twice, is a graph output, where
// Clip's bounds are not fixed, for double, at level 1, or where a session provider that would run
// the Conv has no FusedConv kernel. The saved model loads and runs again.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <limits>

#include "core/kernel_registry.h"
#include "cpu_kernels.h"
#include "graph/shape_inference.h"
#include "model/model_loader.h"
#include "optimizer/optimizer.h"
#include "optimizer_test_util.h"

namespace onyx::testing {
namespace {

constexpr auto kExtended = GraphOptimizationLevel::EnableExtended;

struct ConvSpec {
  int64_t in = 3, out = 4, group = 1, kernel = 3, stride = 1, pad = 1, size = 7;
  bool bias = true;
};

// x -> Conv -> "c"; the caller adds the activation reading "c".
GraphBuilder ConvModel(const ConvSpec& s = {}, DataType dt = DataType::Float) {
  GraphBuilder g;
  g.Input("x", dt, {int64_t(2), s.in, s.size, s.size});
  g.Initializer("W", RandomTensor(dt, {s.out, s.in / s.group, s.kernel, s.kernel}, 11));
  std::vector<std::string> ins = {"x", "W"};
  if (s.bias) {
    g.Initializer("B", RandomTensor(dt, {s.out}, 12));
    ins.push_back("B");
  }
  g.Node("Conv", ins, {"c"},
         {IntsAttribute("pads", {s.pad, s.pad, s.pad, s.pad}), IntsAttribute("strides", {s.stride, s.stride}),
          IntAttribute("group", s.group)},
         "conv");
  return g;
}

Feeds XFeed(const ConvSpec& s = {}, DataType dt = DataType::Float) {
  return {{"x", RandomTensor(dt, {2, s.in, s.size, s.size}, 7, -2, 2)}};
}

// Adds the activation `op` reading "c" and writing "y" (with its parameters).
void AddActivation(GraphBuilder& g, const std::string& op) {
  if (op == "LeakyRelu") g.Node(op, {"c"}, {"y"}, {FloatAttribute("alpha", 0.2f)});
  else if (op == "HardSigmoid") g.Node(op, {"c"}, {"y"}, {FloatAttribute("alpha", 0.3f), FloatAttribute("beta", 0.4f)});
  else if (op == "Clip") {
    g.Initializer("lo", FloatScalar(-0.5f)).Initializer("hi", FloatScalar(0.75f));
    g.Node(op, {"c", "lo", "hi"}, {"y"});
  } else g.Node(op, {"c"}, {"y"});
}

void ExpectFused(const std::string& model, const Feeds& feeds, bool fused, const std::string& act = "",
                 GraphOptimizationLevel level = kExtended) {
  SessionPair s(model, level);
  EXPECT_EQ(CountOps(s.optimized, "FusedConv"), fused ? 1 : 0);
  EXPECT_EQ(CountOps(s.optimized, "Conv"), fused ? 0 : 1);
  if (!act.empty()) EXPECT_EQ(CountOps(s.optimized, act), fused ? 0 : 1);
  ExpectSameOutputs(s, feeds, 1e-5);
}

TEST(ConvActivationFusion, EachActivationFuses) {
  for (const char* act : {"Relu", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "Clip"}) {
    SCOPED_TRACE(act);
    GraphBuilder g = ConvModel();
    g.Output("y", DataType::Float);
    AddActivation(g, act);
    ExpectFused(BuildModel(g), XFeed(), true, act);
  }
}

TEST(ConvActivationFusion, ConvShapesTheKernelTreatsApart) {
  ConvSpec pointwise;
  pointwise.kernel = 1, pointwise.pad = 0, pointwise.in = 8, pointwise.out = 16;
  ConvSpec depthwise;
  depthwise.in = 6, depthwise.out = 6, depthwise.group = 6;
  ConvSpec strided;
  strided.stride = 2, strided.bias = false;
  ConvSpec one_position;  // a single output position per image: matrix-vector products
  one_position.size = 3, one_position.pad = 0, one_position.out = 9;
  ConvSpec grouped;
  grouped.in = 4, grouped.out = 6, grouped.group = 2;
  for (const ConvSpec& s : {pointwise, depthwise, strided, one_position, grouped})
    for (const char* act : {"Relu", "Clip", "Sigmoid"}) {
      SCOPED_TRACE(std::string(act) + " group " + std::to_string(s.group) + " kernel " + std::to_string(s.kernel));
      GraphBuilder g = ConvModel(s);
      g.Output("y", DataType::Float);
      AddActivation(g, act);
      ExpectFused(BuildModel(g), XFeed(s), true, act);
    }
}

TEST(ConvActivationFusion, ClipBoundsFromAttributesOrOmitted) {
  {  // opset 6: attributes
    GraphBuilder g = ConvModel();
    g.Output("y", DataType::Float);
    g.Node("Clip", {"c"}, {"y"}, {FloatAttribute("min", 0.f), FloatAttribute("max", 6.f)});
    ExpectFused(BuildModel(g, 10), XFeed(), true, "Clip");
  }
  {  // only max given (min omitted by an empty name), as Relu6 exports sometimes are
    GraphBuilder g = ConvModel();
    g.Output("y", DataType::Float);
    g.Initializer("hi", FloatScalar(0.5f));
    g.Node("Clip", {"c", "", "hi"}, {"y"});
    ExpectFused(BuildModel(g), XFeed(), true, "Clip");
  }
  {  // no bounds at all
    GraphBuilder g = ConvModel();
    g.Output("y", DataType::Float);
    g.Node("Clip", {"c"}, {"y"});
    ExpectFused(BuildModel(g), XFeed(), true, "Clip");
  }
}

TEST(ConvActivationFusion, ClipWithRunTimeBoundsStays) {
  {  // min is a graph input
    GraphBuilder g = ConvModel();
    g.Input("lo", DataType::Float, {}).Output("y", DataType::Float);
    g.Initializer("hi", FloatScalar(1.f));
    g.Node("Clip", {"c", "lo", "hi"}, {"y"});
    Feeds feeds = XFeed();
    feeds.emplace_back("lo", FloatScalar(-0.25f));
    ExpectFused(BuildModel(g), feeds, false, "Clip");
  }
  {  // min is an initializer that a feed may override
    GraphBuilder g = ConvModel();
    g.Input("lo", DataType::Float, {}).Output("y", DataType::Float);
    g.Initializer("lo", FloatScalar(-0.25f));
    g.Node("Clip", {"c", "lo"}, {"y"});
    ExpectFused(BuildModel(g), XFeed(), false, "Clip");
  }
}

TEST(ConvActivationFusion, ConvOutputReadTwiceOrAGraphOutputStays) {
  {
    GraphBuilder g = ConvModel();
    g.Output("y", DataType::Float).Output("z", DataType::Float);
    g.Node("Relu", {"c"}, {"y"}).Node("Sigmoid", {"c"}, {"z"});
    SessionPair s(BuildModel(g), kExtended);
    EXPECT_EQ(CountOps(s.optimized, "FusedConv"), 0);
    ExpectSameOutputs(s, XFeed());
  }
  {
    GraphBuilder g = ConvModel();
    g.Output("y", DataType::Float).Output("c", DataType::Float);
    g.Node("Relu", {"c"}, {"y"});
    ExpectFused(BuildModel(g), XFeed(), false, "Relu");
  }
}

TEST(ConvActivationFusion, DoubleAndBasicLevelStay) {
  {
    GraphBuilder g = ConvModel({}, DataType::Double);
    g.Output("y", DataType::Double);
    g.Node("Relu", {"c"}, {"y"});
    ExpectFused(BuildModel(g), XFeed({}, DataType::Double), false, "Relu");
  }
  GraphBuilder g = ConvModel();
  g.Output("y", DataType::Float);
  g.Node("Relu", {"c"}, {"y"});
  ExpectFused(BuildModel(g), XFeed(), false, "Relu", GraphOptimizationLevel::EnableBasic);
}

TEST(ConvActivationFusion, FoldedBatchNormThenReluFusesWithTheFoldedBias) {
  GraphBuilder g = ConvModel();
  g.Output("y", DataType::Float);
  g.Initializer("s", RandomTensor(DataType::Float, {4}, 20, 0.5, 2))
      .Initializer("b", RandomTensor(DataType::Float, {4}, 21))
      .Initializer("m", RandomTensor(DataType::Float, {4}, 22))
      .Initializer("v", RandomTensor(DataType::Float, {4}, 23, 0.1, 3));
  g.Node("BatchNormalization", {"c", "s", "b", "m", "v"}, {"n"}).Node("Relu", {"n"}, {"y"});
  SessionPair s(BuildModel(g), kExtended);
  EXPECT_EQ(CountOps(s.optimized, "FusedConv"), 1);
  EXPECT_EQ(s.optimized.placement().size(), 1u);
  ExpectSameOutputs(s, XFeed(), 1e-4);
}

// Conv -> Add(z) -> activation: z becomes FusedConv's addend (input 3).
TEST(ConvActivationFusion, ResidualAddThenActivationFusesIntoZ) {
  for (bool bias : {true, false})
    for (bool z_first : {false, true}) {
      ConvSpec spec;
      spec.bias = bias;
      GraphBuilder g = ConvModel(spec);
      g.Input("z", DataType::Float, {int64_t(2), int64_t(4), int64_t(7), int64_t(7)}).Output("y", DataType::Float);
      g.Node("Add", z_first ? std::vector<std::string>{"z", "c"} : std::vector<std::string>{"c", "z"}, {"s"});
      g.Node("Relu", {"s"}, {"y"});
      SessionPair s(BuildModel(g), kExtended);
      EXPECT_EQ(CountOps(s.optimized, "FusedConv"), 1);
      EXPECT_EQ(s.optimized.placement().size(), 1u);
      Feeds feeds = XFeed(spec);
      feeds.emplace_back("z", RandomTensor(DataType::Float, {2, 4, 7, 7}, 9, -2, 2));
      ExpectSameOutputs(s, feeds);
    }
}

TEST(ConvActivationFusion, TwoConvsSummedFuseOnceAndBroadcastAddendsStay) {
  {  // ResNet's projection shortcut: Conv(x) + Conv(x) -> Relu
    GraphBuilder g = ConvModel();
    g.Output("y", DataType::Float);
    g.Initializer("W2", RandomTensor(DataType::Float, {4, 3, 1, 1}, 13));
    g.Node("Conv", {"x", "W2"}, {"c2"}, {IntsAttribute("pads", {0, 0, 0, 0})}, "shortcut");
    g.Node("Add", {"c", "c2"}, {"s"}).Node("Relu", {"s"}, {"y"});
    SessionPair s(BuildModel(g), kExtended);
    EXPECT_EQ(CountOps(s.optimized, "FusedConv"), 1);
    EXPECT_EQ(CountOps(s.optimized, "Conv"), 1);
    EXPECT_EQ(CountOps(s.optimized, "Add"), 0);
    ExpectSameOutputs(s, XFeed());
  }
  {  // z broadcasts over the batch: not an addend of the Conv's shape
    GraphBuilder g = ConvModel();
    g.Input("z", DataType::Float, {int64_t(1), int64_t(4), int64_t(7), int64_t(7)}).Output("y", DataType::Float);
    g.Node("Add", {"c", "z"}, {"s"}).Node("Relu", {"s"}, {"y"});
    SessionPair s(BuildModel(g), kExtended);
    EXPECT_EQ(CountOps(s.optimized, "FusedConv"), 0);
    EXPECT_EQ(CountOps(s.optimized, "Add"), 1);
    Feeds feeds = XFeed();
    feeds.emplace_back("z", RandomTensor(DataType::Float, {1, 4, 7, 7}, 9));
    ExpectSameOutputs(s, feeds);
  }
}

// The sum read elsewhere (or no activation at all, as MobileNetV2's linear bottlenecks): the Add
// alone joins the Conv, as an addend without activation.
TEST(ConvActivationFusion, ResidualAddWithoutActivationFusesAlone) {
  for (bool sum_is_output : {true, false}) {
    GraphBuilder g = ConvModel();
    g.Input("z", DataType::Float, {int64_t(2), int64_t(4), int64_t(7), int64_t(7)}).Output("y", DataType::Float);
    if (sum_is_output) {
      g.Output("s", DataType::Float);
      g.Node("Add", {"c", "z"}, {"s"}).Node("Relu", {"s"}, {"y"});
    } else {
      g.Node("Add", {"c", "z"}, {"y"});
    }
    SessionPair s(BuildModel(g), kExtended);
    EXPECT_EQ(CountOps(s.optimized, "FusedConv"), 1);
    EXPECT_EQ(CountOps(s.optimized, "Add"), 0);
    EXPECT_EQ(CountOps(s.optimized, "Relu"), sum_is_output ? 1 : 0);
    Feeds feeds = XFeed();
    feeds.emplace_back("z", RandomTensor(DataType::Float, {2, 4, 7, 7}, 9, -2, 2));
    ExpectSameOutputs(s, feeds);
  }
}

TEST(ConvActivationFusion, SavedModelLoadsAndRunsAgain) {
  GraphBuilder g = ConvModel();
  g.Output("y", DataType::Float);
  AddActivation(g, "HardSigmoid");
  const std::string model = BuildModel(g);
  const std::string path = ::testing::TempDir() + "conv_activation_fusion_saved.onnx";
  Session optimized = SessionAt(model, kExtended, path);
  Session reloaded(path, SessionOptions{});
  EXPECT_EQ(CountOps(reloaded, "FusedConv"), 1);
  const Feeds feeds = XFeed();
  const std::vector<Tensor> a = optimized.Run(feeds), b = reloaded.Run(feeds);
  ASSERT_EQ(a[0].shape(), b[0].shape());
  for (int64_t i = 0; i < a[0].size(); ++i) EXPECT_EQ(a[0].data<float>()[i], b[0].data<float>()[i]);
  std::remove(path.c_str());
}

// The pass on its own, with a registry holding a device provider: the fusion happens only when
// every provider that has a Conv kernel also has a FusedConv kernel.
std::vector<std::string> OpsAfterPass(const KernelRegistry& registry, const std::vector<std::string>& providers) {
  GraphBuilder gb = ConvModel();
  gb.Output("y", DataType::Float);
  gb.Node("Relu", {"c"}, {"y"});
  const std::string bytes = BuildModel(gb);
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  Graph& g = *m.graph;
  g.SortAndValidate();
  InferShapes(g);
  OptimizerContext ctx{&registry, kCpuProvider, providers};
  MakeConvActivationFusion(ctx)->Run(g);
  std::vector<std::string> ops;
  for (const auto& n : g.nodes) ops.push_back(n.op_type);
  return ops;
}

TEST(ConvActivationFusion, OnlyWhereEveryProviderThatTakesConvRunsFusedConv) {
  const std::string device = "FakeDeviceExecutionProvider";
  auto registry = [&](bool conv, bool fused) {
    KernelRegistry r;
    RegisterCpuKernels(r);
    KernelDef d;
    d.provider = device;
    d.factory = [](const KernelInfo&) -> std::unique_ptr<OpKernel> { return nullptr; };
    if (conv) {
      d.op_type = "Conv";
      r.Register(d);
    }
    if (fused) {
      d.domain = "com.microsoft";
      d.op_type = "FusedConv";
      r.Register(d);
    }
    return r;
  };
  const std::vector<std::string> fused = {"FusedConv"}, kept = {"Conv", "Relu"};
  EXPECT_EQ(OpsAfterPass(registry(true, false), {device, kCpuProvider}), kept);
  EXPECT_EQ(OpsAfterPass(registry(true, true), {device, kCpuProvider}), fused);
  EXPECT_EQ(OpsAfterPass(registry(false, false), {device, kCpuProvider}), fused);  // the Conv runs on the CPU anyway
  EXPECT_EQ(OpsAfterPass(registry(true, false), {}), fused);                      // CPU alone
}

}  // namespace
}  // namespace onyx::testing
