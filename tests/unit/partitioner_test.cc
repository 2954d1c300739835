// Partitioning and device copies, tested without a GPU: a test-only provider claims a chosen set
// of ops and keeps its tensors in "emulated device" memory (host memory tagged as another
// device). Its kernels refuse inputs that are not on its device, so a missing copy fails.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <set>

#include "core/execution_provider.h"
#include "kernel_test_util.h"
#include "model_builder.h"
#include "onyx/session.h"
#include "provider_test_util.h"

namespace onyx::testing {
namespace {

constexpr const char* kEmulated = "EmulatedDeviceProvider";
const Device kEmulatedDevice{DeviceType::Emulated, 0};
std::atomic<int> g_copies{0};

class DeviceCheckKernel final : public OpKernel {
 public:
  DeviceCheckKernel(std::unique_ptr<OpKernel> inner, std::vector<int> host_inputs)
      : inner_(std::move(inner)), host_inputs_(std::move(host_inputs)) {}
  void Compute(KernelContext& ctx) const override {
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) continue;
      const bool host = std::find(host_inputs_.begin(), host_inputs_.end(), static_cast<int>(i)) != host_inputs_.end();
      const Device want = host ? Device{} : kEmulatedDevice;
      if (ctx.Input(i).device() != want)
        throw ctx.MakeError(ErrorCode::RuntimeException, "input " + std::to_string(i) + " is on " + ctx.Input(i).device().ToString() +
                                                             ", expected " + want.ToString());
    }
    inner_->Compute(ctx);
  }

 private:
  std::unique_ptr<OpKernel> inner_;
  std::vector<int> host_inputs_;
};

class EmulatedProvider final : public ExecutionProvider {
 public:
  EmulatedProvider() : ExecutionProvider(kEmulated, kEmulatedDevice) {
    // The CPU kernels of a few ops, run on "device" memory.
    const std::vector<std::pair<std::string, std::vector<int>>> ops = {
        {"Relu", {}}, {"Add", {}}, {"MatMul", {}}, {"Reshape", {1}}};
    for (const auto& [op, host] : ops) {
      const KernelDef* cpu = KernelRegistry::Global().Find("CPUExecutionProvider", "", op, 17);
      KernelDef d = *cpu;
      d.provider = kEmulated;
      d.host_inputs = host;
      d.types = {DataType::Float};
      KernelFactory inner = cpu->factory;
      std::vector<int> h = host;
      d.factory = [inner, h](const KernelInfo& info) -> std::unique_ptr<OpKernel> {
        return std::make_unique<DeviceCheckKernel>(inner(info), h);
      };
      registry_.Register(d);
    }
  }
  const KernelRegistry& registry() const override { return registry_; }
  Tensor Allocate(DataType dtype, const std::vector<int64_t>& shape) const override {
    Tensor host(dtype, shape);
    // Keep the host storage alive through a shared_ptr that owns a copy of the tensor handle.
    auto keep = std::make_shared<Tensor>(host);
    std::shared_ptr<void> storage(keep->raw_data(), [keep](void*) {});
    return Tensor::Wrap(dtype, shape, storage, device());
  }
  void Copy(const Tensor& src, Tensor& dst) const override {
    ++g_copies;
    if (src.nbytes()) std::memcpy(dst.raw_data(), src.raw_data(), src.nbytes());
  }

 private:
  KernelRegistry registry_;
};

void RegisterEmulated() {
  static bool once = [] {
    RegisterExecutionProviderFactory(kEmulated, [](const ProviderOptions&) { return std::make_unique<EmulatedProvider>(); });
    return true;
  }();
  (void)once;
}

std::vector<NodePlacement> Placement(const Session& s) { return s.placement(); }

int CountOp(const Session& s, const std::string& op) {
  int n = 0;
  for (const auto& p : s.placement()) n += p.op_type == op;
  return n;
}

std::string ProviderOf(const Session& s, const std::string& node) {
  for (const auto& p : s.placement())
    if (p.node == node) return p.provider;
  return "?";
}

SessionOptions EmulatedOptions() {
  RegisterEmulated();
  SessionOptions o;
  o.providers = {kEmulated};
  o.graph_optimization_level = GraphOptimizationLevel::DisableAll;
  o.log_severity_level = 3;
  return o;
}

