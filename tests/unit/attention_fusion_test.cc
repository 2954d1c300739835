// BERT-style self-attention -> com.microsoft MultiHeadAttention (level 2): a 2-layer synthetic
// encoder whose head splits are built as torch exports them for symbolic sizes (Shape, Gather,
// Unsqueeze, Concat) in one layer and as constant targets with 0 entries in the other, with a
// padding mask (1 - Cast(mask)) * -10000 of shape [B, 1, 1, S]. The rewritten graph holds one
// MultiHeadAttention per layer and none of the chain or its shape arithmetic; outputs equal the
// unoptimized session's with all-ones and padded masks. Chains whose intermediates are read
// elsewhere, level 1, and a scaling by a non-constant stay. The kernel against a double
// reference: attention_bias broadcast over batch or heads, key padding, unidirectional, the
// bias input and cross-attention (T != S).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/kernel_registry.h"
#include "core/node_evaluator.h"
#include "cpu_kernels.h"
#include "graph/shape_inference.h"
#include "kernel_test_util.h"
#include "model/model_loader.h"
#include "optimizer/optimizer.h"
#include "optimizer_test_util.h"

namespace onyx::testing {
namespace {

constexpr int64_t kHeads = 4, kHeadSize = 4, kHidden = kHeads * kHeadSize;

Tensor Ints64(const std::vector<int64_t>& v, std::vector<int64_t> shape) {
  Tensor t(DataType::Int64, std::move(shape));
  for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
  return t;
}

struct EncoderSpec {
  bool with_mask = true;
  bool scale_by_mul = false;       // Mul(scores, 1/sqrt(H)) instead of Div(scores, sqrt(H))
  bool expose_probs = false;       // layer 0's Softmax output is also a graph output
  bool scale_is_input = false;     // the divisor is a graph input
};

// x [batch, seq, 16] -> 2 layers of attention + residual -> y.
std::string EncoderModel(const EncoderSpec& s) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("batch"), std::string("seq"), kHidden});
  g.Output("y", DataType::Float);
  g.Initializer("axis0", Ints64({0}, {1})).Initializer("axis1", Ints64({1}, {1})).Initializer("axis2", Ints64({2}, {1}));
  g.Initializer("i0", Ints64({0}, {})).Initializer("i1", Ints64({1}, {}));
  g.Initializer("heads_dims", Ints64({kHeads, kHeadSize}, {2})).Initializer("hidden_dim", Ints64({kHidden}, {1}));
  g.Initializer("split_const", Ints64({0, 0, kHeads, kHeadSize}, {4})).Initializer("merge_const", Ints64({0, 0, kHidden}, {3}));
  g.Initializer("one", FloatScalar(1.f)).Initializer("neg", FloatScalar(-10000.f));
  g.Initializer("sqrt_h", FloatScalar(std::sqrt(float(kHeadSize))));
  g.Initializer("inv_sqrt_h", FloatScalar(1.f / std::sqrt(float(kHeadSize))));
  if (s.scale_is_input) g.Input("divisor", DataType::Float, {});
  if (s.expose_probs) g.Output("L0_probs", DataType::Float);
  if (s.with_mask) {
    g.Input("mask", DataType::Int64, {std::string("batch"), std::string("seq")});
    g.Node("Unsqueeze", {"mask", "axis1"}, {"m1"}).Node("Unsqueeze", {"m1", "axis2"}, {"m2"});
    g.Node("Cast", {"m2"}, {"mf"}, {IntAttribute("to", 1)});
    g.Node("Sub", {"one", "mf"}, {"inv"}).Node("Mul", {"inv", "neg"}, {"bias_mask"});
  }
  std::string x = "x";
  for (int layer = 0; layer < 2; ++layer) {
    const std::string p = "L" + std::to_string(layer) + "_";
    // Torch's dynamic target in layer 0, a constant one with 0 entries in layer 1.
    auto split = [&](const std::string& v, const std::string& out) {
      std::string target = "split_const";
      if (layer == 0) {
        g.Node("Shape", {v}, {v + "_shape"});
        g.Node("Gather", {v + "_shape", "i0"}, {v + "_b"}, {IntAttribute("axis", 0)});
        g.Node("Gather", {v + "_shape", "i1"}, {v + "_s"}, {IntAttribute("axis", 0)});
        g.Node("Unsqueeze", {v + "_b", "axis0"}, {v + "_b1"}).Node("Unsqueeze", {v + "_s", "axis0"}, {v + "_s1"});
        g.Node("Concat", {v + "_b1", v + "_s1", "heads_dims"}, {v + "_target"}, {IntAttribute("axis", 0)});
        target = v + "_target";
      }
      g.Node("Reshape", {v, target}, {out});
    };
    for (const char* w : {"q", "k", "v", "o"}) {
      g.Initializer(p + "W" + w, RandomTensor(DataType::Float, {kHidden, kHidden}, 10 * layer + w[0], -0.5, 0.5));
      g.Initializer(p + "b" + w, RandomTensor(DataType::Float, {kHidden}, 10 * layer + w[0] + 1, -0.2, 0.2));
    }
    for (const char* w : {"q", "k", "v"}) {
      g.Node("MatMul", {x, p + "W" + w}, {p + w + "_mm"}).Node("Add", {p + "b" + w, p + w + "_mm"}, {p + w});
      split(p + w, p + w + "_heads");
    }
    g.Node("Transpose", {p + "q_heads"}, {p + "qt"}, {IntsAttribute("perm", {0, 2, 1, 3})});
    g.Node("Transpose", {p + "k_heads"}, {p + "kt"}, {IntsAttribute("perm", {0, 2, 3, 1})});
    g.Node("Transpose", {p + "v_heads"}, {p + "vt"}, {IntsAttribute("perm", {0, 2, 1, 3})});
    g.Node("MatMul", {p + "qt", p + "kt"}, {p + "qk"});
    if (s.scale_by_mul) g.Node("Mul", {"inv_sqrt_h", p + "qk"}, {p + "scaled"});
    else g.Node("Div", {p + "qk", s.scale_is_input ? "divisor" : "sqrt_h"}, {p + "scaled"});
    std::string scores = p + "scaled";
    if (s.with_mask) {
      g.Node("Add", {scores, "bias_mask"}, {p + "masked"});
      scores = p + "masked";
    }
    g.Node("Softmax", {scores}, {p + "probs"}, {IntAttribute("axis", -1)}, p + "softmax");
    g.Node("MatMul", {p + "probs", p + "vt"}, {p + "ctx"});
    g.Node("Transpose", {p + "ctx"}, {p + "ctx_t"}, {IntsAttribute("perm", {0, 2, 1, 3})});
    std::string merge_target = "merge_const";
    if (layer == 0) {
      const std::string c = p + "ctx_t";
      g.Node("Shape", {c}, {c + "_shape"});
      g.Node("Gather", {c + "_shape", "i0"}, {c + "_b"}, {IntAttribute("axis", 0)});
      g.Node("Gather", {c + "_shape", "i1"}, {c + "_s"}, {IntAttribute("axis", 0)});
      g.Node("Unsqueeze", {c + "_b", "axis0"}, {c + "_b1"}).Node("Unsqueeze", {c + "_s", "axis0"}, {c + "_s1"});
      g.Node("Concat", {c + "_b1", c + "_s1", "hidden_dim"}, {c + "_target"}, {IntAttribute("axis", 0)});
      merge_target = c + "_target";
    }
    g.Node("Reshape", {p + "ctx_t", merge_target}, {p + "merged"});
    g.Node("MatMul", {p + "merged", p + "Wo"}, {p + "o_mm"}).Node("Add", {p + "o_mm", p + "bo"}, {p + "o"});
    const std::string next = layer == 1 ? "y" : p + "out";
    g.Node("Add", {p + "o", x}, {next});
    x = next;
  }
  return BuildModel(g, 14);
}

