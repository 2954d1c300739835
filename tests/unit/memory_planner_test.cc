#include <gtest/gtest.h>

#include <random>

#include "model_builder.h"
#include "onyx/onyx.h"
#include "session/memory_planner.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

size_t Aligned(size_t n) { return (n + 63) / 64 * 64; }

void ExpectNoOverlap(const MemoryPlan& plan) {
  for (size_t i = 0; i < plan.buffers.size(); ++i) {
    const auto& a = plan.buffers[i];
    EXPECT_EQ(a.offset % 64, 0u);
    EXPECT_LE(a.offset + Aligned(a.bytes), plan.peak_bytes);
    for (size_t j = i + 1; j < plan.buffers.size(); ++j) {
      const auto& b = plan.buffers[j];
      const bool together = a.first_step <= b.last_step && b.first_step <= a.last_step;
      const bool share = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      EXPECT_FALSE(together && share) << "buffers " << i << " and " << j << " are alive together at overlapping offsets";
    }
  }
}

// A chain of n Relu nodes over a float [rows, 16] tensor (rows symbolic when 0).
std::string ReluChain(int n, int64_t rows) {
  GraphBuilder g;
  std::vector<DimSpec> shape = {rows > 0 ? DimSpec(rows) : DimSpec(std::string("N")), int64_t(16)};
  g.Name("chain").Input("v0", DataType::Float, shape);
  for (int i = 0; i < n; ++i) g.Node("Relu", {"v" + std::to_string(i)}, {"v" + std::to_string(i + 1)}, {}, "relu" + std::to_string(i));
  g.Output("v" + std::to_string(n), DataType::Float);
  return BuildModel(g);
}

}  // namespace

TEST(MemoryPlanner, ChainReusesTwoBlocks) {
  MemoryPlan plan;
  for (int i = 0; i < 5; ++i) plan.buffers.push_back({i, 100, i, i + 1, 0});
  AssignOffsets(plan);
  ExpectNoOverlap(plan);
  EXPECT_EQ(plan.total_bytes, 5 * Aligned(100));
  EXPECT_EQ(plan.peak_bytes, 2 * Aligned(100));  // a value and its successor, never more
  EXPECT_EQ(plan.live_lower_bound, 2 * Aligned(100));
}

TEST(MemoryPlanner, RandomLifetimesNeverOverlapAndBeatNoReuse) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    MemoryPlan plan;
    const int steps = 40;
    for (int i = 0; i < 60; ++i) {
      const int first = static_cast<int>(rng() % steps);
      const int last = first + static_cast<int>(rng() % 8);
      plan.buffers.push_back({i, 1 + rng() % 5000, first, last, 0});
    }
    AssignOffsets(plan);
    ExpectNoOverlap(plan);
    EXPECT_LE(plan.peak_bytes, plan.total_bytes);
    EXPECT_GE(plan.peak_bytes, plan.live_lower_bound);
  }
}

TEST(MemoryPlanner, SessionPlansStaticIntermediates) {
  const std::string bytes = ReluChain(5, 8);
  SessionOptions o;
  o.graph_optimization_level = GraphOptimizationLevel::DisableAll;
  Session s(bytes.data(), bytes.size(), o);
  const MemoryPlanSummary mp = s.memory_plan();
  EXPECT_EQ(mp.planned_values, 4u);  // v1..v4; v5 is the graph output
  EXPECT_EQ(mp.unplanned_values, 0u);
  EXPECT_EQ(mp.intermediate_bytes, 4u * 8 * 16 * 4);
  EXPECT_EQ(mp.planned_peak_bytes, 2u * 8 * 16 * 4);
  EXPECT_EQ(mp.live_peak_bytes, mp.planned_peak_bytes);
  // Planning changes nothing a run computes.
  std::vector<float> x(8 * 16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) - 60.f;
  auto out = s.Run({{"v0", Tensor::Borrow(DataType::Float, {8, 16}, x.data())}});
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(out[0].data<float>()[i], std::max(x[i], 0.f));
}

TEST(MemoryPlanner, SymbolicShapesAreLeftToTheRun) {
  const std::string bytes = ReluChain(3, 0);
  SessionOptions o;
  o.graph_optimization_level = GraphOptimizationLevel::DisableAll;
  Session s(bytes.data(), bytes.size(), o);
  const MemoryPlanSummary mp = s.memory_plan();
  EXPECT_EQ(mp.planned_values, 0u);
  EXPECT_EQ(mp.unplanned_values, 2u);
  EXPECT_EQ(mp.planned_peak_bytes, 0u);
}

// a = Relu(x); r = Reshape(a) is a view of a's block that outlives a; c = Neg(x) is planned
// into a's bytes (a is dead by then). The run must notice the view and give c other memory.
TEST(MemoryPlanner, ArenaBlocksStillViewedAreNotReused) {
  Tensor shape(DataType::Int64, {1});
  shape.data<int64_t>()[0] = 16;
  GraphBuilder g;
  g.Name("views").Input("x", DataType::Float, {int64_t(4), int64_t(4)}).Initializer("flat", shape);
  g.Output("y", DataType::Float);
  g.Node("Relu", {"x"}, {"a"}, {}, "relu").Node("Reshape", {"a", "flat"}, {"r"}, {}, "reshape_a");
  g.Node("Neg", {"x"}, {"c"}, {}, "neg").Node("Reshape", {"c", "flat"}, {"d"}, {}, "reshape_c");
  g.Node("Add", {"r", "d"}, {"y"}, {}, "add");
  const std::string bytes = BuildModel(g);
  std::vector<float> x(16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) - 8.f;
  for (bool mem_pattern : {true, false}) {
    SessionOptions o;
    o.graph_optimization_level = GraphOptimizationLevel::DisableAll;
    o.enable_mem_pattern = mem_pattern;
    Session s(bytes.data(), bytes.size(), o);
    EXPECT_LT(s.memory_plan().planned_peak_bytes, s.memory_plan().intermediate_bytes);
    for (int run = 0; run < 2; ++run) {
      auto out = s.Run({{"x", Tensor::Borrow(DataType::Float, {4, 4}, x.data())}});
      ASSERT_EQ(out[0].shape(), std::vector<int64_t>{16});
      for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(out[0].data<float>()[i], std::max(x[i], 0.f) - x[i]) << i << " mem_pattern " << mem_pattern;
    }
  }
}

// A graph output that views a planned block keeps the block alive after its run ends.
TEST(MemoryPlanner, OutputsViewingTheArenaOutliveTheRun) {
  Tensor shape(DataType::Int64, {1});
  shape.data<int64_t>()[0] = 16;
  GraphBuilder g;
  g.Name("escape").Input("x", DataType::Float, {int64_t(4), int64_t(4)}).Initializer("flat", shape);
  g.Output("y", DataType::Float);
  g.Node("Neg", {"x"}, {"a"}, {}, "neg").Node("Reshape", {"a", "flat"}, {"y"}, {}, "reshape");
  const std::string bytes = BuildModel(g);
  Session s(bytes.data(), bytes.size());
  std::vector<float> x(16, 3.f), x2(16, 5.f);
  auto first = s.Run({{"x", Tensor::Borrow(DataType::Float, {4, 4}, x.data())}});
  auto second = s.Run({{"x", Tensor::Borrow(DataType::Float, {4, 4}, x2.data())}});
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(first[0].data<float>()[i], -3.f);
    EXPECT_EQ(second[0].data<float>()[i], -5.f);
  }
}
