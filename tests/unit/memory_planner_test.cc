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

// In place (PlannedBuffer::reuses): a buffer born where its donor dies takes the donor's offset,
// and the pair is one block for everything else.
TEST(MemoryPlanner, InPlaceBufferTakesItsDonorsBlock) {
  MemoryPlan plan;
  plan.buffers.push_back({0, 100, 0, 2, 0});      // z: dies at step 2
  plan.buffers.push_back({1, 100, 1, 3, 0});      // another value alive across it
  plan.buffers.push_back({2, 100, 2, 4, 0, 0});   // y = f(..., z) at step 2, in z's block
  plan.buffers.push_back({3, 80, 4, 6, 0, 2});    // and w in y's: a chain of three
  plan.buffers.push_back({4, 100, 5, 6, 0});
  AssignOffsets(plan);
  const auto& b = plan.buffers;
  EXPECT_EQ(b[2].offset, b[0].offset);
  EXPECT_EQ(b[3].offset, b[0].offset);
  // The chain is alive over steps 0..6: nothing else alive then shares its bytes.
  for (int other : {1, 4}) {
    const bool share = b[other].offset < b[0].offset + 100 && b[0].offset < b[other].offset + 100;
    EXPECT_FALSE(share) << "buffer " << other << " overlaps the in-place chain";
  }
  EXPECT_EQ(plan.peak_bytes, 2 * Aligned(100));  // the chain, and buffers 1 and 4 (never alive together)
  EXPECT_EQ(plan.total_bytes, 4 * Aligned(100) + Aligned(80));
  EXPECT_EQ(plan.live_lower_bound, 2 * Aligned(100));
}

TEST(MemoryPlanner, InPlaceLinksThatBreakTheRulesAreRefused) {
  auto plan_of = [](std::vector<PlannedBuffer> buffers) {
    MemoryPlan p;
    p.buffers = std::move(buffers);
    return p;
  };
  // Born before the donor dies; larger than the donor; a donor taken twice; itself; out of range.
  std::vector<MemoryPlan> bad = {
      plan_of({{0, 100, 0, 2, 0}, {1, 100, 1, 3, 0, 0}}),
      plan_of({{0, 100, 0, 2, 0}, {1, 200, 2, 3, 0, 0}}),
      plan_of({{0, 100, 0, 2, 0}, {1, 100, 2, 3, 0, 0}, {2, 100, 2, 3, 0, 0}}),
      plan_of({{0, 100, 0, 2, 0, 0}}),
      plan_of({{0, 100, 0, 2, 0, 5}}),
  };
  for (auto& p : bad) EXPECT_THROW(AssignOffsets(p), Error);
}

