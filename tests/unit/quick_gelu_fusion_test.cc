// SiLU -> com.microsoft QuickGelu (level 2): Mul(x, Sigmoid(x)) and Mul(x, Sigmoid(Mul(x, alpha)))
// in either input order become one QuickGelu whose outputs are bit-identical to the unfused
// graph's; nothing fuses where an intermediate is read elsewhere or is a graph output, where the
// Mul's other input is not x (EfficientNet's squeeze-excite scaling), where alpha is not a fixed
// float scalar, for double, at level 1, or where a provider that would run the Mul has no
// QuickGelu kernel. The kernel itself against a double reference, special values included.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>

#include "core/float16.h"
#include "core/kernel_registry.h"
#include "core/node_evaluator.h"
#include "cpu_kernels.h"
#include "graph/shape_inference.h"
#include "kernel_test_util.h"
#include "mlas/math_activations.h"
#include "model/model_loader.h"
#include "optimizer/optimizer.h"
#include "optimizer_test_util.h"

namespace onyx::testing {
namespace {

constexpr auto kExtended = GraphOptimizationLevel::EnableExtended;
constexpr float kInf = std::numeric_limits<float>::infinity();

// ---- The kernel ------------------------------------------------------------------------------

Tensor RunQuickGelu(const Tensor& x, std::optional<float> alpha, ThreadPool* pool = nullptr) {
  Node node;
  node.op_type = "QuickGelu";
  node.domain = "com.microsoft";
  node.name = "test_QuickGelu";
  node.opset = 1;
  if (alpha) node.attributes["alpha"] = FloatAttr(*alpha);
  node.inputs = {"x"};
  node.outputs = {"y"};
  return EvaluateNode(node, {Value(x)}, TestRegistry(), kCpuProvider, pool)[0].tensor();
}

double Reference(double x, double alpha) { return x * (1.0 / (1.0 + std::exp(-(alpha * x)))); }

std::vector<float> Sweep() {
  std::vector<float> v;
  for (float x = -20.f; x <= 20.f; x += 0.0173f) v.push_back(x);
  for (float x : {0.f, -0.f, 1e-8f, -1e-8f, 1e-40f, -1e-40f, 50.f, -50.f, 88.f, 88.7f, -88.f, -100.f, 100.f, 1e30f,
                  -1e30f, std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest(), kInf, -kInf,
                  std::numeric_limits<float>::quiet_NaN()})
    v.push_back(x);
  return v;
}

void ExpectClose(double got, double want, double rtol, double atol, const std::string& what) {
  if (std::isnan(want)) EXPECT_TRUE(std::isnan(got)) << what << ": got " << got;
  else if (std::isinf(want)) EXPECT_EQ(got, want) << what;
  else EXPECT_NEAR(got, want, atol + rtol * std::abs(want)) << what;
}

TEST(QuickGeluKernel, MatchesScalarReferenceWithSpecialValues) {
  const std::vector<float> xs = Sweep();
  const int64_t n = static_cast<int64_t>(xs.size());
  for (std::optional<float> alpha : {std::optional<float>{}, std::optional<float>{1.f}, std::optional<float>{-0.5f},
                                     std::optional<float>{0.f}, std::optional<float>{3.f}}) {
    const double a = alpha.value_or(1.702f);  // the spec's default, as float
    Tensor y = RunQuickGelu(FloatTensor({n}, xs), alpha);
    ASSERT_EQ(y.dtype(), DataType::Float);
    ASSERT_EQ(y.shape(), (std::vector<int64_t>{n}));
    for (int64_t i = 0; i < n; ++i)
      ExpectClose(y.data<float>()[i], Reference(xs[i], a), 2e-6, 1e-30, "float x=" + std::to_string(xs[i]) + " alpha=" + std::to_string(a));
    // NaN and infinities as x * sigmoid(alpha * x) in float: -inf * 0 is NaN.
    EXPECT_TRUE(std::isnan(y.data<float>()[n - 1]));
    if (a > 0) {
      EXPECT_EQ(y.data<float>()[n - 3], kInf);
      EXPECT_TRUE(std::isnan(y.data<float>()[n - 2]));
    }

    Tensor xd(DataType::Double, {n});
    for (int64_t i = 0; i < n; ++i) xd.data<double>()[i] = xs[i];
    Tensor yd = RunQuickGelu(xd, alpha);
    ASSERT_EQ(yd.dtype(), DataType::Double);
    for (int64_t i = 0; i < n; ++i)
      ExpectClose(yd.data<double>()[i], Reference(xs[i], a), 1e-12, 1e-300, "double x=" + std::to_string(xs[i]));

    Tensor xh(DataType::Float16, {n});
    for (int64_t i = 0; i < n; ++i) xh.data<uint16_t>()[i] = FloatToHalf(xs[i]);
    Tensor yh = RunQuickGelu(xh, alpha);
    ASSERT_EQ(yh.dtype(), DataType::Float16);
    for (int64_t i = 0; i < n; ++i) {
      const double xv = HalfToFloat(xh.data<uint16_t>()[i]);
      ExpectClose(HalfToFloat(yh.data<uint16_t>()[i]), Reference(xv, a), 1e-3, 1e-7, "half x=" + std::to_string(xv));
    }
  }
}

TEST(QuickGeluKernel, RoundsAsMulOfSigmoid) {
  // The fused microkernel gives the bits of the unfused kernels, so the fusion changes no output.
  std::vector<float> xs = Sweep();
  const int64_t n = static_cast<int64_t>(xs.size());
  for (float alpha : {1.f, 1.702f, -0.25f}) {
    std::vector<float> t(n), s(n), y(n);
    for (int64_t i = 0; i < n; ++i) t[i] = xs[i] * alpha;
    mlas::SigmoidF32(t.data(), s.data(), n);
    mlas::QuickGeluF32(xs.data(), y.data(), n, alpha);
    for (int64_t i = 0; i < n; ++i) {
      const float want = xs[i] * s[i];
      if (std::isnan(want)) EXPECT_TRUE(std::isnan(y[i])) << xs[i];
      else EXPECT_EQ(y[i], want) << "x=" << xs[i] << " alpha=" << alpha;
    }
    std::vector<float> inplace = xs;  // x == y is allowed
    mlas::QuickGeluF32(inplace.data(), inplace.data(), n, alpha);
    for (int64_t i = 0; i < n; ++i)
      if (!std::isnan(y[i])) EXPECT_EQ(inplace[i], y[i]);
  }
}

TEST(QuickGeluKernel, ParallelChunksAgreeWithOneCall) {
  ThreadPool pool(4);
  Tensor x = RandomTensor(DataType::Float, {3, 100003}, 7, -30, 30);
  Tensor y = RunQuickGelu(x, 1.f, &pool);
  std::vector<float> want(x.size());
  mlas::QuickGeluF32(x.data<float>(), want.data(), x.size(), 1.f);
  for (int64_t i = 0; i < x.size(); ++i) ASSERT_EQ(y.data<float>()[i], want[i]) << i;
}

TEST(QuickGeluKernel, AlphaOfTheWrongTypeIsRefused) {
  Node node;
  node.op_type = "QuickGelu";
  node.domain = "com.microsoft";
  node.opset = 1;
  node.attributes["alpha"] = StringAttr("1.0");
  node.inputs = {"x"};
  node.outputs = {"y"};
  EXPECT_THROW(EvaluateNode(node, {Value(FloatTensor({1}, {1.f}))}, TestRegistry(), kCpuProvider), Error);
}

// ---- The fusion ------------------------------------------------------------------------------

struct SiluSpec {
  bool sigmoid_first = false;  // Mul(Sigmoid(x), x) instead of Mul(x, Sigmoid(x))
  bool with_alpha = false;     // Sigmoid(Mul(x, alpha)) instead of Sigmoid(x)
  bool alpha_first = false;    // Mul(alpha, x)
  float alpha = 1.702f;
  std::vector<int64_t> alpha_shape = {};
  bool alpha_is_input = false;  // alpha a graph input instead of an initializer
  bool expose_sigmoid = false;  // the Sigmoid output is also a graph output
  bool read_sigmoid_twice = false;
  bool read_inner_twice = false;
  bool other_operand = false;  // Mul(z, Sigmoid(x)): squeeze-excite scaling, not a SiLU
  DataType dt = DataType::Float;
};

// x [2,3,5] -> (SiLU) -> y; a Relu reads x too, as the next layer's readers do in real models.
std::string SiluModel(const SiluSpec& s) {
  GraphBuilder g;
  g.Input("x", s.dt, {int64_t(2), int64_t(3), int64_t(5)}).Output("y", s.dt).Output("r", s.dt);
  std::string t = "x";
  if (s.with_alpha) {
    Tensor a(s.dt, s.alpha_shape);
    if (s.dt == DataType::Double) a.data<double>()[0] = s.alpha;
    else a.data<float>()[0] = s.alpha;
    if (s.alpha_is_input) g.Input("alpha", s.dt, {});
    else g.Initializer("alpha", a);
    g.Node("Mul", s.alpha_first ? std::vector<std::string>{"alpha", "x"} : std::vector<std::string>{"x", "alpha"}, {"t"});
    t = "t";
    if (s.read_inner_twice) g.Output("t2", s.dt).Node("Neg", {"t"}, {"t2"});
  }
  g.Node("Sigmoid", {t}, {"s"}, {}, "silu_sigmoid");
  if (s.expose_sigmoid) g.Output("s", s.dt);
  if (s.read_sigmoid_twice) g.Output("s2", s.dt).Node("Neg", {"s"}, {"s2"});
  std::string other = "x";
  if (s.other_operand) {
    g.Input("z", s.dt, {int64_t(2), int64_t(3), int64_t(5)});
    other = "z";
  }
  g.Node("Mul", s.sigmoid_first ? std::vector<std::string>{"s", other} : std::vector<std::string>{other, "s"}, {"y"});
  g.Node("Relu", {"x"}, {"r"});
  return BuildModel(g);
}

Feeds FeedsFor(const SiluSpec& s) {
  Tensor x = RandomTensor(s.dt, {2, 3, 5}, 3, -12, 12);
  if (s.dt == DataType::Float) {  // special values too: the fused op must give the same bits
    const float specials[] = {kInf, -kInf, std::numeric_limits<float>::quiet_NaN(), 100.f, -100.f, 0.f, -0.f, 1e-40f};
    for (size_t i = 0; i < std::size(specials); ++i) x.data<float>()[i * 3] = specials[i];
  }
  Feeds feeds = {{"x", x}};
  if (s.other_operand) feeds.push_back({"z", RandomTensor(s.dt, {2, 3, 5}, 4)});
  if (s.alpha_is_input) {
    Tensor a(s.dt, {});
    a.data<float>()[0] = s.alpha;
    feeds.push_back({"alpha", a});
  }
  return feeds;
}

// The graph after the pass alone, on a registry (the CPU's by default) and providers.
std::shared_ptr<Graph> AfterPass(const std::string& bytes, const KernelRegistry& registry = TestRegistry(),
                                 const std::vector<std::string>& providers = {}) {
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  Graph& g = *m.graph;
  g.SortAndValidate();
  InferShapes(g);
  OptimizerContext ctx{&registry, kCpuProvider, providers};
  MakeQuickGeluFusion(ctx)->Run(g);
  g.SortAndValidate();
  return m.graph;
}

std::vector<std::string> Ops(const std::shared_ptr<Graph>& g) {
  std::vector<std::string> ops;
  for (const auto& n : g->nodes) ops.push_back(n.op_type);
  return ops;
}

// The rewritten graph is QuickGelu(x, alpha) + the Relu, and the session's outputs are the
// unoptimized session's, bit for bit.
void ExpectFused(const SiluSpec& s, float alpha) {
  const std::string model = SiluModel(s);
  const std::shared_ptr<Graph> g = AfterPass(model);
  ASSERT_EQ(Ops(g), (std::vector<std::string>{"QuickGelu", "Relu"}));
  const Node& q = g->nodes[0];
  EXPECT_EQ(q.domain, "com.microsoft");
  EXPECT_EQ(q.inputs, (std::vector<std::string>{"x"}));
  EXPECT_EQ(q.outputs, (std::vector<std::string>{"y"}));
  const Attribute* a = q.FindAttribute("alpha");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->type, Attribute::Type::Float);
  EXPECT_EQ(a->f, alpha);
  EXPECT_TRUE(g->opsets.count("com.microsoft"));

