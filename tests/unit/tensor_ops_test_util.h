#pragma once
// Small helpers for the tensor-family kernel tests (tensor_ops_*_test.cc).
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernel_test_util.h"

namespace onyx::testing {

inline Tensor Int32Tensor(std::vector<int64_t> shape, std::vector<int32_t> v) {
  return MakeTensor<int32_t>(DataType::Int32, std::move(shape), std::move(v));
}
inline Tensor BoolTensor(std::vector<int64_t> shape, std::vector<bool> v) {
  Tensor t(DataType::Bool, std::move(shape));
  for (size_t i = 0; i < v.size(); ++i) t.data<bool>()[i] = v[i];
  return t;
}
inline Tensor StringTensor(std::vector<int64_t> shape, std::vector<std::string> v) {
  return MakeTensor<std::string>(DataType::String, std::move(shape), std::move(v));
}
inline Tensor ScalarInt64(int64_t v) { return Int64Tensor({}, {v}); }
// 0, 1, 2, ... as float.
inline Tensor Iota(std::vector<int64_t> shape) {
  Tensor t(DataType::Float, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}
inline Attribute StringsAttr(std::vector<std::string> v) {
  Attribute a;
  a.type = Attribute::Type::Strings;
  a.strings = std::move(v);
  return a;
}
inline Attribute TensorAttr(Tensor t) {
  Attribute a;
  a.type = Attribute::Type::Tensor;
  a.t = std::move(t);
  return a;
}

// Runs a single-output op and returns its tensor.
inline Tensor Run1(const std::string& op, const std::vector<Tensor>& inputs, std::map<std::string, Attribute> attrs = {},
                   int64_t opset = 18, ThreadPool* pool = nullptr) {
  return RunOp(op, inputs, 1, std::move(attrs), opset, pool)[0].tensor();
}

// Expects fn to throw onyx::Error with `code` and a message containing `fragment`.
inline void ExpectError(const std::function<void()>& fn, ErrorCode code, const std::string& fragment) {
  try {
    fn();
    ADD_FAILURE() << "expected an error containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "message: " << e.what();
  }
}

}  // namespace onyx::testing