Feeds EncoderFeeds(const EncoderSpec& s, int64_t batch, int64_t seq, bool padded) {
  Feeds f = {{"x", RandomTensor(DataType::Float, {batch, seq, kHidden}, 7)}};
  if (s.with_mask) {
    Tensor m(DataType::Int64, {batch, seq});
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t j = 0; j < seq; ++j) m.data<int64_t>()[b * seq + j] = padded && b == batch - 1 && j >= seq - 2 ? 0 : 1;
    f.push_back({"mask", m});
  }
  if (s.scale_is_input) f.push_back({"divisor", FloatScalar(2.f)});
  return f;
}

std::shared_ptr<Graph> AfterLevel(const std::string& bytes, GraphOptimizationLevel level) {
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  Graph& g = *m.graph;
  g.SortAndValidate();
  InferShapes(g);
  OptimizerContext ctx{&TestRegistry(), kCpuProvider, {}};
  OptimizeGraph(g, level, ctx);
  return m.graph;
}

int Count(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op_type == op;
  return n;
}

void ExpectFused(const EncoderSpec& s) {
  const std::string model = EncoderModel(s);
  const std::shared_ptr<Graph> g = AfterLevel(model, GraphOptimizationLevel::EnableExtended);
  EXPECT_EQ(Count(*g, "MultiHeadAttention"), 2);
  for (const char* gone : {"Softmax", "Transpose", "Reshape", "Div"}) EXPECT_EQ(Count(*g, gone), 0) << gone;
  // The mask's own Unsqueezes stay; its expansion to [B, 1, S, S] is shared by both layers and
  // reads S at run time (Shape, Gather, Concat): the chains' shape arithmetic is gone.
  const int mask = s.with_mask ? 1 : 0;
  EXPECT_EQ(Count(*g, "Unsqueeze"), 2 * mask);
  for (const char* op : {"Expand", "Shape", "Gather", "Concat"}) EXPECT_EQ(Count(*g, op), mask) << op;
  for (const auto& n : g->nodes) {
    if (n.op_type != "MultiHeadAttention") continue;
    EXPECT_EQ(n.domain, "com.microsoft");
    ASSERT_NE(n.FindAttribute("num_heads"), nullptr);
    EXPECT_EQ(n.FindAttribute("num_heads")->i, kHeads);
    ASSERT_NE(n.FindAttribute("scale"), nullptr);
    EXPECT_FLOAT_EQ(n.FindAttribute("scale")->f, 0.5f);
    ASSERT_EQ(n.inputs.size(), s.with_mask ? 6u : 3u);
    if (s.with_mask) {
      EXPECT_TRUE(n.inputs[3].empty() && n.inputs[4].empty());
      EXPECT_FALSE(n.inputs[5].empty());
    }
  }
  SessionPair sessions(model, GraphOptimizationLevel::EnableExtended);
  EXPECT_EQ(CountOps(sessions.optimized, "MultiHeadAttention"), 2);
  for (bool padded : {false, true}) {
    ExpectSameOutputs(sessions, EncoderFeeds(s, 2, 5, padded), 1e-5);
    ExpectSameOutputs(sessions, EncoderFeeds(s, 1, 7, padded), 1e-5);
  }
}