  SessionPair sessions(model, kExtended);
  EXPECT_EQ(CountOps(sessions.optimized, "QuickGelu"), 1);
  EXPECT_EQ(CountOps(sessions.optimized, "Sigmoid"), 0);
  EXPECT_EQ(CountOps(sessions.optimized, "Mul"), 0);
  ExpectSameOutputs(sessions, FeedsFor(s), /*tol=*/0);
}

void ExpectKept(const SiluSpec& s, GraphOptimizationLevel level = kExtended) {
  const std::string model = SiluModel(s);
  SessionPair sessions(model, level);
  EXPECT_EQ(CountOps(sessions.optimized, "QuickGelu"), 0);
  EXPECT_EQ(CountOps(sessions.optimized, "Sigmoid"), 1);
  ExpectSameOutputs(sessions, FeedsFor(s), 0);
}

TEST(QuickGeluFusion, MulOfXAndSigmoid) { ExpectFused({}, 1.f); }
TEST(QuickGeluFusion, SigmoidFirst) { ExpectFused({.sigmoid_first = true}, 1.f); }
TEST(QuickGeluFusion, ScaledSigmoid) { ExpectFused({.with_alpha = true}, 1.702f); }
TEST(QuickGeluFusion, ScaledSigmoidEitherOrder) {
  ExpectFused({.sigmoid_first = true, .with_alpha = true, .alpha_first = true, .alpha = -0.75f}, -0.75f);
}
TEST(QuickGeluFusion, AlphaOfShapeOneWithinTheRankOfX) {
  ExpectFused({.with_alpha = true, .alpha = 2.f, .alpha_shape = {1, 1}}, 2.f);
}

TEST(QuickGeluFusion, AlphaThatRaisesTheRankIsLeftAlone) {
  ExpectKept({.with_alpha = true, .alpha_shape = {1, 1, 1, 1}});
}
TEST(QuickGeluFusion, AlphaNotFixedIsLeftAlone) { ExpectKept({.with_alpha = true, .alpha_is_input = true}); }
TEST(QuickGeluFusion, SigmoidReadTwiceIsLeftAlone) { ExpectKept({.read_sigmoid_twice = true}); }
TEST(QuickGeluFusion, SigmoidAsGraphOutputIsLeftAlone) { ExpectKept({.expose_sigmoid = true}); }
TEST(QuickGeluFusion, InnerMulReadTwiceIsLeftAlone) { ExpectKept({.with_alpha = true, .read_inner_twice = true}); }
TEST(QuickGeluFusion, SqueezeExciteScalingIsLeftAlone) { ExpectKept({.other_operand = true}); }
TEST(QuickGeluFusion, DoubleIsLeftAlone) { ExpectKept({.dt = DataType::Double}); }
TEST(QuickGeluFusion, BasicLevelLeavesIt) { ExpectKept({}, GraphOptimizationLevel::EnableBasic); }

TEST(QuickGeluFusion, OnlyWhereEveryProviderThatTakesMulRunsQuickGelu) {
  const std::string device = "FakeDeviceExecutionProvider";
  auto registry = [&](bool mul, bool quick_gelu) {
    KernelRegistry r;
    RegisterCpuKernels(r);
    KernelDef d;
    d.provider = device;
    d.factory = [](const KernelInfo&) -> std::unique_ptr<OpKernel> { return nullptr; };
    if (mul) {
      d.op_type = "Mul";
      r.Register(d);
    }
    if (quick_gelu) {
      d.domain = "com.microsoft";
      d.op_type = "QuickGelu";
      r.Register(d);
    }
    return r;
  };
  const std::string model = SiluModel({});
  const std::vector<std::string> fused = {"QuickGelu", "Relu"}, kept = {"Sigmoid", "Mul", "Relu"};
  EXPECT_EQ(Ops(AfterPass(model, registry(true, false), {device, kCpuProvider})), kept);
  EXPECT_EQ(Ops(AfterPass(model, registry(true, true), {device, kCpuProvider})), fused);
  EXPECT_EQ(Ops(AfterPass(model, registry(false, false), {device, kCpuProvider})), fused);  // the Mul runs on the CPU anyway
  EXPECT_EQ(Ops(AfterPass(model, registry(true, false), {})), fused);                      // CPU alone
}

TEST(QuickGeluFusion, SavedModelReloadsAndRunsTheSame) {
  const SiluSpec spec{.with_alpha = true};
  const std::string path = ::testing::TempDir() + "quick_gelu_fusion_saved.onnx";
  Session optimized = SessionAt(SiluModel(spec), kExtended, path);
  Session reloaded(path, SessionOptions{});
  EXPECT_EQ(CountOps(reloaded, "QuickGelu"), 1);
  const Feeds feeds = FeedsFor(spec);
  const std::vector<Tensor> a = optimized.Run(feeds), b = reloaded.Run(feeds);
  for (int64_t i = 0; i < a[0].size(); ++i) {
    const float u = a[0].data<float>()[i], v = b[0].data<float>()[i];
    if (std::isnan(u)) EXPECT_TRUE(std::isnan(v));
    else EXPECT_EQ(u, v);
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace onyx::testing
