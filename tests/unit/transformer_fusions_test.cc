// The encoder fusions of level 2 and their kernels:
//   BiasGeluFusion      Add(x, bias) -> Gelu            => com.microsoft BiasGelu(x, bias)
//   SkipLayerNormFusion Add(a, b) -> LayerNormalization  => com.microsoft SkipLayerNormalization
// Each rewritten graph is checked, and the session's outputs against the unoptimized session's
// (bit for bit: the fused kernels round as the nodes they replace); the kernels against double
// references; and the float fast paths of Add/Sub/Mul/Div against the element-by-element result.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "core/kernel_registry.h"
#include "core/node_evaluator.h"
#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "graph/shape_inference.h"
#include "kernel_test_util.h"
#include "model/model_loader.h"
#include "optimizer/optimizer.h"
#include "optimizer_test_util.h"

namespace onyx::testing {
namespace {

constexpr auto kExtended = GraphOptimizationLevel::EnableExtended;

std::shared_ptr<Graph> AfterPass(const std::string& bytes, std::unique_ptr<Pass> (*make)(const OptimizerContext&)) {
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  Graph& g = *m.graph;
  g.SortAndValidate();
  InferShapes(g);
  OptimizerContext ctx{&TestRegistry(), kCpuProvider, {}};
  make(ctx)->Run(g);
  g.SortAndValidate();
  return m.graph;
}

std::vector<std::string> Ops(const std::shared_ptr<Graph>& g) {
  std::vector<std::string> ops;
  for (const auto& n : g->nodes) ops.push_back(n.op_type);
  return ops;
}

AttrSpec StringAttribute(const std::string& n, const std::string& v) {
  ProtoWriter a;
  a.Bytes(1, n).Varint(20, 3).Bytes(4, v);
  return {n, a};
}

Tensor Vector(int64_t n, uint32_t seed) { return RandomTensor(DataType::Float, {n}, seed, -1, 1); }

// ---- BiasGelu --------------------------------------------------------------------------------

struct BiasGeluSpec {
  bool bias_first = false;     // Add(bias, x)
  bool onnx_gelu = false;      // ai.onnx Gelu (opset 20) instead of com.microsoft Gelu
  std::string approximate;     // ai.onnx Gelu's attribute, when set
  bool expose_sum = false;     // the Add output is also a graph output
  bool bias_is_input = false;  // the bias a graph input, not an initializer
  std::vector<int64_t> bias_shape = {8};
};

// x [2,3,8] -> Add(x, bias) -> Gelu -> y; a Relu reads x too.
std::string BiasGeluModel(const BiasGeluSpec& s) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3), int64_t(8)}).Output("y", DataType::Float).Output("r", DataType::Float);
  Tensor bias = RandomTensor(DataType::Float, s.bias_shape, 11, -1, 1);
  if (s.bias_is_input) g.Input("bias", DataType::Float, {s.bias_shape.begin(), s.bias_shape.end()});
  else g.Initializer("bias", bias);
  g.Node("Add", s.bias_first ? std::vector<std::string>{"bias", "x"} : std::vector<std::string>{"x", "bias"}, {"t"});
  if (s.expose_sum) g.Output("t", DataType::Float);
  if (s.onnx_gelu) {
    std::vector<AttrSpec> attrs;
    if (!s.approximate.empty()) attrs.push_back(StringAttribute("approximate", s.approximate));
    g.Node("Gelu", {"t"}, {"y"}, attrs);
  } else {
    g.Node("Gelu", {"t"}, {"y"}, {}, "gelu", "com.microsoft");
  }
  g.Node("Relu", {"x"}, {"r"});
  return BuildModel(g, s.onnx_gelu ? 20 : 17, {}, {}, {{"com.microsoft", 1}});
}