TEST(AttentionFusion, BertLikeEncoderWithPaddingMask) { ExpectFused({}); }
TEST(AttentionFusion, WithoutMask) { ExpectFused({.with_mask = false}); }
TEST(AttentionFusion, ScaleByMul) { ExpectFused({.scale_by_mul = true}); }

TEST(AttentionFusion, ProbabilitiesReadElsewhereStay) {
  const EncoderSpec s{.expose_probs = true};
  // Layer 0's Softmax output is a graph output: only layer 1 fuses.
  const std::string model = EncoderModel(s);
  SessionPair sessions(model, GraphOptimizationLevel::EnableExtended);
  EXPECT_EQ(CountOps(sessions.optimized, "MultiHeadAttention"), 1);
  EXPECT_EQ(CountOps(sessions.optimized, "Softmax"), 1);
  ExpectSameOutputs(sessions, EncoderFeeds(s, 2, 5, true), 1e-5);
}

TEST(AttentionFusion, DivisorFedAtRunTimeStays) {
  const EncoderSpec s{.scale_is_input = true};
  SessionPair sessions(EncoderModel(s), GraphOptimizationLevel::EnableExtended);
  EXPECT_EQ(CountOps(sessions.optimized, "MultiHeadAttention"), 0);
  ExpectSameOutputs(sessions, EncoderFeeds(s, 2, 5, true), 1e-6);
}

