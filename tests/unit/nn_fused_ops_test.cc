// The com.microsoft FusedConv and FusedGemm kernels: each activation against the plain Conv/Gemm
// kernel followed by a scalar reference in double, over the convolution paths (pointwise,
// im2col in chunks, depthwise, one output position, pre-packed filters) and the GEMM shapes
// (matrix-vector, transposes, broadcast C, no depth), with FusedConv's addend Z, NaN and
// infinities in the input, 16-bit and double types; attribute validation; shape inference.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "core/float16.h"
#include "graph/shape_inference.h"
#include "kernel_test_util.h"
#include "model/model_loader.h"
#include "model_builder.h"
#include "onyx/session.h"
#include "provider_test_util.h"

namespace onyx::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Act {
  std::string name;
  std::vector<float> params;  // FusedConv's activation_params
};

std::vector<Act> AllActs() {
  return {{"Relu", {}}, {"Sigmoid", {}}, {"Tanh", {}}, {"LeakyRelu", {0.15f}}, {"HardSigmoid", {0.3f, 0.4f}}, {"Clip", {-0.5f, 0.75f}}};
}

double Reference(const Act& a, double v) {
  if (a.name == "Relu") return v < 0 ? 0 : v;
  if (a.name == "Sigmoid") return 1 / (1 + std::exp(-v));
  if (a.name == "Tanh") return std::tanh(v);
  if (a.name == "LeakyRelu") return v < 0 ? a.params[0] * v : v;
  if (a.name == "HardSigmoid") {
    v = a.params[0] * v + a.params[1];
    v = v < 0 ? 0 : v;
    return v > 1 ? 1 : v;
  }
  if (a.name == "Clip") {
    v = v < a.params[0] ? a.params[0] : v;
    return v > a.params[1] ? a.params[1] : v;
  }
  return v;
}

std::vector<Value> RunMs(const std::string& op, const std::vector<Tensor>& inputs, std::map<std::string, Attribute> attrs,
                         ThreadPool* pool = nullptr) {
  Node node;
  node.op_type = op;
  node.domain = "com.microsoft";
  node.name = "test_" + op;
  node.opset = 1;
  node.attributes = std::move(attrs);
  std::vector<Value> values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    node.inputs.push_back(inputs[i].defined() ? "in" + std::to_string(i) : "");
    values.push_back(inputs[i].defined() ? Value(inputs[i]) : Value());
  }
  node.outputs = {"out0"};
  return EvaluateNode(node, values, TestRegistry(), kCpuProvider, pool);
}

// want = act(base + z), elementwise; NaN where the reference is NaN.
void ExpectActivated(const Tensor& got, const Tensor& base, const Tensor* z, const Act& act, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), base.shape()) << what;
  for (int64_t i = 0; i < got.size(); ++i) {
    double v = ElementAsDouble(base, i);
    if (z) v += ElementAsDouble(*z, i);
    const double want = Reference(act, v), g = ElementAsDouble(got, i);
    if (g == want) continue;  // also equal infinities
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(g)) << what << " element " << i << " = " << g << ", want NaN";
      continue;
    }
    ASSERT_NEAR(g, want, tol * (1 + std::fabs(want))) << what << " " << act.name << " element " << i;
  }
}

std::map<std::string, Attribute> ConvAttrs(int64_t group, int64_t pad, int64_t stride) {
  return {{"group", IntAttr(group)}, {"pads", IntsAttr({pad, pad, pad, pad})}, {"strides", IntsAttr({stride, stride})}};
}

std::map<std::string, Attribute> WithAct(std::map<std::string, Attribute> attrs, const Act& a) {
  attrs["activation"] = StringAttr(a.name);
  if (!a.params.empty()) attrs["activation_params"] = FloatsAttr(a.params);
  return attrs;
}

struct ConvCase {
  const char* what;
  std::vector<int64_t> x, w;
  int64_t group, pad, stride;
};

std::vector<ConvCase> ConvCases() {
  return {
      {"3x3", {2, 3, 9, 9}, {5, 3, 3, 3}, 1, 1, 1},
      {"pointwise", {1, 8, 6, 6}, {16, 8, 1, 1}, 1, 0, 1},
      {"depthwise", {2, 6, 8, 8}, {6, 1, 3, 3}, 6, 1, 2},
      {"grouped", {1, 4, 7, 7}, {6, 2, 3, 3}, 2, 0, 1},
      {"one position", {3, 4, 3, 3}, {7, 4, 3, 3}, 1, 0, 1},
      // 64 * 9 patch rows x 96 * 96 positions is past the im2col budget: the GEMMs run in column chunks.
      {"chunked", {1, 64, 96, 96}, {8, 64, 3, 3}, 1, 1, 1},
  };
}

