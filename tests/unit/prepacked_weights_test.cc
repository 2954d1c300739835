// MatMul, Gemm and Conv with a constant (initializer) weight: the CPU kernels pack it once at session
// creation. Results must match a double reference for every row count (1 row takes the
// matrix-vector path instead), and concurrent Run() calls must share the packed weight safely.
// A weight that every reader packed is dropped: the kernels read only their packed copies.
#include <gtest/gtest.h>

#include <thread>

#include "math_test_util.h"
#include "mlas/cpu_features.h"
#include "core/execution_provider.h"
#include "graph/shape_inference.h"
#include "model/model_loader.h"
#include "model_builder.h"
#include "onyx/session.h"
#include "session/execution_plan.h"

namespace onyx::testing {
namespace {

constexpr int64_t kK = 70, kN = 45;

// y = x W (MatMul, W: K x N); z = 0.5 * x V^T + 2 * c (Gemm, V: N x K, transB); x: [rows, K].
std::string PrepackModel(const Tensor& w, const Tensor& v, const Tensor& c) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("rows"), kK}).Output("y", DataType::Float).Output("z", DataType::Float);
  g.Initializer("W", w).Initializer("V", v).Initializer("c", c);
  g.Node("MatMul", {"x", "W"}, {"y"});
  g.Node("Gemm", {"x", "V", "c"}, {"z"},
         {IntAttribute("transB", 1), FloatAttribute("alpha", 0.5f), FloatAttribute("beta", 2.f)});
  return BuildModel(g, 13);
}

void ExpectMatches(const std::vector<Tensor>& got, const Tensor& x, const Tensor& w, const Tensor& v, const Tensor& c,
                   const std::string& what) {
  const int64_t rows = x.shape()[0];
  std::vector<float> y(static_cast<size_t>(rows * kN)), z(y.size());
  const float* px = x.data<float>();
  for (int64_t m = 0; m < rows; ++m)
    for (int64_t n = 0; n < kN; ++n) {
      double sy = 0, sz = 0;
      for (int64_t k = 0; k < kK; ++k) {
        sy += double(px[m * kK + k]) * w.data<float>()[k * kN + n];
        sz += double(px[m * kK + k]) * v.data<float>()[n * kK + k];
      }
      y[m * kN + n] = static_cast<float>(sy);
      z[m * kN + n] = static_cast<float>(0.5 * sz + 2.0 * c.data<float>()[n]);
    }
  ASSERT_EQ(got.size(), 2u);
  ExpectFloatsNear(ToVector<float>(got[0]), y, 1e-4f, what + " MatMul");
  ExpectFloatsNear(ToVector<float>(got[1]), z, 1e-4f, what + " Gemm");
}

TEST(MatMulPrepack, ConstantWeightsEveryRowCount) {
  const Tensor w = RandomFloats({kK, kN}, 1), v = RandomFloats({kN, kK}, 2), c = RandomFloats({kN}, 3);
  const std::string model = PrepackModel(w, v, c);
  for (int threads : {1, 2}) {
    SessionOptions options;
    options.intra_op_num_threads = threads;
    Session session(model.data(), model.size(), options);
    for (int64_t rows : {1, 2, 5, 6, 7, 13, 64, 150}) {
      const Tensor x = RandomFloats({rows, kK}, static_cast<uint32_t>(rows));
      ExpectMatches(session.Run({{"x", x}}), x, w, v, c,
                    "rows " + std::to_string(rows) + " threads " + std::to_string(threads));
    }
  }
}

TEST(MatMulPrepack, PackedForTheTierActiveAtCreation) {
  // A session created under a lower cap keeps the kernels it packed for, even after the cap is lifted.
  const Tensor w = RandomFloats({kK, kN}, 4), v = RandomFloats({kN, kK}, 5), c = RandomFloats({kN}, 6);
  const std::string model = PrepackModel(w, v, c);
  const mlas::Isa previous = mlas::SetIsaLimit(mlas::Isa::Scalar);
  Session session(model.data(), model.size());
  mlas::SetIsaLimit(previous);
  const Tensor x = RandomFloats({33, kK}, 7);
  ExpectMatches(session.Run({{"x", x}}), x, w, v, c, "scalar-packed");
}

TEST(MatMulPrepack, ConcurrentRunsShareThePackedWeight) {
  const Tensor w = RandomFloats({kK, kN}, 8), v = RandomFloats({kN, kK}, 9), c = RandomFloats({kN}, 10);
  const std::string model = PrepackModel(w, v, c);
  SessionOptions options;
  options.intra_op_num_threads = 2;
  Session session(model.data(), model.size(), options);
  struct Result {
    Tensor x;
    std::vector<Tensor> outputs;
  };
  std::vector<std::vector<Result>> results(4);
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int iter = 0; iter < 5; ++iter) {
        Tensor x = RandomFloats({20 + t, kK}, static_cast<uint32_t>(100 + t * 10 + iter));
        std::vector<Tensor> outputs = session.Run({{"x", x}});
        results[t].push_back({std::move(x), std::move(outputs)});
      }
    });
  for (auto& th : callers) th.join();
  // Checked after joining: gtest assertions from several threads interleave badly.
  for (int t = 0; t < 4; ++t)
    for (const Result& r : results[t]) ExpectMatches(r.outputs, r.x, w, v, c, "caller " + std::to_string(t));
}

}  // namespace
}  // namespace onyx::testing