TEST(AttentionFusion, NotAtLevelOne) {
  SessionPair sessions(EncoderModel({}), GraphOptimizationLevel::EnableBasic);
  EXPECT_EQ(CountOps(sessions.optimized, "MultiHeadAttention"), 0);
  EXPECT_EQ(CountOps(sessions.optimized, "Softmax"), 2);
}

// ---- The kernel ------------------------------------------------------------------------------

struct MhaCase {
  int64_t B = 2, S = 3, T = 3, N = 2, H = 3, Hv = 2;
  float scale = 0.f;
  bool unidirectional = false;
  bool bias = false;
  bool padding = false;
  std::vector<int64_t> attention_bias;  // shape, empty: none
};

std::vector<float> Reference(const MhaCase& c, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias,
                             const Tensor* pad, const Tensor* ab) {
  const int64_t D = c.N * c.H, Dv = c.N * c.Hv;
  std::vector<float> y(static_cast<size_t>(c.B * c.S * Dv));
  const double scale = c.scale != 0 ? c.scale : 1.0 / std::sqrt(double(c.H));
  auto at = [](const Tensor& t, int64_t i) { return double(t.data<float>()[i]); };
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t h = 0; h < c.N; ++h)
      for (int64_t i = 0; i < c.S; ++i) {
        std::vector<double> s(static_cast<size_t>(c.T));
        double mx = -1e300;
        const int64_t last = c.unidirectional ? i + (c.T - c.S) : c.T - 1;
        for (int64_t j = 0; j <= last; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < c.H; ++d) {
            double qv = at(q, (b * c.S + i) * D + h * c.H + d), kv = at(k, (b * c.T + j) * D + h * c.H + d);
            if (bias) qv += at(*bias, h * c.H + d), kv += at(*bias, D + h * c.H + d);
            dot += qv * kv;
          }
          s[j] = dot * scale;
          if (ab) {
            const auto& sh = ab->shape();
            s[j] += at(*ab, (((sh[0] == 1 ? 0 : b) * sh[1] + (sh[1] == 1 ? 0 : h)) * c.S + i) * c.T + j);
          }
          if (pad && pad->data<int32_t>()[b * c.T + j] == 0) s[j] += -10000.0;
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j <= last; ++j) sum += s[j] = std::exp(s[j] - mx);
        for (int64_t e = 0; e < c.Hv; ++e) {
          double acc = 0;
          for (int64_t j = 0; j <= last; ++j) {
            double vv = at(v, (b * c.T + j) * Dv + h * c.Hv + e);
            if (bias) vv += at(*bias, 2 * D + h * c.Hv + e);
            acc += s[j] / sum * vv;
          }
          y[static_cast<size_t>((b * c.S + i) * Dv + h * c.Hv + e)] = static_cast<float>(acc);
        }
      }
  return y;
}