Feeds BiasGeluFeeds(const BiasGeluSpec& s) {
  Tensor x = RandomTensor(DataType::Float, {2, 3, 8}, 5, -6, 6);
  x.data<float>()[0] = -4.f;  // the erfc tail
  x.data<float>()[1] = std::numeric_limits<float>::quiet_NaN();
  Feeds f = {{"x", x}};
  if (s.bias_is_input) f.push_back({"bias", RandomTensor(DataType::Float, s.bias_shape, 11, -1, 1)});
  return f;
}

void ExpectBiasGeluFused(const BiasGeluSpec& s) {
  const std::string model = BiasGeluModel(s);
  const std::shared_ptr<Graph> g = AfterPass(model, MakeBiasGeluFusion);
  ASSERT_EQ(Ops(g), (std::vector<std::string>{"BiasGelu", "Relu"}));
  const Node& n = g->nodes[0];
  EXPECT_EQ(n.domain, "com.microsoft");
  EXPECT_EQ(n.inputs, (std::vector<std::string>{"x", "bias"}));
  EXPECT_EQ(n.outputs, (std::vector<std::string>{"y"}));
  SessionPair sessions(model, kExtended);
  EXPECT_EQ(CountOps(sessions.optimized, "BiasGelu"), 1);
  EXPECT_EQ(CountOps(sessions.optimized, "Add"), 0);
  ExpectSameOutputs(sessions, BiasGeluFeeds(s), /*tol=*/0);
}

void ExpectBiasGeluKept(const BiasGeluSpec& s, GraphOptimizationLevel level = kExtended) {
  const std::string model = BiasGeluModel(s);
  SessionPair sessions(model, level);
  EXPECT_EQ(CountOps(sessions.optimized, "BiasGelu"), 0);
  EXPECT_EQ(CountOps(sessions.optimized, "Add"), 1);
  ExpectSameOutputs(sessions, BiasGeluFeeds(s), 0);
}

TEST(BiasGeluFusion, AddThenMicrosoftGelu) { ExpectBiasGeluFused({}); }
TEST(BiasGeluFusion, BiasFirst) { ExpectBiasGeluFused({.bias_first = true}); }
TEST(BiasGeluFusion, OnnxGelu) { ExpectBiasGeluFused({.onnx_gelu = true}); }
TEST(BiasGeluFusion, OnnxGeluApproximateNone) { ExpectBiasGeluFused({.onnx_gelu = true, .approximate = "none"}); }
TEST(BiasGeluFusion, TanhGeluIsLeftAlone) { ExpectBiasGeluKept({.onnx_gelu = true, .approximate = "tanh"}); }
TEST(BiasGeluFusion, SumAsGraphOutputIsLeftAlone) { ExpectBiasGeluKept({.expose_sum = true}); }
TEST(BiasGeluFusion, BiasNotFixedIsLeftAlone) { ExpectBiasGeluKept({.bias_is_input = true}); }
TEST(BiasGeluFusion, BiasNotAVectorIsLeftAlone) { ExpectBiasGeluKept({.bias_shape = {3, 8}}); }
TEST(BiasGeluFusion, BiasOfLengthOneIsLeftAlone) { ExpectBiasGeluKept({.bias_shape = {1}}); }
TEST(BiasGeluFusion, BasicLevelLeavesIt) { ExpectBiasGeluKept({}, GraphOptimizationLevel::EnableBasic); }

Tensor RunBiasGelu(const Tensor& x, const Tensor& b, ThreadPool* pool = nullptr) {
  Node node;
  node.op_type = "BiasGelu";
  node.domain = "com.microsoft";
  node.name = "test_BiasGelu";
  node.opset = 1;
  node.inputs = {"x", "b"};
  node.outputs = {"y"};
  return EvaluateNode(node, {Value(x), Value(b)}, TestRegistry(), kCpuProvider, pool)[0].tensor();
}

