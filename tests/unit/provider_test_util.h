#pragma once
// Runs a one-node model through a session on chosen execution providers and compares the
// results with the CPU provider on the same inputs: the one op test every provider shares.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/execution_provider.h"
#include "core/float16.h"
#include "model_builder.h"
#include "onyx/session.h"

namespace onyx::testing {

struct OpTest {
  struct Input {
    std::string name;   // empty: omitted optional input
    Tensor value;
    bool constant = false;  // an initializer instead of a graph input
  };
  std::string op;
  std::vector<Input> inputs;
  std::vector<AttrSpec> attrs;
  std::vector<DataType> output_types;  // one per output
  int64_t opset = 17;
  std::string domain;
};

inline std::string BuildOpModel(const OpTest& t) {
  GraphBuilder g;
  std::vector<std::string> ins, outs;
  for (const auto& in : t.inputs) {
    ins.push_back(in.name);
    if (in.name.empty()) continue;
    if (in.constant) {
      g.Initializer(in.name, in.value);
    } else {
      std::vector<DimSpec> shape(in.value.shape().begin(), in.value.shape().end());
      g.Input(in.name, in.value.dtype(), shape);
    }
  }
  for (size_t i = 0; i < t.output_types.size(); ++i) {
    outs.push_back("out" + std::to_string(i));
    g.Output(outs.back(), t.output_types[i]);
  }
  g.Node(t.op, ins, outs, t.attrs, "node_under_test", t.domain);
  std::map<std::string, int64_t> extra;
  if (!t.domain.empty()) extra[t.domain] = 1;
  return BuildModel(g, t.opset, {}, {}, extra);
}

// OpTest of one node `op` (opset, attributes) with the given inputs and output types.
inline OpTest Op(const std::string& op, std::vector<OpTest::Input> inputs, std::vector<DataType> outs, int64_t opset = 17,
                 std::vector<AttrSpec> attrs = {}) {
  OpTest t;
  t.op = op;
  t.inputs = std::move(inputs);
  t.output_types = std::move(outs);
  t.opset = opset;
  t.attrs = std::move(attrs);
  return t;
}

inline AttrSpec StringAttribute(const std::string& n, const std::string& v) {
  ProtoWriter a;
  a.Bytes(1, n).Varint(20, 3).Bytes(4, v);
  return {n, a};
}

// Runs a serialized model on `providers` without graph optimizations; with a device provider
// first, CPU fallback is disabled so a missing kernel fails. placed_on: where node_under_test
// ran. options: for the first provider.
inline std::vector<Tensor> RunModelOn(const std::string& model, const std::vector<std::string>& providers,
                                      const std::vector<std::pair<std::string, Tensor>>& feeds,
                                      std::string* placed_on = nullptr,
                                      const std::map<std::string, std::string>& options = {}) {
  SessionOptions o;
  o.providers = providers;
  if (!options.empty() && !providers.empty()) o.provider_options[providers[0]] = options;
  o.disable_cpu_ep_fallback = !providers.empty() && providers[0] != "CPUExecutionProvider";
  o.graph_optimization_level = GraphOptimizationLevel::DisableAll;
  Session s(model.data(), model.size(), o);
  if (placed_on)
    for (const auto& p : s.placement())
      if (p.node == "node_under_test") *placed_on = p.provider;
  return s.Run(feeds);
}

// Runs the model; with a device provider, CPU fallback is disabled so a missing kernel fails.
// options: for the first provider.
inline std::vector<Tensor> RunOpTest(const OpTest& t, const std::vector<std::string>& providers,
                                     std::string* placed_on = nullptr,
                                     const std::map<std::string, std::string>& options = {}) {
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const auto& in : t.inputs)
    if (!in.name.empty() && !in.constant) feeds.emplace_back(in.name, in.value);
  return RunModelOn(BuildOpModel(t), providers, feeds, placed_on, options);
}

inline bool ProviderUsable(const std::string& name) {
  const auto av = AvailableProviders();
  if (std::find(av.begin(), av.end(), name) == av.end()) return false;
  // A build may include CUDA while the machine has no GPU: the provider's creation says.
  try {
    CreateExecutionProvider(name);
    return true;
  } catch (const Error&) {
    return false;
  }
}

inline bool CudaUsable() {
  static const bool usable = ProviderUsable("CUDAExecutionProvider");
  return usable;
}

#define ONYX_REQUIRE_CUDA() \
  if (!::onyx::testing::CudaUsable()) GTEST_SKIP() << "no CUDA device (or onyx built without CUDA)"

inline double ElementAsDouble(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::Float: return t.data<float>()[i];
    case DataType::Double: return t.data<double>()[i];
    case DataType::Float16: return HalfToFloat(t.data<uint16_t>()[i]);
    case DataType::BFloat16: return BFloat16ToFloat(t.data<uint16_t>()[i]);
    case DataType::Int64: return static_cast<double>(t.data<int64_t>()[i]);
    case DataType::Int32: return t.data<int32_t>()[i];
    case DataType::Int8: return t.data<int8_t>()[i];
    case DataType::UInt8: return t.data<uint8_t>()[i];
    case DataType::Bool: return t.data<bool>()[i];
    default: ADD_FAILURE() << "unsupported dtype in comparison"; return 0;
  }
}

