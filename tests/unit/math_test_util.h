#pragma once
// Helpers for the math kernel tests: typed tensor builders and a plain reference broadcast.
#include <cmath>
#include <random>

#include "core/float16.h"
#include "kernel_test_util.h"

namespace onyx::testing {

inline Tensor Int32Tensor(std::vector<int64_t> shape, std::vector<int32_t> v) {
  return MakeTensor<int32_t>(DataType::Int32, std::move(shape), std::move(v));
}
inline Tensor DoubleTensor(std::vector<int64_t> shape, std::vector<double> v) {
  return MakeTensor<double>(DataType::Double, std::move(shape), std::move(v));
}
inline Tensor BoolTensor(std::vector<int64_t> shape, std::vector<bool> v) {
  Tensor t(DataType::Bool, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data<bool>()[i] = v[static_cast<size_t>(i)];
  return t;
}
inline Tensor StringTensor(std::vector<int64_t> shape, std::vector<std::string> v) {
  return MakeTensor<std::string>(DataType::String, std::move(shape), std::move(v));
}
inline std::vector<bool> ToBools(const Tensor& t) {
  std::vector<bool> v;
  for (int64_t i = 0; i < t.size(); ++i) v.push_back(t.data<bool>()[i]);
  return v;
}
inline Tensor RandomFloats(std::vector<int64_t> shape, uint32_t seed, float lo = -3.f, float hi = 3.f) {
  Tensor t(DataType::Float, std::move(shape));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = dist(gen);
  return t;
}

// Flat index into `shape` of the element that output index `out_index` (of out_shape) reads
// under numpy broadcasting.
inline int64_t BroadcastSource(int64_t out_index, const std::vector<int64_t>& out_shape, const std::vector<int64_t>& shape) {
  int64_t src = 0, stride = 1;
  for (size_t k = 0; k < out_shape.size(); ++k) {
    size_t o = out_shape.size() - 1 - k;
    int64_t coord = out_index % out_shape[o];
    out_index /= out_shape[o];
    if (k < shape.size()) {
      size_t i = shape.size() - 1 - k;
      if (shape[i] != 1) src += coord * stride;
      stride *= shape[i];
    }
  }
  return src;
}

inline void ExpectFloatsNear(const std::vector<float>& got, const std::vector<float>& want, float tol,
                             const std::string& what = "") {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << what << " at " << i;
    } else if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << what << " at " << i;
    } else {
      EXPECT_NEAR(got[i], want[i], tol * (1.f + std::abs(want[i]))) << what << " at " << i;
    }
  }
}

}  // namespace onyx::testing