// Within the accuracy of the Gelu kernel (erf's rational approximation, 1 + erf cancelling near
// x = -2.5, erfc below); the fusion tests check that it rounds as Add then Gelu.
TEST(BiasGeluKernel, MatchesDoubleReference) {
  ThreadPool pool(3);
  for (int64_t n : {int64_t(1), int64_t(7), int64_t(768), int64_t(1000)}) {
    const Tensor x = RandomTensor(DataType::Float, {5, n}, 3, -8, 8), b = Vector(n, 4);
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
      const Tensor y = RunBiasGelu(x, b, p);
      ASSERT_EQ(y.shape(), x.shape());
      for (int64_t i = 0; i < x.size(); ++i) {
        const double v = static_cast<double>(x.data<float>()[i] + b.data<float>()[i % n]);
        const double want = 0.5 * v * std::erfc(-v / std::sqrt(2.0));
        EXPECT_NEAR(y.data<float>()[i], want, 1e-5 * std::abs(want) + 2e-7) << "n=" << n << " i=" << i;
      }
    }
  }
}

TEST(BiasGeluKernel, BiasOfTheWrongLengthIsRefused) {
  EXPECT_THROW(RunBiasGelu(FloatTensor({2, 3}, {1, 2, 3, 4, 5, 6}), FloatTensor({2}, {1, 2})), Error);
  EXPECT_THROW(RunBiasGelu(FloatTensor({2, 3}, {1, 2, 3, 4, 5, 6}), FloatTensor({1, 3}, {1, 2, 3})), Error);
}

// ---- SkipLayerNormalization ------------------------------------------------------------------

struct SkipSpec {
  bool sum_read_later = false;  // the sum also feeds the next residual Add
  bool sum_is_output = false;   // the sum is a graph output
  bool with_beta = true;
  bool gamma_is_input = false;
  int64_t axis = -1;
  bool one_operand_constant = false;
  std::vector<DimSpec> shape = {int64_t(2), int64_t(4), int64_t(8)};
  bool b_broadcast = false;  // b [1,4,8]: Add broadcasts it
};

// a, b -> Add -> LayerNormalization(gamma, beta, epsilon 1e-3) -> y; optionally y2 = Add(sum, y).
std::string SkipModel(const SkipSpec& s) {
  GraphBuilder g;
  g.Input("a", DataType::Float, s.shape).Output("y", DataType::Float);
  if (s.one_operand_constant) g.Initializer("b", RandomTensor(DataType::Float, {2, 4, 8}, 8, -2, 2));
  else if (s.b_broadcast) g.Input("b", DataType::Float, {int64_t(1), int64_t(4), int64_t(8)});
  else g.Input("b", DataType::Float, s.shape);
  if (s.gamma_is_input) g.Input("gamma", DataType::Float, {int64_t(8)});
  else g.Initializer("gamma", Vector(8, 6));
  g.Initializer("beta", Vector(8, 7));
  g.Node("Add", {"a", "b"}, {"sum"});
  std::vector<std::string> ln_in = {"sum", "gamma"};
  if (s.with_beta) ln_in.push_back("beta");
  g.Node("LayerNormalization", ln_in, {"y"}, {IntAttribute("axis", s.axis), FloatAttribute("epsilon", 1e-3f)}, "ln");
  if (s.sum_read_later) g.Output("y2", DataType::Float).Node("Add", {"sum", "y"}, {"y2"});
  if (s.sum_is_output) g.Output("sum", DataType::Float);
  return BuildModel(g, 17);
}

Feeds SkipFeeds(const SkipSpec& s) {
  Feeds f = {{"a", RandomTensor(DataType::Float, {2, 4, 8}, 1, -3, 3)}};
  if (!s.one_operand_constant)
    f.push_back({"b", RandomTensor(DataType::Float, s.b_broadcast ? std::vector<int64_t>{1, 4, 8} : std::vector<int64_t>{2, 4, 8}, 2, -3, 3)});
  if (s.gamma_is_input) f.push_back({"gamma", Vector(8, 6)});
  return f;
}

