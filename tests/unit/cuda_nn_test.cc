// Conv, ConvTranspose, pooling and BatchNormalization on the CUDA provider (cuDNN and own
// kernels) against the CPU provider.
#include <map>

#include "onyx/error.h"
#include "provider_test_util.h"

namespace onyx::testing {
namespace {

using Opts = std::map<std::string, std::string>;
// Exact float32 math: TF32 tensor cores off, so float32 results match the CPU closely.
const Opts kNoTf32 = {{"use_tf32", "0"}};

// ---- Conv ----

OpTest ConvTest(const std::string& op, DataType dt, std::vector<int64_t> x, std::vector<int64_t> w, bool bias,
                std::vector<AttrSpec> attrs, bool constant_weights = true) {
  OpTest t;
  t.op = op;
  const int64_t channels = w[0];  // bias is only given here for Conv
  t.inputs = {{"X", RandomTensor(dt, std::move(x), 11)}, {"W", RandomTensor(dt, std::move(w), 12), constant_weights}};
  if (bias) t.inputs.push_back({"B", RandomTensor(dt, {channels}, 13), constant_weights});
  t.attrs = std::move(attrs);
  t.output_types = {dt};
  return t;
}

// float32 exact, float32 with TF32 (looser) and float16.
void CheckConv(const std::string& op, std::vector<int64_t> x, std::vector<int64_t> w, bool bias,
               const std::vector<AttrSpec>& attrs, int64_t bias_channels = -1) {
  SCOPED_TRACE(op + " X " + ShapeToString(x) + " W " + ShapeToString(w));
  auto make = [&](DataType dt) {
    OpTest t = ConvTest(op, dt, x, w, false, attrs);
    if (bias) {
      const int64_t m = bias_channels > 0 ? bias_channels : w[0];
      t.inputs.push_back({"B", RandomTensor(dt, {m}, 13), true});
    }
    return t;
  };
  ExpectMatchesCpuOnCuda(make(DataType::Float), 1e-4, 1e-4, kNoTf32);
  ExpectMatchesCpuOnCuda(make(DataType::Float), 1e-2, 1e-2);
  ExpectMatchesCpuOnCuda(make(DataType::Float16), 4e-3, 4e-3);
}

TEST(CudaNn, ConvResNetLike) {
  ONYX_REQUIRE_CUDA();
  CheckConv("Conv", {2, 8, 15, 15}, {16, 8, 3, 3}, true,
            {IntsAttribute("strides", {2, 2}), IntsAttribute("pads", {1, 1, 1, 1})});
  CheckConv("Conv", {1, 3, 33, 31}, {8, 3, 7, 7}, true,
            {IntsAttribute("strides", {2, 2}), IntsAttribute("pads", {3, 3, 3, 3}), IntsAttribute("kernel_shape", {7, 7})});
  CheckConv("Conv", {2, 16, 9, 9}, {16, 16, 3, 3}, false, {IntsAttribute("pads", {1, 1, 1, 1})});
}

TEST(CudaNn, ConvPointwise) {
  ONYX_REQUIRE_CUDA();
  CheckConv("Conv", {1, 32, 7, 9}, {16, 32, 1, 1}, true, {});
  CheckConv("Conv", {2, 12, 8, 8}, {24, 12, 1, 1}, false, {IntsAttribute("strides", {2, 2})});
}

TEST(CudaNn, ConvGroupedAndDepthwise) {
  ONYX_REQUIRE_CUDA();
  CheckConv("Conv", {2, 8, 10, 10}, {12, 2, 3, 3}, true, {IntAttribute("group", 4), IntsAttribute("pads", {1, 1, 1, 1})});
  CheckConv("Conv", {2, 8, 11, 11}, {8, 1, 3, 3}, true,
            {IntAttribute("group", 8), IntsAttribute("pads", {1, 1, 1, 1}), IntsAttribute("strides", {2, 2})});
  CheckConv("Conv", {1, 6, 9, 9}, {12, 1, 5, 5}, false, {IntAttribute("group", 6), IntsAttribute("pads", {2, 2, 2, 2})});
}

TEST(CudaNn, ConvDilated) {
  ONYX_REQUIRE_CUDA();
  CheckConv("Conv", {1, 4, 17, 19}, {6, 4, 3, 3}, true,
            {IntsAttribute("dilations", {2, 2}), IntsAttribute("pads", {2, 2, 2, 2})});
  CheckConv("Conv", {1, 4, 17, 19}, {6, 4, 3, 3}, false, {IntsAttribute("dilations", {3, 1})});
}

TEST(CudaNn, Conv1DAnd3D) {
  ONYX_REQUIRE_CUDA();
  CheckConv("Conv", {2, 4, 20}, {6, 4, 5}, true, {IntsAttribute("strides", {2}), IntsAttribute("pads", {2, 2})});
  CheckConv("Conv", {3, 5, 31}, {5, 1, 3}, false, {IntAttribute("group", 5), IntsAttribute("dilations", {2})});
  CheckConv("Conv", {1, 3, 6, 7, 8}, {4, 3, 3, 3, 3}, true, {IntsAttribute("pads", {1, 1, 1, 1, 1, 1})});
  CheckConv("Conv", {2, 4, 5, 6, 7}, {4, 2, 2, 3, 1}, false,
            {IntAttribute("group", 2), IntsAttribute("strides", {2, 1, 2})});
}

TEST(CudaNn, ConvAsymmetricPadding) {
  ONYX_REQUIRE_CUDA();
  CheckConv("Conv", {1, 3, 10, 11}, {5, 3, 3, 3}, true, {IntsAttribute("pads", {0, 1, 1, 2})});
  CheckConv("Conv", {2, 4, 9}, {3, 4, 4}, true, {IntsAttribute("pads", {3, 0})});
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    SCOPED_TRACE(mode);
    CheckConv("Conv", {1, 4, 10, 11}, {6, 4, 3, 3}, true,
              {StringAttribute("auto_pad", mode), IntsAttribute("strides", {2, 2})});  // odd total padding
    CheckConv("Conv", {1, 4, 8, 8}, {6, 4, 2, 2}, false, {StringAttribute("auto_pad", mode)});
  }
  CheckConv("Conv", {1, 4, 10, 11}, {6, 4, 3, 3}, false, {StringAttribute("auto_pad", "VALID")});
}

TEST(CudaNn, ConvOpset1AndGraphWeights) {
  ONYX_REQUIRE_CUDA();
  OpTest t = ConvTest("Conv", DataType::Float, {2, 3, 8, 8}, {4, 3, 3, 3}, true, {}, /*constant_weights=*/false);
  t.opset = 1;
  ExpectMatchesCpuOnCuda(t, 1e-4, 1e-4, kNoTf32);
}

TEST(CudaNn, ConvExhaustiveAndDefaultSearch) {
  ONYX_REQUIRE_CUDA();
  for (const char* search : {"EXHAUSTIVE", "DEFAULT"}) {
    SCOPED_TRACE(search);
    const Opts o = {{"use_tf32", "0"}, {"cudnn_conv_algo_search", search}};
    ExpectMatchesCpuOnCuda(ConvTest("Conv", DataType::Float, {2, 8, 15, 15}, {16, 8, 3, 3}, true,
                                  {IntsAttribute("pads", {1, 1, 1, 1})}), 1e-4, 1e-4, o);
    ExpectMatchesCpuOnCuda(ConvTest("Conv", DataType::Float16, {2, 8, 15, 15}, {16, 8, 3, 3}, true,
                                  {IntsAttribute("strides", {2, 2})}), 4e-3, 4e-3, o);
    ExpectMatchesCpuOnCuda(ConvTest("ConvTranspose", DataType::Float, {1, 4, 6, 6}, {4, 3, 3, 3}, false,
                                  {IntsAttribute("strides", {2, 2})}), 1e-4, 1e-4, o);
  }
}

TEST(CudaNn, ConvEmpty) {
  ONYX_REQUIRE_CUDA();
  CheckConv("Conv", {0, 3, 5, 5}, {4, 3, 3, 3}, true, {});
}

// com.microsoft FusedConv: each activation, with and without bias and addend Z, under each
// search: DEFAULT takes the legacy calls (cudnnConvolutionBiasActivationForward for Relu and, with
// the implicit precomputed GEMM, the identity; separate passes otherwise), HEURISTIC and
// EXHAUSTIVE the graph API (bias, Z and Relu inside the graph, other activations after it).
TEST(CudaNn, FusedConvEachActivationBiasAndAddend) {
  ONYX_REQUIRE_CUDA();
  struct Act {
    const char* name;
    std::vector<float> params;
  };
  const std::vector<Act> acts = {{"", {}},           {"Relu", {}},          {"Sigmoid", {}},       {"Tanh", {}},
                                 {"LeakyRelu", {0.2f}}, {"Clip", {-0.5f, 0.7f}}, {"HardSigmoid", {0.3f, 0.4f}}};
  for (const char* search : {"DEFAULT", "HEURISTIC", "EXHAUSTIVE"})
    for (const Act& a : acts)
      for (bool bias : {false, true})
        for (bool z : {false, true}) {
          SCOPED_TRACE(std::string(search) + " activation '" + a.name + "' bias " + std::to_string(bias) + " Z " +
                       std::to_string(z));
          OpTest t = ConvTest("FusedConv", DataType::Float, {2, 8, 9, 9}, {16, 8, 3, 3}, false,
                              {IntsAttribute("pads", {1, 1, 1, 1})});
          t.domain = "com.microsoft";
          t.opset = 17;
          t.inputs.push_back({bias ? "B" : "", RandomTensor(DataType::Float, {16}, 13), true});
          if (z) t.inputs.push_back({"Z", RandomTensor(DataType::Float, {2, 16, 9, 9}, 14, -2, 2)});
          if (*a.name) t.attrs.push_back(StringAttribute("activation", a.name));
          if (!a.params.empty()) t.attrs.push_back(FloatsAttribute("activation_params", a.params));
          ExpectMatchesCpuOnCuda(t, 1e-4, 1e-4, {{"use_tf32", "0"}, {"cudnn_conv_algo_search", search}});
        }
}

// The optimizer fuses Conv + Add + Relu for a CUDA session too (CUDA has FusedConv), and the
// fused node runs there, matching the unoptimized model on the CPU.
TEST(CudaNn, ResidualConvFusesAndRunsOnCuda) {
  ONYX_REQUIRE_CUDA();
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(8), int64_t(9), int64_t(9)})
      .Input("z", DataType::Float, {int64_t(2), int64_t(16), int64_t(9), int64_t(9)})
      .Output("y", DataType::Float);
  g.Initializer("W", RandomTensor(DataType::Float, {16, 8, 3, 3}, 12)).Initializer("B", RandomTensor(DataType::Float, {16}, 13));
  g.Node("Conv", {"x", "W", "B"}, {"c"}, {IntsAttribute("pads", {1, 1, 1, 1})});
  g.Node("Add", {"c", "z"}, {"s"}).Node("Relu", {"s"}, {"y"});
  const std::string model = BuildModel(g, 17);
  const std::vector<std::pair<std::string, Tensor>> feeds = {{"x", RandomTensor(DataType::Float, {2, 8, 9, 9}, 1)},
                                                             {"z", RandomTensor(DataType::Float, {2, 16, 9, 9}, 2, -2, 2)}};
  SessionOptions o;
  o.providers = {"CUDAExecutionProvider"};
  o.provider_options["CUDAExecutionProvider"] = {{"use_tf32", "0"}};
  o.disable_cpu_ep_fallback = true;
  Session cuda(model.data(), model.size(), o);
  // Besides the copies at the device edges, one node: the FusedConv, on CUDA.
  std::vector<NodePlacement> compute;
  for (const auto& p : cuda.placement())
    if (p.op_type != "MemcpyFromHost" && p.op_type != "MemcpyToHost") compute.push_back(p);
  ASSERT_EQ(compute.size(), 1u);
  EXPECT_EQ(compute[0].op_type, "FusedConv");
  EXPECT_EQ(compute[0].provider, "CUDAExecutionProvider");
  const std::vector<Tensor> want = RunModelOn(model, {"CPUExecutionProvider"}, feeds);
  ExpectOutputsMatch("FusedConv", "CUDAExecutionProvider", cuda.Run(feeds), want, 1e-4, 1e-4);
}