namespace {

std::vector<float> RandomValues(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

Tensor RandomTensorOf(DataType dt, const std::vector<int64_t>& shape, uint32_t seed) {
  Tensor t(dt, shape);
  const std::vector<float> v = RandomValues(static_cast<size_t>(t.size()), seed);
  for (int64_t i = 0; i < t.size(); ++i) {
    if (dt == DataType::Double) t.data<double>()[i] = v[i];
    else t.data<float>()[i] = v[i];
  }
  return t;
}

// z = Neg(x); y1 = FusedConv(x, W, B, z) with Relu; y = Neg(y1) [and, when z_read_later,
// y2 = Neg(z) after the conv]. z dies at the conv unless read later, so y1 may take its block.
std::string ResidualModel(DataType dt, int64_t channels, int64_t h, int64_t w, int64_t kernel, int64_t group,
                          bool z_read_later, bool symbolic_batch) {
  GraphBuilder g;
  const DimSpec batch = symbolic_batch ? DimSpec(std::string("N")) : DimSpec(int64_t(1));
  g.Name("residual").Input("x", dt, {batch, channels, h, w}).Output("y", dt);
  g.Initializer("W", RandomTensorOf(dt, {channels, channels / group, kernel, kernel}, 21));
  g.Initializer("B", RandomTensorOf(dt, {channels}, 22));
  const int64_t pad = kernel / 2;
  ProtoWriter act;
  act.Bytes(1, "activation").Varint(20, 3).Bytes(4, "Relu");
  std::vector<AttrSpec> attrs = {IntsAttribute("pads", {pad, pad, pad, pad}), IntAttribute("group", group), {"activation", act}};
  g.Node("Neg", {"x"}, {"z"}, {}, "neg_x");
  g.Node("FusedConv", {"x", "W", "B", "z"}, {"y1"}, attrs, "conv", "com.microsoft");
  g.Node("Neg", {"y1"}, {"y"}, {}, "neg_y");
  if (z_read_later) {
    g.Output("y2", dt);
    g.Node("Neg", {"z"}, {"y2"}, {}, "neg_z");
  }
  return BuildModel(g, 17, {}, {}, {{"com.microsoft", 1}});
}

}  // namespace

// A FusedConv whose addend dies at it writes its output into the addend's block (the plan holds
// one block for both) and computes what it computes with separate buffers (mem pattern off),
// on each convolution path: pointwise over two depth blocks, 3x3 from packed patches,
// depthwise, double; and not when the addend is read later. With a symbolic batch nothing is
// planned, and the output takes over the addend's heap block at run time.
TEST(MemoryPlanner, FusedConvWritesIntoItsDeadAddend) {
  struct Case {
    const char* what;
    DataType dt;
    int64_t channels, h, w, kernel, group;
    bool z_read_later, symbolic_batch;
  };
  const Case cases[] = {
      {"pointwise K=300", DataType::Float, 300, 5, 7, 1, 1, false, false},
      {"3x3", DataType::Float, 20, 9, 11, 3, 1, false, false},
      {"depthwise", DataType::Float, 8, 6, 6, 3, 8, false, false},
      {"grouped", DataType::Float, 12, 5, 5, 3, 3, false, false},
      {"double", DataType::Double, 10, 4, 6, 1, 1, false, false},
      {"z read later", DataType::Float, 16, 5, 5, 1, 1, true, false},
      {"symbolic pointwise K=300", DataType::Float, 300, 5, 7, 1, 1, false, true},
      {"symbolic 3x3", DataType::Float, 20, 9, 11, 3, 1, false, true},
      {"symbolic depthwise", DataType::Float, 8, 6, 6, 3, 8, false, true},
      {"symbolic double", DataType::Double, 10, 4, 6, 1, 1, false, true},
      {"symbolic z read later", DataType::Float, 16, 5, 5, 1, 1, true, true},
  };
  for (const Case& c : cases) {
    const std::string bytes = ResidualModel(c.dt, c.channels, c.h, c.w, c.kernel, c.group, c.z_read_later, c.symbolic_batch);
    const size_t value_bytes = static_cast<size_t>(c.channels * c.h * c.w) * DataTypeSize(c.dt);
    const Tensor x = RandomTensorOf(c.dt, {1, c.channels, c.h, c.w}, 23);
    std::vector<std::vector<Tensor>> results;
    for (bool mem_pattern : {true, false}) {
      SessionOptions o;
      o.graph_optimization_level = GraphOptimizationLevel::DisableAll;
      o.enable_mem_pattern = mem_pattern;
      Session s(bytes.data(), bytes.size(), o);
      if (mem_pattern)
        EXPECT_EQ(s.memory_plan().planned_peak_bytes,
                  c.symbolic_batch ? 0 : (c.z_read_later ? 2 : 1) * Aligned(value_bytes)) << c.what;
      // Twice: the second run reuses the arena's blocks.
      for (int run = 0; run < 2; ++run) results.push_back(s.Run({{"x", x}}));
    }
    for (size_t r = 1; r < results.size(); ++r)
      for (size_t o = 0; o < results[0].size(); ++o) {
        const Tensor& want = results.back()[o];
        const Tensor& got = results[r - 1][o];
        ASSERT_EQ(got.shape(), want.shape());
        for (int64_t i = 0; i < want.size(); ++i) {
          const double g = c.dt == DataType::Double ? got.data<double>()[i] : got.data<float>()[i];
          const double w = c.dt == DataType::Double ? want.data<double>()[i] : want.data<float>()[i];
          ASSERT_NEAR(g, w, 1e-5 * (1 + std::fabs(w))) << c.what << " output " << o << " element " << i;
        }
      }
  }
}