void ExpectSkipFused(const SkipSpec& s) {
  const std::string model = SkipModel(s);
  const std::shared_ptr<Graph> g = AfterPass(model, MakeSkipLayerNormFusion);
  ASSERT_GE(g->nodes.size(), 1u);
  const Node& n = g->nodes[0];
  EXPECT_EQ(n.op_type, "SkipLayerNormalization");
  EXPECT_EQ(n.domain, "com.microsoft");
  EXPECT_EQ(n.inputs, s.with_beta ? (std::vector<std::string>{"a", "b", "gamma", "beta"}) : (std::vector<std::string>{"a", "b", "gamma"}));
  const bool keep_sum = s.sum_read_later || s.sum_is_output;
  EXPECT_EQ(n.outputs, keep_sum ? (std::vector<std::string>{"y", "", "", "sum"}) : (std::vector<std::string>{"y"}));
  const Attribute* eps = n.FindAttribute("epsilon");
  ASSERT_NE(eps, nullptr);
  EXPECT_EQ(eps->f, 1e-3f);
  EXPECT_EQ(g->nodes.size(), s.sum_read_later ? 2u : 1u);
  SessionPair sessions(model, kExtended);
  EXPECT_EQ(CountOps(sessions.optimized, "SkipLayerNormalization"), 1);
  EXPECT_EQ(CountOps(sessions.optimized, "LayerNormalization"), 0);
  ExpectSameOutputs(sessions, SkipFeeds(s), /*tol=*/0);
}

void ExpectSkipKept(const SkipSpec& s, GraphOptimizationLevel level = kExtended) {
  const std::string model = SkipModel(s);
  SessionPair sessions(model, level);
  EXPECT_EQ(CountOps(sessions.optimized, "SkipLayerNormalization"), 0);
  EXPECT_EQ(CountOps(sessions.optimized, "LayerNormalization"), 1);
  ExpectSameOutputs(sessions, SkipFeeds(s), 0);
}

TEST(SkipLayerNormFusion, AddThenLayerNorm) { ExpectSkipFused({}); }
TEST(SkipLayerNormFusion, WithoutBeta) { ExpectSkipFused({.with_beta = false}); }
TEST(SkipLayerNormFusion, PositiveLastAxis) { ExpectSkipFused({.axis = 2}); }
TEST(SkipLayerNormFusion, SumReadByTheNextResidualIsTheFourthOutput) { ExpectSkipFused({.sum_read_later = true}); }
TEST(SkipLayerNormFusion, SumAsGraphOutputIsTheFourthOutput) { ExpectSkipFused({.sum_is_output = true}); }
TEST(SkipLayerNormFusion, SymbolicLeadingDims) {
  ExpectSkipFused({.shape = {std::string("batch"), std::string("seq"), int64_t(8)}});
}
TEST(SkipLayerNormFusion, Rank2) {
  const SkipSpec s{.shape = {int64_t(8), int64_t(8)}};
  const std::string model = SkipModel(s);
  SessionPair sessions(model, kExtended);
  EXPECT_EQ(CountOps(sessions.optimized, "SkipLayerNormalization"), 1);
  Feeds f = {{"a", RandomTensor(DataType::Float, {8, 8}, 1, -3, 3)}, {"b", RandomTensor(DataType::Float, {8, 8}, 2, -3, 3)}};
  ExpectSameOutputs(sessions, f, 0);
}
TEST(SkipLayerNormFusion, NotTheLastAxisIsLeftAlone) { ExpectSkipKept({.axis = 1}); }
TEST(SkipLayerNormFusion, GammaNotFixedIsLeftAlone) { ExpectSkipKept({.gamma_is_input = true}); }
TEST(SkipLayerNormFusion, ConstantOperandIsLeftAlone) { ExpectSkipKept({.one_operand_constant = true}); }
TEST(SkipLayerNormFusion, DifferentFixedShapesAreLeftAlone) {
  ExpectSkipKept({.b_broadcast = true});
}
TEST(SkipLayerNormFusion, BasicLevelLeavesIt) { ExpectSkipKept({}, GraphOptimizationLevel::EnableBasic); }