TEST(CudaNn, ConvTranspose2D) {
  ONYX_REQUIRE_CUDA();
  CheckConv("ConvTranspose", {2, 8, 7, 7}, {8, 4, 3, 3}, true,
            {IntsAttribute("strides", {2, 2}), IntsAttribute("pads", {1, 1, 1, 1}), IntsAttribute("output_padding", {1, 1})},
            4);
  CheckConv("ConvTranspose", {1, 4, 5, 6}, {4, 3, 4, 4}, true, {IntsAttribute("strides", {2, 2})}, 3);
  CheckConv("ConvTranspose", {1, 3, 5, 5}, {3, 2, 3, 3}, false, {});
  CheckConv("ConvTranspose", {1, 4, 5, 5}, {4, 3, 3, 3}, true,
            {IntAttribute("group", 2), IntsAttribute("strides", {2, 2}), IntsAttribute("dilations", {2, 1})}, 6);
}

TEST(CudaNn, ConvTransposeCropped) {
  ONYX_REQUIRE_CUDA();
  CheckConv("ConvTranspose", {1, 4, 5, 6}, {4, 3, 3, 3}, true,
            {IntsAttribute("strides", {2, 2}), IntsAttribute("pads", {0, 1, 1, 2})}, 3);
  CheckConv("ConvTranspose", {1, 4, 5, 6}, {4, 3, 3, 3}, true,
            {IntsAttribute("strides", {2, 2}), IntsAttribute("output_shape", {12, 14})}, 3);
  CheckConv("ConvTranspose", {1, 4, 5, 6}, {4, 3, 3, 3}, false,
            {IntsAttribute("strides", {3, 3}), StringAttribute("auto_pad", "SAME_UPPER")});
  CheckConv("ConvTranspose", {1, 4, 5, 6}, {4, 3, 3, 3}, false,
            {IntsAttribute("strides", {2, 2}), StringAttribute("auto_pad", "SAME_LOWER")});
  CheckConv("ConvTranspose", {1, 2, 4, 4}, {2, 2, 3, 3}, false,
            {IntsAttribute("strides", {2, 2}), IntsAttribute("output_padding", {1, 1})});
}

