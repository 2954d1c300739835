#pragma once
// Runs one CPU kernel directly, without a model or session, for focused kernel tests.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/kernel_registry.h"
#include "core/node_evaluator.h"
#include "core/op_kernel.h"
#include "core/thread_pool.h"
#include "cpu_kernels.h"

namespace onyx::testing {

inline const KernelRegistry& TestRegistry() {
  static KernelRegistry r = [] {
    KernelRegistry k;
    RegisterCpuKernels(k);
    return k;
  }();
  return r;
}

// Runs op `op_type` (ai.onnx) on arbitrary values (tensors, sequences, None for omitted inputs).
inline std::vector<Value> RunOpValues(const std::string& op_type, const std::vector<Value>& inputs, size_t num_outputs,
                                      std::map<std::string, Attribute> attrs = {}, int64_t opset = 17,
                                      ThreadPool* pool = nullptr) {
  Node node;
  node.op_type = op_type;
  node.name = "test_" + op_type;
  node.opset = opset;
  node.attributes = std::move(attrs);
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(inputs[i].is_none() ? "" : "in" + std::to_string(i));
  for (size_t i = 0; i < num_outputs; ++i) node.outputs.push_back("out" + std::to_string(i));
  return EvaluateNode(node, inputs, TestRegistry(), kCpuProvider, pool);
}

// Runs op `op_type` (ai.onnx, given opset) on inputs; an undefined Tensor marks an omitted input.
inline std::vector<Value> RunOp(const std::string& op_type, const std::vector<Tensor>& inputs, size_t num_outputs,
                                std::map<std::string, Attribute> attrs = {}, int64_t opset = 17,
                                ThreadPool* pool = nullptr) {
  std::vector<Value> values;
  for (const auto& t : inputs) values.push_back(t.defined() ? Value(t) : Value());
  return RunOpValues(op_type, values, num_outputs, std::move(attrs), opset, pool);
}

inline Attribute IntAttr(int64_t v) { Attribute a; a.type = Attribute::Type::Int; a.i = v; return a; }
inline Attribute FloatAttr(float v) { Attribute a; a.type = Attribute::Type::Float; a.f = v; return a; }
inline Attribute StringAttr(std::string v) { Attribute a; a.type = Attribute::Type::String; a.s = std::move(v); return a; }
inline Attribute IntsAttr(std::vector<int64_t> v) { Attribute a; a.type = Attribute::Type::Ints; a.ints = std::move(v); return a; }
inline Attribute FloatsAttr(std::vector<float> v) { Attribute a; a.type = Attribute::Type::Floats; a.floats = std::move(v); return a; }

template <typename T>
Tensor MakeTensor(DataType dt, std::vector<int64_t> shape, std::vector<T> values) {
  Tensor t(dt, std::move(shape));
  EXPECT_EQ(static_cast<int64_t>(values.size()), t.size());
  for (int64_t i = 0; i < t.size() && i < static_cast<int64_t>(values.size()); ++i) t.data<T>()[i] = values[i];
  return t;
}
inline Tensor FloatTensor(std::vector<int64_t> shape, std::vector<float> v) { return MakeTensor<float>(DataType::Float, std::move(shape), std::move(v)); }
inline Tensor Int64Tensor(std::vector<int64_t> shape, std::vector<int64_t> v) { return MakeTensor<int64_t>(DataType::Int64, std::move(shape), std::move(v)); }

template <typename T>
std::vector<T> ToVector(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.size());
}

}  // namespace onyx::testing