namespace onyx::testing {
namespace {

// Conv with a constant filter (packed per group at creation) against the same model with the
// filter fed at run time (packed per call, over an im2col matrix): 3x3 with padding and stride,
// 1x1 pointwise, grouped, dilated, 1-D; and shapes past the GEMM's blocking (depth over one
// block, more output channels than one A block, more positions than one B strip), where the
// constant filter's GEMM packs the patches straight from the image.
TEST(ConvPrepack, ConstantFilterMatchesFedFilter) {
  struct Case {
    int64_t c, m, k, group, stride, pad, dilation, h, w;  // h == 0: a 1-D convolution over w
  };
  const Case cases[] = {{3, 16, 3, 1, 1, 1, 1, 11, 9}, {8, 24, 1, 1, 1, 0, 1, 11, 9},  {8, 12, 3, 2, 2, 1, 1, 11, 9},
                        {6, 7, 3, 1, 1, 0, 1, 11, 9},  {64, 160, 3, 1, 1, 1, 1, 9, 7}, {5, 8, 3, 1, 1, 2, 2, 23, 19},
                        {4, 9, 5, 1, 2, 2, 1, 0, 300}};
  uint32_t seed = 50;
  for (const Case& t : cases) {
    std::vector<int64_t> window = t.h ? std::vector<int64_t>{t.k, t.k} : std::vector<int64_t>{t.k};
    std::vector<int64_t> image = t.h ? std::vector<int64_t>{t.h, t.w} : std::vector<int64_t>{t.w};
    std::vector<int64_t> w_shape = {t.m, t.c / t.group}, x_shape = {2, t.c};
    w_shape.insert(w_shape.end(), window.begin(), window.end());
    x_shape.insert(x_shape.end(), image.begin(), image.end());
    const Tensor w = RandomFloats(w_shape, ++seed), b = RandomFloats({t.m}, ++seed);
    const Tensor x = RandomFloats(x_shape, ++seed);
    const size_t rank = window.size();
    auto model = [&](bool constant) {
      GraphBuilder g;
      std::vector<DimSpec> xs(x_shape.begin(), x_shape.end()), ws(w_shape.begin(), w_shape.end());
      g.Input("x", DataType::Float, xs).Output("y", DataType::Float);
      if (constant) g.Initializer("w", w);
      else g.Input("w", DataType::Float, ws);
      g.Initializer("b", b);
      g.Node("Conv", {"x", "w", "b"}, {"y"},
             {IntAttribute("group", t.group), IntsAttribute("strides", std::vector<int64_t>(rank, t.stride)),
              IntsAttribute("dilations", std::vector<int64_t>(rank, t.dilation)),
              IntsAttribute("pads", std::vector<int64_t>(2 * rank, t.pad))});
      return BuildModel(g, 13);
    };
    const std::string packed_model = model(true), fed_model = model(false);
    for (int threads : {1, 2}) {
      SessionOptions options;
      options.intra_op_num_threads = threads;
      Session packed(packed_model.data(), packed_model.size(), options);
      Session fed(fed_model.data(), fed_model.size(), options);
      const std::vector<float> want = ToVector<float>(fed.Run({{"x", x}, {"w", w}})[0]);
      ExpectFloatsNear(ToVector<float>(packed.Run({{"x", x}})[0]), want, 1e-5f,
                       "conv c=" + std::to_string(t.c) + " m=" + std::to_string(t.m) + " k=" + std::to_string(t.k) +
                           " group=" + std::to_string(t.group) + " rank=" + std::to_string(rank));
    }
  }
}

// ConvTranspose packs W^T per group the same way.
TEST(ConvPrepack, ConvTransposeConstantFilterMatchesFedFilter) {
  struct Case {
    int64_t c, m, k, group, stride;
  };
  const Case cases[] = {{4, 6, 3, 1, 2}, {6, 4, 2, 2, 1}, {3, 5, 1, 1, 1}};
  uint32_t seed = 70;
  for (const Case& t : cases) {
    const Tensor w = RandomFloats({t.c, t.m / t.group, t.k, t.k}, ++seed), x = RandomFloats({2, t.c, 7, 5}, ++seed);
    auto model = [&](bool constant) {
      GraphBuilder g;
      g.Input("x", DataType::Float, {int64_t(2), t.c, int64_t(7), int64_t(5)}).Output("y", DataType::Float);
      if (constant) g.Initializer("w", w);
      else g.Input("w", DataType::Float, {t.c, t.m / t.group, t.k, t.k});
      g.Node("ConvTranspose", {"x", "w"}, {"y"},
             {IntAttribute("group", t.group), IntsAttribute("strides", {t.stride, t.stride})});
      return BuildModel(g, 13);
    };
    const std::string packed_model = model(true), fed_model = model(false);
    Session packed(packed_model.data(), packed_model.size()), fed(fed_model.data(), fed_model.size());
    ExpectFloatsNear(ToVector<float>(packed.Run({{"x", x}})[0]), ToVector<float>(fed.Run({{"x", x}, {"w", w}})[0]),
                     1e-5f, "conv transpose c=" + std::to_string(t.c) + " group=" + std::to_string(t.group));
  }
}

// Which initializers the plan drops: those whose every reader packed them, and no others.
TEST(PrepackRelease, DropsWeightsOnlyEveryReaderPacked) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("rows"), kK}).Input("img", DataType::Float, {int64_t(1), int64_t(4), int64_t(5), int64_t(5)});
  for (const char* out : {"y", "z", "s1", "s2", "o1", "O", "f", "d"}) g.Output(out, DataType::Float);
  g.Initializer("W", RandomFloats({kK, kN}, 1)).Initializer("V", RandomFloats({kN, kK}, 2)).Initializer("c", RandomFloats({kN}, 3));
  g.Initializer("S", RandomFloats({kK, kN}, 4)).Initializer("O", RandomFloats({kK, kN}, 5));
  g.Initializer("F", RandomFloats({6, 4, 3, 3}, 6)).Initializer("D", RandomFloats({4, 1, 3, 3}, 7));
  g.Node("MatMul", {"x", "W"}, {"y"});                             // packed: dropped
  g.Node("Gemm", {"x", "V", "c"}, {"z"}, {IntAttribute("transB", 1)});  // V packed: dropped; the bias c kept
  g.Node("MatMul", {"x", "S"}, {"s1"});                            // S also read by Identity: kept
  g.Node("Identity", {"S"}, {"s2"});
  g.Node("MatMul", {"x", "O"}, {"o1"});                            // O is a graph output: kept
  g.Node("Conv", {"img", "F"}, {"f"});                             // packed filter: dropped
  g.Node("Conv", {"img", "D"}, {"d"}, {IntAttribute("group", 4)}); // depthwise reads the original: kept
  const std::string bytes = BuildModel(g, 13);
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  m.graph->SortAndValidate();
  InferShapes(*m.graph);
  const std::unique_ptr<ExecutionProvider> cpu = CreateExecutionProvider(kCpuProvider);
  std::vector<std::string> hook;
  ExecutionPlan plan(m.graph, {cpu.get()}, {}, false, nullptr, [&](const std::string& name) { hook.push_back(name); });
  std::vector<std::string> released = plan.released_constants();
  std::sort(released.begin(), released.end());
  EXPECT_EQ(released, (std::vector<std::string>{"F", "V", "W"}));
  std::sort(hook.begin(), hook.end());
  EXPECT_EQ(hook, released);

  // Through a session, with every weight dropped that can be: the same results as with the
  // weights fed (nothing packed, nothing dropped).
  Session session(bytes.data(), bytes.size());
  const Tensor x = RandomFloats({3, kK}, 8), img = RandomFloats({1, 4, 5, 5}, 9);
  const std::vector<Tensor> got = session.Run({{"x", x}, {"img", img}});
  GraphBuilder fed;
  fed.Input("x", DataType::Float, {std::string("rows"), kK}).Input("img", DataType::Float, {int64_t(1), int64_t(4), int64_t(5), int64_t(5)});
  fed.Input("W", DataType::Float, {kK, kN}).Input("V", DataType::Float, {kN, kK}).Input("F", DataType::Float, {6, 4, 3, 3});
  fed.Initializer("c", RandomFloats({kN}, 3)).Output("y", DataType::Float).Output("z", DataType::Float).Output("f", DataType::Float);
  fed.Node("MatMul", {"x", "W"}, {"y"}).Node("Gemm", {"x", "V", "c"}, {"z"}, {IntAttribute("transB", 1)}).Node("Conv", {"img", "F"}, {"f"});
  const std::string fed_bytes = BuildModel(fed, 13);
  Session reference(fed_bytes.data(), fed_bytes.size());
  const std::vector<Tensor> want = reference.Run({{"x", x}, {"img", img}, {"W", RandomFloats({kK, kN}, 1)},
                                                  {"V", RandomFloats({kN, kK}, 2)}, {"F", RandomFloats({6, 4, 3, 3}, 6)}});
  ExpectFloatsNear(ToVector<float>(got[0]), ToVector<float>(want[0]), 1e-5f, "MatMul");
  ExpectFloatsNear(ToVector<float>(got[1]), ToVector<float>(want[1]), 1e-5f, "Gemm");
  ExpectFloatsNear(ToVector<float>(got[6]), ToVector<float>(want[2]), 1e-5f, "Conv");
}

}  // namespace
}  // namespace onyx::testing