TEST(CudaNn, ConvTranspose1DAnd3D) {
  ONYX_REQUIRE_CUDA();
  CheckConv("ConvTranspose", {2, 3, 9}, {3, 5, 4}, true, {IntsAttribute("strides", {2}), IntsAttribute("pads", {1, 1})},
            5);
  CheckConv("ConvTranspose", {1, 2, 3, 4, 5}, {2, 3, 3, 3, 3}, true,
            {IntsAttribute("strides", {2, 2, 2}), IntsAttribute("pads", {1, 1, 1, 1, 1, 1})}, 3);
}

// ---- pooling ----

OpTest PoolTest(const std::string& op, DataType dt, std::vector<int64_t> x, std::vector<AttrSpec> attrs,
                int outputs = 1) {
  OpTest t;
  t.op = op;
  t.inputs = {{"X", RandomTensor(dt, std::move(x), 21)}};
  t.attrs = std::move(attrs);
  t.output_types = {dt};
  if (outputs == 2) t.output_types.push_back(DataType::Int64);
  return t;
}

void CheckPool(const std::string& op, std::vector<int64_t> x, const std::vector<AttrSpec>& attrs, int64_t opset = 17) {
  SCOPED_TRACE(op + " X " + ShapeToString(x));
  OpTest f = PoolTest(op, DataType::Float, x, attrs), h = PoolTest(op, DataType::Float16, x, attrs);
  f.opset = h.opset = opset;
  ExpectMatchesCpuOnCuda(f, 1e-5, 1e-5);
  ExpectMatchesCpuOnCuda(h, 2e-3, 2e-3);
}