TEST(FusedConvKernel, EachActivationOnEachConvPath) {
  ThreadPool pool(2);
  uint32_t seed = 1;
  for (const ConvCase& c : ConvCases()) {
    const Tensor X = RandomTensor(DataType::Float, c.x, ++seed, -2, 2), W = RandomTensor(DataType::Float, c.w, ++seed);
    const Tensor B = RandomTensor(DataType::Float, {c.w[0]}, ++seed);
    const auto attrs = ConvAttrs(c.group, c.pad, c.stride);
    for (bool bias : {true, false}) {
      const std::vector<Tensor> ins = bias ? std::vector<Tensor>{X, W, B} : std::vector<Tensor>{X, W};
      const Tensor base = RunOp("Conv", ins, 1, attrs)[0].tensor();
      for (const Act& a : AllActs()) {
        ExpectActivated(RunMs("FusedConv", ins, WithAct(attrs, a))[0].tensor(), base, nullptr, a, 2e-6,
                        std::string(c.what) + (bias ? " bias" : ""));
        ExpectActivated(RunMs("FusedConv", ins, WithAct(attrs, a), &pool)[0].tensor(), base, nullptr, a, 2e-6,
                        std::string(c.what) + " 2 threads");
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(FusedConvKernel, AddendZIsAddedBeforeTheActivation) {
  uint32_t seed = 50;
  for (const ConvCase& c : ConvCases()) {
    const Tensor X = RandomTensor(DataType::Float, c.x, ++seed, -2, 2), W = RandomTensor(DataType::Float, c.w, ++seed);
    const Tensor B = RandomTensor(DataType::Float, {c.w[0]}, ++seed);
    const auto attrs = ConvAttrs(c.group, c.pad, c.stride);
    const Tensor base = RunOp("Conv", {X, W, B}, 1, attrs)[0].tensor();
    const Tensor Z = RandomTensor(DataType::Float, base.shape(), ++seed);
    for (const Act& a : {Act{"Relu", {}}, Act{"Sigmoid", {}}}) {
      ExpectActivated(RunMs("FusedConv", {X, W, B, Z}, WithAct(attrs, a))[0].tensor(), base, &Z, a, 2e-6, c.what);
      if (HasFatalFailure()) return;
    }
    // No activation: plain Conv + Z.
    ExpectActivated(RunMs("FusedConv", {X, W, Tensor(), Z}, attrs)[0].tensor(), RunOp("Conv", {X, W}, 1, attrs)[0].tensor(),
                    &Z, Act{"", {}}, 2e-6, c.what);
  }
}

TEST(FusedConvKernel, NanAndInfinityInTheInput) {
  Tensor X = RandomTensor(DataType::Float, {1, 2, 5, 5}, 3);
  X.data<float>()[0] = kNaN;
  X.data<float>()[7] = kInf;
  X.data<float>()[30] = -kInf;
  const Tensor W = RandomTensor(DataType::Float, {3, 2, 3, 3}, 4), B = RandomTensor(DataType::Float, {3}, 5);
  for (int64_t group : {1, 2}) {
    const Tensor Wg = group == 1 ? W : RandomTensor(DataType::Float, {2, 1, 3, 3}, 6);
    const Tensor Bg = group == 1 ? B : RandomTensor(DataType::Float, {2}, 7);
    const auto attrs = ConvAttrs(group, 1, 1);
    const Tensor base = RunOp("Conv", {X, Wg, Bg}, 1, attrs)[0].tensor();
    for (const Act& a : AllActs()) {
      ExpectActivated(RunMs("FusedConv", {X, Wg, Bg}, WithAct(attrs, a))[0].tensor(), base, nullptr, a, 2e-6, "nan/inf");
      if (HasFatalFailure()) return;
    }
  }
}

TEST(FusedConvKernel, DoubleAndFloat16) {
  const auto attrs = ConvAttrs(1, 1, 1);
  for (DataType dt : {DataType::Double, DataType::Float16}) {
    const Tensor X = RandomTensor(dt, {1, 3, 6, 6}, 8, -2, 2), W = RandomTensor(dt, {4, 3, 3, 3}, 9), B = RandomTensor(dt, {4}, 10);
    const Tensor base = RunOp("Conv", {X, W, B}, 1, attrs)[0].tensor();
    for (const Act& a : AllActs()) {
      const Tensor got = RunMs("FusedConv", {X, W, B}, WithAct(attrs, a))[0].tensor();
      ASSERT_EQ(got.dtype(), dt);
      // float16: the fused kernel rounds once, the reference twice.
      ExpectActivated(got, base, nullptr, a, dt == DataType::Double ? 1e-12 : 2e-3, DataTypeName(dt));
    }
  }
}

// A FusedConv model with a constant filter: the kernel packs it at creation.
TEST(FusedConvKernel, PrePackedFilterInASession) {
  for (const Act& a : AllActs()) {
    GraphBuilder g;
    g.Input("x", DataType::Float, {int64_t(2), int64_t(16), int64_t(10), int64_t(10)}).Output("y", DataType::Float);
    const Tensor W = RandomTensor(DataType::Float, {24, 16, 3, 3}, 11), B = RandomTensor(DataType::Float, {24}, 12);
    g.Initializer("W", W).Initializer("B", B);
    std::vector<AttrSpec> attrs = {IntsAttribute("pads", {1, 1, 1, 1})};
    ProtoWriter act;
    act.Bytes(1, "activation").Varint(20, 3).Bytes(4, a.name);
    attrs.push_back({"activation", act});
    if (!a.params.empty()) attrs.push_back(FloatsAttribute("activation_params", a.params));
    g.Node("FusedConv", {"x", "W", "B"}, {"y"}, attrs, "fused", "com.microsoft");
    const std::string model = BuildModel(g, 17, {}, {}, {{"com.microsoft", 1}});
    Session s(model.data(), model.size());
    const Tensor X = RandomTensor(DataType::Float, {2, 16, 10, 10}, 13, -2, 2);
    const Tensor base = RunOp("Conv", {X, W, B}, 1, ConvAttrs(1, 1, 1))[0].tensor();
    ExpectActivated(s.Run({{"x", X}})[0], base, nullptr, a, 2e-6, "packed");
    if (HasFatalFailure()) return;
  }
}

// onnxruntime's FusedGemm attributes for an activation.
std::map<std::string, Attribute> GemmAct(std::map<std::string, Attribute> attrs, const Act& a) {
  attrs["activation"] = StringAttr(a.name);
  if (a.params.size() >= 1) attrs["activation_alpha"] = FloatAttr(a.params[0]);
  if (a.params.size() >= 2) attrs["activation_beta"] = FloatAttr(a.params[1]);
  return attrs;
}

TEST(FusedGemmKernel, EachActivationOverGemmShapes) {
  struct GemmCase {
    int64_t M, N, K;
    bool ta, tb;
    std::vector<int64_t> c_shape;  // empty: no C
  };
  const GemmCase cases[] = {{5, 7, 9, false, false, {7}},     {1, 40, 30, false, true, {1, 40}}, {40, 1, 30, true, false, {}},
                            {64, 96, 200, false, true, {64, 1}}, {3, 4, 0, false, false, {3, 4}},  {6, 5, 0, false, false, {}}};
  ThreadPool pool(2);
  uint32_t seed = 100;
  for (const GemmCase& c : cases) {
    const Tensor A = RandomTensor(DataType::Float, c.ta ? std::vector<int64_t>{c.K, c.M} : std::vector<int64_t>{c.M, c.K}, ++seed, -2, 2);
    const Tensor Bm = RandomTensor(DataType::Float, c.tb ? std::vector<int64_t>{c.N, c.K} : std::vector<int64_t>{c.K, c.N}, ++seed);
    std::vector<Tensor> ins = {A, Bm};
    if (!c.c_shape.empty()) ins.push_back(RandomTensor(DataType::Float, c.c_shape, ++seed));
    const std::map<std::string, Attribute> attrs = {
        {"transA", IntAttr(c.ta)}, {"transB", IntAttr(c.tb)}, {"alpha", FloatAttr(0.75f)}, {"beta", FloatAttr(1.5f)}};
    const Tensor base = RunOp("Gemm", ins, 1, attrs)[0].tensor();
    for (Act a : AllActs()) {
      if (a.name == "Clip") continue;  // not a FusedGemm activation
      const std::string what = std::to_string(c.M) + "x" + std::to_string(c.N) + "x" + std::to_string(c.K);
      ExpectActivated(RunMs("FusedGemm", ins, GemmAct(attrs, a))[0].tensor(), base, nullptr, a, 2e-6, what);
      ExpectActivated(RunMs("FusedGemm", ins, GemmAct(attrs, a), &pool)[0].tensor(), base, nullptr, a, 2e-6, what + " 2 threads");
      if (HasFatalFailure()) return;
    }
  }
}

TEST(FusedGemmKernel, DefaultsNanAndOtherFloatTypes) {
  // LeakyRelu without activation_alpha: 0.01; HardSigmoid without parameters: 0.2 and 0.5.
  Tensor A = RandomTensor(DataType::Float, {4, 6}, 1, -3, 3);
  A.data<float>()[0] = kNaN;
  A.data<float>()[7] = kInf;
  A.data<float>()[13] = -kInf;
  const Tensor Bm = RandomTensor(DataType::Float, {6, 5}, 2);
  const Tensor base = RunOp("Gemm", {A, Bm}, 1)[0].tensor();
  ExpectActivated(RunMs("FusedGemm", {A, Bm}, {{"activation", StringAttr("LeakyRelu")}})[0].tensor(), base, nullptr,
                  Act{"LeakyRelu", {0.01f}}, 2e-6, "default alpha");
  ExpectActivated(RunMs("FusedGemm", {A, Bm}, {{"activation", StringAttr("HardSigmoid")}})[0].tensor(), base, nullptr,
                  Act{"HardSigmoid", {0.2f, 0.5f}}, 2e-6, "default alpha, beta");
  // The attribute older onnxruntime versions wrote.
  ExpectActivated(RunMs("FusedGemm", {A, Bm}, {{"activation", StringAttr("LeakyRelu")}, {"leaky_relu_alpha", FloatAttr(0.5f)}})[0].tensor(),
                  base, nullptr, Act{"LeakyRelu", {0.5f}}, 2e-6, "leaky_relu_alpha");
  auto random = [](DataType dt, std::vector<int64_t> shape, uint32_t seed) {
    if (dt != DataType::BFloat16) return RandomTensor(dt, shape, seed, -2, 2);
    const Tensor f = RandomTensor(DataType::Float, shape, seed, -2, 2);
    Tensor t(dt, shape);
    for (int64_t i = 0; i < t.size(); ++i) t.data<uint16_t>()[i] = FloatToBFloat16(f.data<float>()[i]);
    return t;
  };
  for (DataType dt : {DataType::Double, DataType::Float16, DataType::BFloat16}) {
    const Tensor a = random(dt, {3, 4}, 3), b = random(dt, {4, 5}, 4);
    const Tensor plain = RunOp("Gemm", {a, b}, 1)[0].tensor();
    for (Act act : AllActs()) {
      if (act.name == "Clip") continue;
      const Tensor got = RunMs("FusedGemm", {a, b}, GemmAct({}, act))[0].tensor();
      ASSERT_EQ(got.dtype(), dt);
      ExpectActivated(got, plain, nullptr, act, dt == DataType::Double ? 1e-12 : 1e-2, DataTypeName(dt));
    }
  }
}

ErrorCode CodeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::Fail;
}

TEST(FusedOpsAttributes, ValidatedWithClearErrors) {
  const Tensor X = RandomTensor(DataType::Float, {1, 2, 4, 4}, 1), W = RandomTensor(DataType::Float, {3, 2, 3, 3}, 2);
  auto conv = [&](std::map<std::string, Attribute> attrs) { return [&, attrs] { RunMs("FusedConv", {X, W}, attrs); }; };
  EXPECT_EQ(CodeOf(conv({{"activation", StringAttr("Gelu")}})), ErrorCode::InvalidGraph);
  EXPECT_EQ(CodeOf(conv({{"activation", StringAttr("")}})), ErrorCode::InvalidGraph);
  EXPECT_EQ(CodeOf(conv({{"activation", StringAttr("relu")}})), ErrorCode::InvalidGraph);
  EXPECT_EQ(CodeOf(conv({{"activation", IntAttr(1)}})), ErrorCode::InvalidGraph);
  EXPECT_EQ(CodeOf(conv({{"activation", StringAttr("LeakyRelu")}})), ErrorCode::InvalidGraph);  // params missing
  EXPECT_EQ(CodeOf(conv({{"activation", StringAttr("Clip")}, {"activation_params", FloatsAttr({0.f})}})), ErrorCode::InvalidGraph);
  EXPECT_EQ(CodeOf(conv({{"activation", StringAttr("HardSigmoid")}, {"activation_params", FloatsAttr({1, 2, 3})}})),
            ErrorCode::InvalidGraph);
  EXPECT_EQ(CodeOf(conv({{"activation", StringAttr("Clip")}, {"activation_params", FloatAttr(1.f)}})), ErrorCode::InvalidGraph);
  EXPECT_EQ(CodeOf(conv({{"activation", StringAttr("Silu")}})), ErrorCode::NotImplemented);
  // NaN and infinite parameters are values like any other.
  const Tensor nan_clip =
      RunMs("FusedConv", {X, W}, {{"activation", StringAttr("Clip")}, {"activation_params", FloatsAttr({kNaN, kInf})}})[0].tensor();
  const Tensor plain = RunOp("Conv", {X, W}, 1)[0].tensor();
  for (int64_t i = 0; i < plain.size(); ++i) EXPECT_EQ(nan_clip.data<float>()[i], plain.data<float>()[i]);
  // Z of the wrong shape or type.
  EXPECT_EQ(CodeOf([&] { RunMs("FusedConv", {X, W, Tensor(), RandomTensor(DataType::Float, {1, 3, 2, 3}, 3)}, {}); }),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(CodeOf([&] { RunMs("FusedConv", {X, W, Tensor(), RandomTensor(DataType::Double, {1, 3, 2, 2}, 3)}, {}); }),
            ErrorCode::InvalidArgument);

  const Tensor A = RandomTensor(DataType::Float, {2, 3}, 4), B = RandomTensor(DataType::Float, {3, 2}, 5);
  auto gemm = [&](std::map<std::string, Attribute> attrs) { return [&, attrs] { RunMs("FusedGemm", {A, B}, attrs); }; };
  EXPECT_EQ(CodeOf(gemm({{"activation", StringAttr("Clip")}})), ErrorCode::InvalidGraph);
  EXPECT_EQ(CodeOf(gemm({{"activation", StringAttr("Swish")}})), ErrorCode::InvalidGraph);
  EXPECT_EQ(CodeOf(gemm({{"activation", StringAttr("Elu")}})), ErrorCode::NotImplemented);
  EXPECT_EQ(CodeOf(gemm({{"activation", StringAttr("LeakyRelu")}, {"activation_alpha", IntAttr(1)}})), ErrorCode::InvalidGraph);
  const Tensor Ai = MakeTensor<int32_t>(DataType::Int32, {1, 1}, {2}), Bi = MakeTensor<int32_t>(DataType::Int32, {1, 1}, {3});
  EXPECT_EQ(CodeOf([&] { RunMs("FusedGemm", {Ai, Bi}, {{"activation", StringAttr("Relu")}}); }), ErrorCode::NotImplemented);
}

TEST(FusedOpsShapeInference, FusedConvAndFusedGemmShapeAsConvAndGemm) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("N"), int64_t(3), int64_t(8), int64_t(8)}).Output("y", DataType::Float);
  g.Initializer("W", RandomTensor(DataType::Float, {4, 3, 3, 3}, 1)).Initializer("G", RandomTensor(DataType::Float, {5, 36}, 2));
  g.Initializer("shape", Int64Tensor({2}, {-1, 36}));
  ProtoWriter act;
  act.Bytes(1, "activation").Varint(20, 3).Bytes(4, "Relu");
  g.Node("FusedConv", {"x", "W"}, {"c"}, {IntsAttribute("strides", {2, 2}), {"activation", act}}, "conv", "com.microsoft");
  g.Node("Reshape", {"c", "shape"}, {"r"});
  g.Node("FusedGemm", {"r", "G"}, {"y"}, {IntAttribute("transB", 1), {"activation", act}}, "gemm", "com.microsoft");
  const std::string bytes = BuildModel(g, 17, {}, {}, {{"com.microsoft", 1}});
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  m.graph->SortAndValidate();
  InferShapes(*m.graph);
  bool seen_c = false;
  for (const auto& vi : m.graph->value_info)
    if (vi.name == "c") {
      seen_c = true;
      ASSERT_TRUE(vi.has_shape);
      ASSERT_EQ(vi.shape.size(), 4u);
      EXPECT_EQ(vi.shape[1].value, 4);
      EXPECT_EQ(vi.shape[2].value, 3);
      EXPECT_EQ(vi.shape[3].value, 3);
    }
  EXPECT_TRUE(seen_c);
  const ValueInfo& y = m.graph->outputs[0];
  ASSERT_TRUE(y.has_shape);
  ASSERT_EQ(y.shape.size(), 2u);
  EXPECT_EQ(y.shape[1].value, 5);
  // And the model runs.
  Session s(bytes.data(), bytes.size());
  const std::vector<Tensor> out = s.Run({{"x", RandomTensor(DataType::Float, {2, 3, 8, 8}, 3)}});
  EXPECT_EQ(out[0].shape(), (std::vector<int64_t>{2, 5}));
}

}  // namespace
}  // namespace onyx::testing
