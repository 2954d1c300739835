#pragma once
// Shared by the optimizer pass tests: sessions of one model at two optimization levels, op
// counts of the optimized graph, and output comparison on the same feeds.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "model_builder.h"
#include "onyx/session.h"
#include "provider_test_util.h"

namespace onyx::testing {

using Feeds = std::vector<std::pair<std::string, Tensor>>;

// A 1-D int64 tensor (shapes, axes, pads, ...).
inline Tensor Int64s(const std::vector<int64_t>& v) {
  Tensor t(DataType::Int64, {static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
  return t;
}

inline Tensor FloatScalar(float v) {
  Tensor t(DataType::Float, {});
  t.data<float>()[0] = v;
  return t;
}

inline int CountOps(const Session& s, const std::string& op) {
  int n = 0;
  for (const auto& p : s.placement()) n += p.op_type == op;
  return n;
}

inline Session SessionAt(const std::string& model, GraphOptimizationLevel level, const std::string& save_to = "") {
  SessionOptions o;
  o.graph_optimization_level = level;
  o.optimized_model_filepath = save_to;
  return Session(model.data(), model.size(), o);
}

// The model unoptimized (the reference) and at `level`.
struct SessionPair {
  Session reference;
  Session optimized;
  explicit SessionPair(const std::string& model, GraphOptimizationLevel level = GraphOptimizationLevel::EnableAll)
      : reference(SessionAt(model, GraphOptimizationLevel::DisableAll)), optimized(SessionAt(model, level)) {}
};

// Every output of the optimized session equals the reference's within tol (absolute, plus tol
// relative to the magnitude), with the same shape and type.
inline void ExpectSameOutputs(const SessionPair& s, const Feeds& feeds, double tol = 1e-5) {
  const std::vector<Tensor> want = s.reference.Run(feeds);
  const std::vector<Tensor> got = s.optimized.Run(feeds);
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_EQ(got[k].dtype(), want[k].dtype()) << "output " << k;
    ASSERT_EQ(got[k].shape(), want[k].shape()) << "output " << k;
    for (int64_t i = 0; i < got[k].size(); ++i) {
      const double a = ElementAsDouble(got[k], i), b = ElementAsDouble(want[k], i);
      if (a == b || (std::isnan(a) && std::isnan(b))) continue;  // also equal infinities
      EXPECT_NEAR(a, b, tol * (1 + std::abs(b))) << "output " << k << " element " << i;
    }
  }
}

}  // namespace onyx::testing