TEST(CudaNn, MaxPool) {
  ONYX_REQUIRE_CUDA();
  CheckPool("MaxPool", {2, 8, 15, 15},
            {IntsAttribute("kernel_shape", {3, 3}), IntsAttribute("strides", {2, 2}), IntsAttribute("pads", {1, 1, 1, 1})});
  CheckPool("MaxPool", {1, 3, 8, 9}, {IntsAttribute("kernel_shape", {2, 2}), IntsAttribute("strides", {2, 2})});
  CheckPool("MaxPool", {2, 3, 17}, {IntsAttribute("kernel_shape", {4}), IntsAttribute("strides", {3})});
  CheckPool("MaxPool", {1, 2, 6, 7, 8}, {IntsAttribute("kernel_shape", {2, 3, 2}), IntsAttribute("pads", {1, 1, 1, 1, 1, 1})});
  CheckPool("MaxPool", {1, 3, 9, 10}, {IntsAttribute("kernel_shape", {3, 3}), StringAttribute("auto_pad", "SAME_UPPER")});
  CheckPool("MaxPool", {1, 3, 9, 10}, {IntsAttribute("kernel_shape", {3, 3})}, 7);
  CheckPool("MaxPool", {0, 3, 9, 10}, {IntsAttribute("kernel_shape", {3, 3})});
}