TEST(SkipLayerNormFusion, SavedModelReloadsAndRunsTheSame) {
  const SkipSpec spec{.sum_read_later = true};
  const std::string path = ::testing::TempDir() + "skip_layer_norm_fusion_saved.onnx";
  Session optimized = SessionAt(SkipModel(spec), kExtended, path);
  Session reloaded(path, SessionOptions{});
  EXPECT_EQ(CountOps(reloaded, "SkipLayerNormalization"), 1);
  const Feeds feeds = SkipFeeds(spec);
  const std::vector<Tensor> a = optimized.Run(feeds), b = reloaded.Run(feeds);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k)
    for (int64_t i = 0; i < a[k].size(); ++i) EXPECT_EQ(a[k].data<float>()[i], b[k].data<float>()[i]);
  std::remove(path.c_str());
}

std::vector<Value> RunSkip(const std::vector<Value>& inputs, size_t outputs, float eps, ThreadPool* pool = nullptr) {
  Node node;
  node.op_type = "SkipLayerNormalization";
  node.domain = "com.microsoft";
  node.name = "test_SkipLayerNormalization";
  node.opset = 1;
  node.attributes["epsilon"] = FloatAttr(eps);
  const char* in_names[] = {"input", "skip", "gamma", "beta", "bias"};
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(inputs[i].is_none() ? "" : in_names[i]);
  const char* out_names[] = {"output", "mean", "inv_std_var", "sum"};
  for (size_t i = 0; i < outputs; ++i) node.outputs.push_back(out_names[i]);
  return EvaluateNode(node, inputs, TestRegistry(), kCpuProvider, pool);
}

TEST(SkipLayerNormKernel, MatchesDoubleReferenceWithBiasAndEveryOutput) {
  ThreadPool pool(3);
  const int64_t rows = 6, n = 40;
  const Tensor x = RandomTensor(DataType::Float, {2, 3, n}, 1, -3, 3), gamma = Vector(n, 2), beta = Vector(n, 3), bias = Vector(n, 4);
  for (bool broadcast_skip : {false, true}) {
    const Tensor skip = broadcast_skip ? RandomTensor(DataType::Float, {3, n}, 5, -3, 3) : RandomTensor(DataType::Float, {2, 3, n}, 5, -3, 3);
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
      const std::vector<Value> out = RunSkip({Value(x), Value(skip), Value(gamma), Value(beta), Value(bias)}, 4, 1e-5f, p);
      ASSERT_EQ(out.size(), 4u);
      const Tensor &y = out[0].tensor(), &mean = out[1].tensor(), &inv = out[2].tensor(), &sum = out[3].tensor();
      ASSERT_EQ(y.shape(), x.shape());
      ASSERT_EQ(sum.shape(), x.shape());
      ASSERT_EQ(mean.shape(), (std::vector<int64_t>{2, 3, 1}));
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<double> s(n);
        double m = 0, v = 0;
        for (int64_t i = 0; i < n; ++i) {
          s[i] = static_cast<double>(x.data<float>()[r * n + i]) + skip.data<float>()[(r % (skip.size() / n)) * n + i] + bias.data<float>()[i];
          m += s[i];
        }
        m /= n;
        for (int64_t i = 0; i < n; ++i) v += (s[i] - m) * (s[i] - m);
        const double iv = 1.0 / std::sqrt(v / n + 1e-5);
        EXPECT_NEAR(mean.data<float>()[r], m, 1e-5);
        EXPECT_NEAR(inv.data<float>()[r], iv, 1e-5 * iv);
        for (int64_t i = 0; i < n; ++i) {
          EXPECT_NEAR(sum.data<float>()[r * n + i], s[i], 1e-5);
          const double want = (s[i] - m) * iv * gamma.data<float>()[i] + beta.data<float>()[i];
          EXPECT_NEAR(y.data<float>()[r * n + i], want, 1e-5 * (1 + std::abs(want)));
        }
      }
    }
  }
}