void ExpectKernelMatches(const MhaCase& c) {
  const int64_t D = c.N * c.H, Dv = c.N * c.Hv;
  Tensor q = RandomTensor(DataType::Float, {c.B, c.S, D}, 1, -2, 2);
  Tensor k = RandomTensor(DataType::Float, {c.B, c.T, D}, 2, -2, 2);
  Tensor v = RandomTensor(DataType::Float, {c.B, c.T, Dv}, 3, -2, 2);
  Node node;
  node.op_type = "MultiHeadAttention";
  node.domain = "com.microsoft";
  node.name = "mha";
  node.opset = 1;
  node.attributes["num_heads"] = IntAttr(c.N);
  if (c.scale != 0) node.attributes["scale"] = FloatAttr(c.scale);
  if (c.unidirectional) node.attributes["unidirectional"] = IntAttr(1);
  node.inputs = {"q", "k", "v", "", "", ""};
  node.outputs = {"y"};
  std::vector<Value> inputs = {Value(q), Value(k), Value(v), Value(), Value(), Value()};
  std::optional<Tensor> bias, pad, ab;
  if (c.bias) {
    bias = RandomTensor(DataType::Float, {2 * D + Dv}, 4, -1, 1);
    node.inputs[3] = "bias", inputs[3] = Value(*bias);
  }
  if (c.padding) {
    pad = Tensor(DataType::Int32, {c.B, c.T});
    for (int64_t i = 0; i < c.B * c.T; ++i) pad->data<int32_t>()[i] = (i % c.T) == c.T - 1 && i / c.T == 0 ? 0 : 1;
    node.inputs[4] = "pad", inputs[4] = Value(*pad);
  }
  if (!c.attention_bias.empty()) {
    ab = RandomTensor(DataType::Float, c.attention_bias, 5, -3, 3);
    node.inputs[5] = "ab", inputs[5] = Value(*ab);
  }
  const Tensor y = EvaluateNode(node, inputs, TestRegistry(), kCpuProvider, nullptr)[0].tensor();
  ASSERT_EQ(y.shape(), (std::vector<int64_t>{c.B, c.S, Dv}));
  const std::vector<float> want = Reference(c, q, k, v, bias ? &*bias : nullptr, pad ? &*pad : nullptr, ab ? &*ab : nullptr);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y.data<float>()[i], want[i], 1e-5 * (1 + std::abs(want[i]))) << i;
}

TEST(MultiHeadAttentionKernel, Plain) { ExpectKernelMatches({}); }
TEST(MultiHeadAttentionKernel, ScaleAndCrossAttention) { ExpectKernelMatches({.S = 2, .T = 5, .scale = 0.3f}); }
TEST(MultiHeadAttentionKernel, AttentionBiasPerBatch) { ExpectKernelMatches({.attention_bias = {2, 1, 3, 3}}); }
TEST(MultiHeadAttentionKernel, AttentionBiasPerHead) { ExpectKernelMatches({.attention_bias = {1, 2, 3, 3}}); }
TEST(MultiHeadAttentionKernel, KeyPaddingAndBias) { ExpectKernelMatches({.bias = true, .padding = true}); }
TEST(MultiHeadAttentionKernel, Unidirectional) { ExpectKernelMatches({.S = 3, .T = 5, .unidirectional = true}); }
TEST(MultiHeadAttentionKernel, LargerHeadsAcrossPanels) {
  ExpectKernelMatches({.B = 1, .S = 37, .T = 37, .N = 3, .H = 20, .Hv = 20, .attention_bias = {1, 1, 37, 37}});
}

TEST(MultiHeadAttentionKernel, RefusesMisfitAttentionBias) {
  Node node;
  node.op_type = "MultiHeadAttention";
  node.domain = "com.microsoft";
  node.name = "mha";
  node.opset = 1;
  node.attributes["num_heads"] = IntAttr(2);
  node.inputs = {"q", "k", "v", "", "", "ab"};
  node.outputs = {"y"};
  Tensor q = RandomTensor(DataType::Float, {1, 3, 4}, 1);
  Tensor ab = RandomTensor(DataType::Float, {1, 1, 1, 3}, 2);  // query axis broadcast: not allowed
  EXPECT_THROW(EvaluateNode(node, {Value(q), Value(q), Value(q), Value(), Value(), Value(ab)}, TestRegistry(), kCpuProvider,
                            nullptr),
               Error);
}

}  // namespace
}  // namespace onyx::testing