// x -> Relu -> MatMul(W) -> Sigmoid (CPU only) -> Add(x) -> y
std::string MixedModel() {
  Tensor w = RandomTensor(DataType::Float, {3, 3}, 7);
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3)})
      .Initializer("w", w)
      .Output("y", DataType::Float)
      .Node("Relu", {"x"}, {"a"}, {}, "relu")
      .Node("MatMul", {"a", "w"}, {"b"}, {}, "matmul")
      .Node("Sigmoid", {"b"}, {"c"}, {}, "sigmoid")
      .Node("Add", {"c", "x"}, {"y"}, {}, "add");
  return BuildModel(g);
}

TEST(Partitioner, AssignsClaimedOpsAndInsertsCopiesAtDeviceEdges) {
  const std::string model = MixedModel();
  Session dev(model.data(), model.size(), EmulatedOptions());
  EXPECT_EQ(dev.providers(), (std::vector<std::string>{kEmulated, "CPUExecutionProvider"}));
  EXPECT_EQ(ProviderOf(dev, "relu"), kEmulated);
  EXPECT_EQ(ProviderOf(dev, "matmul"), kEmulated);
  EXPECT_EQ(ProviderOf(dev, "sigmoid"), "CPUExecutionProvider");
  EXPECT_EQ(ProviderOf(dev, "add"), kEmulated);
  // x to the device once (shared by Relu and Add), w once at creation, c back to the device.
  EXPECT_EQ(CountOp(dev, "MemcpyFromHost"), 3);
  // b to the host for Sigmoid, y to the host as the graph output.
  EXPECT_EQ(CountOp(dev, "MemcpyToHost"), 2);
  for (const auto& p : dev.placement())
    if (p.node == "sigmoid") EXPECT_FALSE(p.reason.empty());

  Session cpu(model.data(), model.size());
  Tensor x = RandomTensor(DataType::Float, {2, 3}, 11);
  const int before = g_copies;
  auto got = dev.Run({{"x", x}});
  // Per run: x, b, c and y are copied; w was copied once at session creation.
  EXPECT_EQ(g_copies - before, 4);
  auto want = cpu.Run({{"x", x}});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].on_cpu());
  EXPECT_EQ(got[0].shape(), want[0].shape());
  for (int64_t i = 0; i < want[0].size(); ++i) EXPECT_FLOAT_EQ(got[0].data<float>()[i], want[0].data<float>()[i]);
}

TEST(Partitioner, DisabledFallbackNamesTheNodesThatWouldRunOnCpu) {
  const std::string model = MixedModel();
  SessionOptions o = EmulatedOptions();
  o.disable_cpu_ep_fallback = true;
  try {
    Session s(model.data(), model.size(), o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Sigmoid node 'sigmoid'"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("relu"), std::string::npos) << e.what();
  }
}

TEST(Partitioner, ShapeComputationsStayOnHostAndHostInputsAreNotCopied) {
  // y = Reshape(Relu(x), Concat(Shape(x)[0:1], [-1])): the shape path stays on the CPU, and
  // Reshape reads its shape input on the host.
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3), int64_t(4)})
      .Initializer("starts", Int64Tensor({1}, {0}))
      .Initializer("ends", Int64Tensor({1}, {1}))
      .Initializer("minus1", Int64Tensor({1}, {-1}))
      .Output("y", DataType::Float)
      .Node("Relu", {"x"}, {"r"}, {}, "relu")
      .Node("Shape", {"r"}, {"s"}, {}, "shape")
      .Node("Slice", {"s", "starts", "ends"}, {"s0"}, {}, "slice")
      .Node("Concat", {"s0", "minus1"}, {"target"}, {IntAttribute("axis", 0)}, "concat")
      .Node("Reshape", {"r", "target"}, {"y"}, {}, "reshape");
  const std::string model = BuildModel(g);
  Session s(model.data(), model.size(), EmulatedOptions());
  EXPECT_EQ(ProviderOf(s, "relu"), kEmulated);
  EXPECT_EQ(ProviderOf(s, "shape"), "CPUExecutionProvider");
  EXPECT_EQ(ProviderOf(s, "slice"), "CPUExecutionProvider");
  EXPECT_EQ(ProviderOf(s, "concat"), "CPUExecutionProvider");
  EXPECT_EQ(ProviderOf(s, "reshape"), kEmulated);
  EXPECT_EQ(CountOp(s, "MemcpyFromHost"), 1);  // x only: Shape reads r where it is
  EXPECT_EQ(CountOp(s, "MemcpyToHost"), 1);    // y
  Tensor x = RandomTensor(DataType::Float, {2, 3, 4}, 3);
  auto out = s.Run({{"x", x}});
  ASSERT_EQ(out[0].shape(), (std::vector<int64_t>{2, 12}));
  for (int64_t i = 0; i < x.size(); ++i) EXPECT_FLOAT_EQ(out[0].data<float>()[i], std::max(0.f, x.data<float>()[i]));
}