TEST(SkipLayerNormKernel, MismatchedShapesAreRefused) {
  const Tensor x = RandomTensor(DataType::Float, {2, 3, 4}, 1), gamma = Vector(4, 2);
  EXPECT_THROW(RunSkip({Value(x), Value(RandomTensor(DataType::Float, {2, 1, 4}, 2)), Value(gamma)}, 1, 1e-5f), Error);
  EXPECT_THROW(RunSkip({Value(x), Value(x), Value(Vector(3, 2))}, 1, 1e-5f), Error);
}

// ---- Float fast paths of the binary ops ------------------------------------------------------

TEST(FloatBinaryFastPath, MatchesElementwiseResultForEveryForm) {
  ThreadPool pool(3);
  struct Case {
    std::vector<int64_t> a, b;
  };
  const std::vector<Case> cases = {{{4, 5, 33}, {4, 5, 33}}, {{4, 5, 33}, {}},      {{}, {4, 5, 33}},
                                   {{4, 5, 33}, {33}},       {{33}, {4, 5, 33}},    {{4, 5, 33}, {1, 5, 33}},
                                   {{1, 1, 33}, {4, 5, 33}}, {{4, 5, 33}, {5, 1}},  {{4, 1, 33}, {1, 5, 33}}};
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (const Case& c : cases) {
      const Tensor a = RandomTensor(DataType::Float, c.a, 1, -4, 4), b = RandomTensor(DataType::Float, c.b, 2, 0.5, 4);
      Node node;
      node.op_type = op;
      node.opset = 14;
      node.inputs = {"a", "b"};
      node.outputs = {"y"};
      for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
        const Tensor y = EvaluateNode(node, {Value(a), Value(b)}, TestRegistry(), kCpuProvider, p)[0].tensor();
        // The broadcast by hand: output [4,5,33], each input indexed by its own strides.
        ASSERT_EQ(y.shape(), (std::vector<int64_t>{4, 5, 33}));
        auto at = [](const Tensor& t, int64_t i, int64_t j, int64_t k) {
          std::vector<int64_t> full(3 - t.rank(), 1);
          full.insert(full.end(), t.shape().begin(), t.shape().end());
          const int64_t ii = full[0] == 1 ? 0 : i, jj = full[1] == 1 ? 0 : j, kk = full[2] == 1 ? 0 : k;
          return t.data<float>()[(ii * full[1] + jj) * full[2] + kk];
        };
        for (int64_t i = 0; i < 4; ++i)
          for (int64_t j = 0; j < 5; ++j)
            for (int64_t k = 0; k < 33; ++k) {
              const float u = at(a, i, j, k), v = at(b, i, j, k);
              const float want = op[0] == 'A' ? u + v : op[0] == 'S' ? u - v : op[0] == 'M' ? u * v : u / v;
              ASSERT_EQ(y.data<float>()[(i * 5 + j) * 33 + k], want) << op << " " << ShapeToString(c.a) << " " << ShapeToString(c.b);
            }
      }
    }
  }
}

}  // namespace
}  // namespace onyx::testing