TEST(CudaNn, AveragePool) {
  ONYX_REQUIRE_CUDA();
  for (int64_t include : {0, 1}) {
    SCOPED_TRACE("count_include_pad " + std::to_string(include));
    CheckPool("AveragePool", {2, 8, 15, 15},
              {IntsAttribute("kernel_shape", {3, 3}), IntsAttribute("strides", {2, 2}), IntsAttribute("pads", {1, 1, 1, 1}),
               IntAttribute("count_include_pad", include)});
    CheckPool("AveragePool", {2, 3, 17},
              {IntsAttribute("kernel_shape", {5}), IntsAttribute("pads", {2, 2}), IntAttribute("count_include_pad", include)});
    CheckPool("AveragePool", {1, 2, 6, 7, 8},
              {IntsAttribute("kernel_shape", {3, 3, 3}), IntsAttribute("pads", {1, 1, 1, 1, 1, 1}),
               IntsAttribute("strides", {2, 2, 2}), IntAttribute("count_include_pad", include)});
  }
  CheckPool("AveragePool", {1, 16, 7, 7}, {IntsAttribute("kernel_shape", {7, 7})});
  CheckPool("AveragePool", {1, 3, 9, 10}, {IntsAttribute("kernel_shape", {3, 3}), StringAttribute("auto_pad", "SAME_LOWER")});
  CheckPool("AveragePool", {1, 3, 9, 10}, {IntsAttribute("kernel_shape", {2, 2})}, 7);
}

TEST(CudaNn, GlobalPools) {
  ONYX_REQUIRE_CUDA();
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"}) {
    CheckPool(op, {2, 5, 7, 9}, {});
    CheckPool(op, {1, 3, 1000}, {});
    CheckPool(op, {2, 3, 4, 5, 6}, {});
    CheckPool(op, {1, 7, 33, 33}, {});
    CheckPool(op, {0, 3, 4, 4}, {});
  }
}