TEST(Partitioner, DeviceOutputReadAlsoByLaterNodesKeepsItsName) {
  // "a" is both a graph output and an input of a later device node.
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(4)})
      .Output("a", DataType::Float)
      .Output("y", DataType::Float)
      .Node("Relu", {"x"}, {"a"}, {}, "relu")
      .Node("Add", {"a", "a"}, {"y"}, {}, "add");
  const std::string model = BuildModel(g);
  Session s(model.data(), model.size(), EmulatedOptions());
  EXPECT_EQ(ProviderOf(s, "add"), kEmulated);
  EXPECT_EQ(CountOp(s, "MemcpyToHost"), 2);
  auto out = s.Run({{"x", FloatTensor({4}, {-1, 2, -3, 4})}});
  EXPECT_EQ(ToVector<float>(out[0]), (std::vector<float>{0, 2, 0, 4}));
  EXPECT_EQ(ToVector<float>(out[1]), (std::vector<float>{0, 4, 0, 8}));
  EXPECT_EQ(s.outputs()[0].name, "a");
}

TEST(Partitioner, ValuesReadBySubgraphsAreProducedOnHost) {
  // The If branch reads "r" from the outer scope, so Relu stays on the CPU.
  GraphBuilder then_g, else_g;
  then_g.Name("then").Output("t", DataType::Float).Node("Identity", {"r"}, {"t"});
  else_g.Name("else").Output("e", DataType::Float).Node("Neg", {"r"}, {"e"});
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(3)})
      .Input("cond", DataType::Bool, {})
      .Output("y", DataType::Float)
      .Node("Relu", {"x"}, {"r"}, {}, "relu")
      .Node("If", {"cond"}, {"y"}, {GraphAttribute("then_branch", then_g.proto()), GraphAttribute("else_branch", else_g.proto())}, "if");
  const std::string model = BuildModel(g);
  Session s(model.data(), model.size(), EmulatedOptions());
  EXPECT_EQ(ProviderOf(s, "relu"), "CPUExecutionProvider");
  EXPECT_EQ(ProviderOf(s, "if"), "CPUExecutionProvider");
  Tensor cond(DataType::Bool, {});
  cond.data<bool>()[0] = false;
  auto out = s.Run({{"x", FloatTensor({3}, {-1, 2, 3})}, {"cond", cond}});
  EXPECT_EQ(ToVector<float>(out[0]), (std::vector<float>{0, -2, -3}));
}

TEST(Partitioner, CpuOnlySessionsHaveNoCopies) {
  const std::string model = MixedModel();
  Session s(model.data(), model.size());
  EXPECT_EQ(s.providers(), (std::vector<std::string>{"CPUExecutionProvider"}));
  EXPECT_EQ(CountOp(s, "MemcpyFromHost") + CountOp(s, "MemcpyToHost"), 0);
  for (const auto& p : s.placement()) EXPECT_EQ(p.provider, "CPUExecutionProvider");
}

TEST(Partitioner, UnknownProviderIsAnInvalidArgument) {
  const std::string model = MixedModel();
  SessionOptions o;
  o.providers = {"NoSuchExecutionProvider"};
  EXPECT_THROW(Session(model.data(), model.size(), o), Error);
}

TEST(Partitioner, CudaRequestedWithoutGpuFallsBackToCpuOrFailsWhenAsked) {
  if (CudaUsable()) GTEST_SKIP() << "a CUDA device is present";
  const auto av = AvailableProviders();
  if (std::find(av.begin(), av.end(), "CUDAExecutionProvider") == av.end()) GTEST_SKIP() << "built without CUDA";
  const std::string model = MixedModel();
  SessionOptions o;
  o.providers = {"CUDAExecutionProvider"};
  o.log_severity_level = 3;
  Session s(model.data(), model.size(), o);
  EXPECT_EQ(s.providers(), (std::vector<std::string>{"CPUExecutionProvider"}));
  o.disable_cpu_ep_fallback = true;
  EXPECT_THROW(Session(model.data(), model.size(), o), Error);
}

}  // namespace
}  // namespace onyx::testing