namespace onyx::testing {
namespace {

// ---- FusedMatMul -----------------------------------------------------------------------------

struct ScaleSpec {
  std::string op = "Div";
  bool scale_first = false;  // Mul(s, MatMul)
  float s = 8.f;
  std::vector<int64_t> s_shape = {};
  bool expose_product = false;
  bool s_is_input = false;
};

// a [2,3,4,5] x b [2,3,5,6] (attention-like batched product) -> scale -> y
std::string ScaleModel(const ScaleSpec& s) {
  GraphBuilder g;
  g.Input("a", DataType::Float, {int64_t(2), int64_t(3), int64_t(4), int64_t(5)})
      .Input("b", DataType::Float, {int64_t(2), int64_t(3), int64_t(5), int64_t(6)})
      .Output("y", DataType::Float);
  Tensor c(DataType::Float, s.s_shape);
  c.data<float>()[0] = s.s;
  if (s.s_is_input) g.Input("s", DataType::Float, {});
  else g.Initializer("s", c);
  g.Node("MatMul", {"a", "b"}, {"p"});
  if (s.expose_product) g.Output("p", DataType::Float);
  g.Node(s.op, s.scale_first ? std::vector<std::string>{"s", "p"} : std::vector<std::string>{"p", "s"}, {"y"});
  return BuildModel(g, 17);
}

Feeds ScaleFeeds(const ScaleSpec& s) {
  Feeds f = {{"a", RandomTensor(DataType::Float, {2, 3, 4, 5}, 1, -2, 2)}, {"b", RandomTensor(DataType::Float, {2, 3, 5, 6}, 2, -2, 2)}};
  if (s.s_is_input) f.push_back({"s", FloatScalar(s.s)});
  return f;
}

void ExpectScaleFused(const ScaleSpec& s, float alpha) {
  const std::string model = ScaleModel(s);
  const std::shared_ptr<Graph> g = AfterPass(model, MakeMatMulScaleFusion);
  ASSERT_EQ(Ops(g), (std::vector<std::string>{"FusedMatMul"}));
  const Node& n = g->nodes[0];
  EXPECT_EQ(n.domain, "com.microsoft");
  EXPECT_EQ(n.inputs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(n.outputs, (std::vector<std::string>{"y"}));
  const Attribute* a = n.FindAttribute("alpha");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->f, alpha);
  SessionPair sessions(model, kExtended);
  EXPECT_EQ(CountOps(sessions.optimized, "FusedMatMul"), 1);
  EXPECT_EQ(CountOps(sessions.optimized, "MatMul"), 0);
  ExpectSameOutputs(sessions, ScaleFeeds(s), /*tol=*/1e-6);  // alpha * sum rounds unlike sum / s
}

void ExpectScaleKept(const ScaleSpec& s) {
  const std::string model = ScaleModel(s);
  SessionPair sessions(model, kExtended);
  EXPECT_EQ(CountOps(sessions.optimized, "FusedMatMul"), 0);
  EXPECT_EQ(CountOps(sessions.optimized, "MatMul"), 1);
  ExpectSameOutputs(sessions, ScaleFeeds(s), 0);
}

TEST(MatMulScaleFusion, DivByScalar) { ExpectScaleFused({}, 0.125f); }
TEST(MatMulScaleFusion, MulByScalar) { ExpectScaleFused({.op = "Mul", .s = 0.5f}, 0.5f); }
TEST(MatMulScaleFusion, MulScalarFirst) { ExpectScaleFused({.op = "Mul", .scale_first = true, .s = 3.f}, 3.f); }
TEST(MatMulScaleFusion, ScalarOfShapeOne) { ExpectScaleFused({.s = 4.f, .s_shape = {1}}, 0.25f); }
TEST(MatMulScaleFusion, DivisorFirstIsLeftAlone) { ExpectScaleKept({.scale_first = true}); }
TEST(MatMulScaleFusion, DivByZeroIsLeftAlone) { ExpectScaleKept({.s = 0.f}); }
TEST(MatMulScaleFusion, ProductAsGraphOutputIsLeftAlone) { ExpectScaleKept({.expose_product = true}); }
TEST(MatMulScaleFusion, ScaleNotFixedIsLeftAlone) { ExpectScaleKept({.s_is_input = true}); }
TEST(MatMulScaleFusion, ScaleThatRaisesTheRankIsLeftAlone) { ExpectScaleKept({.s_shape = {1, 1, 1, 1, 1}}); }

TEST(FusedMatMulKernel, TransposingFormsAreRefused) {
  Node node;
  node.op_type = "FusedMatMul";
  node.domain = "com.microsoft";
  node.opset = 1;
  node.attributes["transB"] = IntAttr(1);
  node.inputs = {"a", "b"};
  node.outputs = {"y"};
  const Tensor a = RandomTensor(DataType::Float, {2, 2}, 1);
  EXPECT_THROW(EvaluateNode(node, {Value(a), Value(a)}, TestRegistry(), kCpuProvider), Error);
}

}  // namespace
}  // namespace onyx::testing