TEST(CudaNn, PoolsCudnnCannotDoStayOnCpu) {
  ONYX_REQUIRE_CUDA();
  const std::vector<OpTest> refused = {
      PoolTest("MaxPool", DataType::Float, {1, 3, 8, 8}, {IntsAttribute("kernel_shape", {3, 3}), IntAttribute("ceil_mode", 1)}),
      PoolTest("MaxPool", DataType::Float, {1, 3, 8, 8}, {IntsAttribute("kernel_shape", {3, 3})}, 2),
      PoolTest("MaxPool", DataType::Float, {1, 3, 8, 8}, {IntsAttribute("kernel_shape", {3, 3}), IntsAttribute("dilations", {2, 2})}),
      PoolTest("AveragePool", DataType::Float, {1, 3, 8, 8}, {IntsAttribute("kernel_shape", {3, 3}), IntsAttribute("pads", {0, 0, 1, 1})}),
      PoolTest("AveragePool", DataType::Float, {1, 3, 8, 8},
               {IntsAttribute("kernel_shape", {3, 3}), IntsAttribute("strides", {2, 2}), StringAttribute("auto_pad", "SAME_UPPER")}),
  };
  for (const OpTest& t : refused) EXPECT_THROW(RunOpTest(t, {"CUDAExecutionProvider"}), Error) << t.op;
}

// ---- BatchNormalization ----

OpTest BatchNormTest(DataType x_type, DataType param_type, std::vector<int64_t> x, int64_t opset) {
  OpTest t;
  t.op = "BatchNormalization";
  t.opset = opset;
  const int64_t C = x[1];
  t.inputs = {{"X", RandomTensor(x_type, std::move(x), 31, -3, 3)},
              {"scale", RandomTensor(param_type, {C}, 32), true},
              {"B", RandomTensor(param_type, {C}, 33), true},
              {"mean", RandomTensor(param_type, {C}, 34), true},
              {"var", RandomTensor(param_type, {C}, 35, 0.1, 2.0), true}};
  t.attrs = {FloatAttribute("epsilon", 1e-3f)};
  t.output_types = {x_type};
  return t;
}

TEST(CudaNn, BatchNormalization) {
  ONYX_REQUIRE_CUDA();
  for (int64_t opset : {7, 9, 14, 15}) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    ExpectMatchesCpuOnCuda(BatchNormTest(DataType::Float, DataType::Float, {2, 5, 7, 3}, opset), 1e-5, 1e-5);
    ExpectMatchesCpuOnCuda(BatchNormTest(DataType::Float16, DataType::Float16, {2, 5, 7, 3}, opset), 2e-3, 2e-3);
  }
  ExpectMatchesCpuOnCuda(BatchNormTest(DataType::Float, DataType::Float, {6, 5}, 15), 1e-5, 1e-5);
  ExpectMatchesCpuOnCuda(BatchNormTest(DataType::Float, DataType::Float, {2, 3, 4, 5, 6}, 15), 1e-5, 1e-5);
  ExpectMatchesCpuOnCuda(BatchNormTest(DataType::Float16, DataType::Float, {3, 4, 33}, 15), 2e-3, 2e-3);
  ExpectMatchesCpuOnCuda(BatchNormTest(DataType::Float, DataType::Float, {0, 4, 3}, 15), 1e-5, 1e-5);
}

TEST(CudaNn, BatchNormalizationTrainingStaysOnCpu) {
  ONYX_REQUIRE_CUDA();
  OpTest t = BatchNormTest(DataType::Float, DataType::Float, {2, 3, 4}, 15);
  t.attrs.push_back(IntAttribute("training_mode", 1));
  t.output_types = {DataType::Float, DataType::Float, DataType::Float};
  EXPECT_THROW(RunOpTest(t, {"CUDAExecutionProvider"}), Error);
}

}  // namespace
}  // namespace onyx::testing