// got (from `provider`) and want (from the CPU) agree in count, types, shapes and values within
// |a - b| <= atol + rtol * |b| (NaN matches NaN); reports at most 5 bad elements per output.
inline void ExpectOutputsMatch(const std::string& op, const std::string& provider, const std::vector<Tensor>& got,
                               const std::vector<Tensor>& want, double rtol, double atol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t o = 0; o < got.size(); ++o) {
    ASSERT_EQ(got[o].dtype(), want[o].dtype()) << op << " output " << o;
    ASSERT_EQ(got[o].shape(), want[o].shape()) << op << " output " << o;
    int bad = 0;
    for (int64_t i = 0; i < got[o].size() && bad < 5; ++i) {
      const double a = ElementAsDouble(got[o], i), b = ElementAsDouble(want[o], i);
      const bool same = (std::isnan(a) && std::isnan(b)) || a == b || std::fabs(a - b) <= atol + rtol * std::fabs(b);
      if (!same) {
        ++bad;
        ADD_FAILURE() << op << " output " << o << " element " << i << ": " << provider << " " << a << " vs CPU " << b;
      }
    }
  }
}

// Runs t on `provider` (which must take the node) and on the CPU; outputs must agree within
// |a - b| <= atol + rtol * |b|.
inline void ExpectMatchesCpu(const OpTest& t, const std::string& provider, double rtol = 1e-4, double atol = 1e-5,
                             const std::map<std::string, std::string>& options = {}) {
  std::string placed;
  std::vector<Tensor> got = RunOpTest(t, {provider}, &placed, options);
  std::vector<Tensor> want = RunOpTest(t, {});
  EXPECT_EQ(placed, provider) << t.op << " ran on " << placed;
  for (const Tensor& g : got) ASSERT_TRUE(g.on_cpu());
  ExpectOutputsMatch(t.op, provider, got, want, rtol, atol);
}

inline void ExpectMatchesCpuOnCuda(const OpTest& t, double rtol = 1e-4, double atol = 1e-5,
                                   const std::map<std::string, std::string>& options = {}) {
  ExpectMatchesCpu(t, "CUDAExecutionProvider", rtol, atol, options);
}

// Runs t with its non-constant inputs produced on the device first, so that the node under test
// sees device inputs: each is fed as float (float16 as itself), passed through Identity and, for
// other types, Cast back to its type. Nodes whose inputs all come from the host and whose
// outputs are int32/int64 count as shape computation and stay on the CPU; feeding through the
// device keeps integer ops there. fed_input >= 0: only that input goes through the device, the
// others are fed as graph inputs (host shape/index inputs).
inline std::vector<Tensor> RunFed(const OpTest& t, const std::vector<std::string>& providers, std::string* placed_on,
                                  int fed_input = -1) {
  GraphBuilder g;
  std::vector<std::string> ins, outs;
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (size_t i = 0; i < t.inputs.size(); ++i) {
    const auto& in = t.inputs[i];
    if (in.name.empty() || in.constant) {
      if (in.constant) g.Initializer(in.name, in.value);
      ins.push_back(in.name);
      continue;
    }
    if (fed_input >= 0 && i != static_cast<size_t>(fed_input)) {
      g.Input(in.name, in.value.dtype(), std::vector<DimSpec>(in.value.shape().begin(), in.value.shape().end()));
      feeds.emplace_back(in.name, in.value);
      ins.push_back(in.name);
      continue;
    }
    const bool floating = in.value.dtype() == DataType::Float || in.value.dtype() == DataType::Float16;
    Tensor feed = in.value;
    if (!floating) {
      feed = Tensor(DataType::Float, in.value.shape());
      for (int64_t k = 0; k < feed.size(); ++k) feed.data<float>()[k] = static_cast<float>(ElementAsDouble(in.value, k));
    }
    g.Input(in.name + "_feed", feed.dtype(), std::vector<DimSpec>(feed.shape().begin(), feed.shape().end()));
    g.Node("Identity", {in.name + "_feed"}, {in.name + "_dev"});
    if (floating) {
      ins.push_back(in.name + "_dev");
    } else {
      g.Node("Cast", {in.name + "_dev"}, {in.name}, {IntAttribute("to", static_cast<int64_t>(in.value.dtype()))});
      ins.push_back(in.name);
    }
    feeds.emplace_back(in.name + "_feed", feed);
  }
  for (size_t i = 0; i < t.output_types.size(); ++i) {
    outs.push_back("out" + std::to_string(i));
    g.Output(outs.back(), t.output_types[i]);
  }
  g.Node(t.op, ins, outs, t.attrs, "node_under_test", t.domain);
  return RunModelOn(BuildModel(g, t.opset), providers, feeds, placed_on);
}

// RunFed on CUDA against RunFed on the CPU.
inline void ExpectFedMatchesCpu(const OpTest& t, double rtol = 1e-4, double atol = 1e-5, int fed_input = -1) {
  std::string placed;
  std::vector<Tensor> got = RunFed(t, {"CUDAExecutionProvider"}, &placed, fed_input);
  std::vector<Tensor> want = RunFed(t, {}, nullptr, fed_input);
  EXPECT_EQ(placed, "CUDAExecutionProvider") << t.op << " ran on " << placed;
  ExpectOutputsMatch(t.op, "CUDAExecutionProvider", got, want, rtol, atol);
}

// Uniform random tensor (floating types) or integers in [lo, hi] (integer types).
inline Tensor RandomTensor(DataType dt, std::vector<int64_t> shape, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  Tensor t(dt, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < t.size(); ++i) {
    const double v = u(rng);
    switch (dt) {
      case DataType::Float: t.data<float>()[i] = static_cast<float>(v); break;
      case DataType::Double: t.data<double>()[i] = v; break;
      case DataType::Float16: t.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(v)); break;
      case DataType::Int64: t.data<int64_t>()[i] = static_cast<int64_t>(std::floor(v)); break;
      case DataType::Int32: t.data<int32_t>()[i] = static_cast<int32_t>(std::floor(v)); break;
      case DataType::Bool: t.data<bool>()[i] = v > (lo + hi) / 2; break;
      default: ADD_FAILURE() << "RandomTensor: unsupported dtype";
    }
  }
  return t;
}

}  // namespace onyx::testing
