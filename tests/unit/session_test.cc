#include <gtest/gtest.h>

#include <thread>

#include "model_builder.h"
#include "onyx/onyx.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

// y = Relu(x + b), z = Neg(x); x: float [N, 3]
std::string AddReluModel() {
  Tensor b(DataType::Float, {3});
  b.data<float>()[0] = 0.5f;
  b.data<float>()[1] = -1.f;
  b.data<float>()[2] = 2.f;
  GraphBuilder g;
  g.Name("main").Input("x", DataType::Float, {std::string("N"), int64_t(3)}).Initializer("b", b);
  g.Output("y", DataType::Float).Output("z", DataType::Float);
  g.Node("Add", {"x", "b"}, {"s"}, {}, "add").Node("Relu", {"s"}, {"y"}, {}, "relu").Node("Neg", {"x"}, {"z"}, {}, "neg");
  return BuildModel(g);
}

Session MakeSession(const std::string& bytes, int threads = 1) {
  SessionOptions o;
  o.intra_op_num_threads = threads;
  return Session(bytes.data(), bytes.size(), o);
}

ErrorCode RunError(const Session& s, const std::vector<std::pair<std::string, Tensor>>& feeds,
                   const std::vector<std::string>& outs = {}, std::string* msg = nullptr) {
  try {
    s.Run(feeds, outs);
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.code();
  }
  return ErrorCode::RuntimeException;
}

}  // namespace

TEST(Session, RunsAndInfersOutputShapes) {
  Session s = MakeSession(AddReluModel());
  ASSERT_EQ(s.inputs().size(), 1u);  // the initializer b is not an input
  EXPECT_EQ(s.inputs()[0].name, "x");
  ASSERT_EQ(s.outputs().size(), 2u);
  ASSERT_TRUE(s.outputs()[0].has_shape);
  EXPECT_EQ(s.outputs()[0].shape[0].symbol, "N");
  EXPECT_EQ(s.outputs()[0].shape[1].value, 3);
  float x[6] = {-1, 0, 1, 2, 3, -4};
  auto out = s.Run({{"x", Tensor::Borrow(DataType::Float, {2, 3}, x)}});
  ASSERT_EQ(out.size(), 2u);
  const float want_y[6] = {0, 0, 3, 2.5f, 2, 0};
  for (int i = 0; i < 6; ++i) {
    EXPECT_FLOAT_EQ(out[0].data<float>()[i], want_y[i]);
    EXPECT_FLOAT_EQ(out[1].data<float>()[i], -x[i]);
  }
}

TEST(Session, OutputSubsetAndOrder) {
  Session s = MakeSession(AddReluModel());
  float x[3] = {1, 2, 3};
  auto out = s.Run({{"x", Tensor::Borrow(DataType::Float, {1, 3}, x)}}, {"z"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].data<float>()[2], -3.f);
  std::string msg;
  EXPECT_EQ(RunError(s, {{"x", Tensor::Borrow(DataType::Float, {1, 3}, x)}}, {"nope"}, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("nope"), std::string::npos);
}

TEST(Session, FeedValidation) {
  Session s = MakeSession(AddReluModel());
  std::string msg;
  EXPECT_EQ(RunError(s, {}, {}, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("'x'"), std::string::npos) << msg;
  EXPECT_EQ(RunError(s, {{"w", Tensor(DataType::Float, {1, 3})}}, {}, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("w"), std::string::npos);
  EXPECT_EQ(RunError(s, {{"x", Tensor(DataType::Double, {1, 3})}}, {}, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("double"), std::string::npos);
  EXPECT_EQ(RunError(s, {{"x", Tensor(DataType::Float, {3})}}, {}, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("rank"), std::string::npos);
  EXPECT_EQ(RunError(s, {{"x", Tensor(DataType::Float, {1, 4})}}, {}, &msg), ErrorCode::InvalidArgument);
  EXPECT_NE(msg.find("Got: 4 Expected: 3"), std::string::npos) << msg;
}

TEST(Session, ZeroSizedBatch) {
  Session s = MakeSession(AddReluModel());
  auto out = s.Run({{"x", Tensor(DataType::Float, {0, 3})}});
  EXPECT_EQ(out[0].shape(), (std::vector<int64_t>{0, 3}));
}

TEST(Session, MissingKernelAndUnknownOp) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(1)}).Output("y", DataType::Float).Node("NoSuchOperator", {"x"}, {"y"}, {}, "n1");
  std::string bytes = BuildModel(g);
  try {
    MakeSession(bytes);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidGraph);
    EXPECT_NE(std::string(e.what()).find("NoSuchOperator"), std::string::npos);
  }
  GraphBuilder c;
  c.Input("x", DataType::Float, {int64_t(1)}).Output("y", DataType::Float).Node("Foo", {"x"}, {"y"}, {}, "n1", "com.example");
  bytes = BuildModel(c, 17, {}, {}, {{"com.example", 1}});
  try {
    MakeSession(bytes);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotImplemented);
    EXPECT_NE(std::string(e.what()).find("com.example"), std::string::npos);
  }
}

TEST(Session, KernelErrorsNameTheNode) {
  GraphBuilder g;
  g.Input("a", DataType::Float, {std::string("A")}).Input("b", DataType::Float, {std::string("B")}).Output("y", DataType::Float);
  g.Node("Add", {"a", "b"}, {"y"}, {}, "the_add");
  std::string bytes = BuildModel(g);
  Session s = MakeSession(bytes);
  std::string msg;
  ErrorCode code = RunError(s, {{"a", Tensor(DataType::Float, {2})}, {"b", Tensor(DataType::Float, {3})}}, {}, &msg);
  EXPECT_NE(code, ErrorCode::RuntimeException);
  EXPECT_NE(msg.find("the_add"), std::string::npos) << msg;
}

TEST(Session, ConstantFoldingKeepsResults) {
  // y = x * (c1 + c2): c1 + c2 folds into one initializer at level 99, not at level 0.
  Tensor c1(DataType::Float, {1}), c2(DataType::Float, {1});
  c1.data<float>()[0] = 1.5f;
  c2.data<float>()[0] = 2.0f;
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2)}).Initializer("c1", c1).Initializer("c2", c2).Output("y", DataType::Float);
  g.Node("Add", {"c1", "c2"}, {"c"}).Node("Mul", {"x", "c"}, {"y"});
  std::string bytes = BuildModel(g);
  for (auto level : {GraphOptimizationLevel::DisableAll, GraphOptimizationLevel::EnableAll}) {
    SessionOptions o;
    o.graph_optimization_level = level;
    Session s(bytes.data(), bytes.size(), o);
    float x[2] = {1, -2};
    auto out = s.Run({{"x", Tensor::Borrow(DataType::Float, {2}, x)}});
    EXPECT_FLOAT_EQ(out[0].data<float>()[0], 3.5f);
    EXPECT_FLOAT_EQ(out[0].data<float>()[1], -7.f);
  }
}

TEST(Session, ConcurrentRunsMatchSequential) {
  Session s = MakeSession(AddReluModel(), 2);
  constexpr int kThreads = 8, kRuns = 50;
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRuns; ++r) {
        Tensor x(DataType::Float, {4, 3});
        for (int i = 0; i < 12; ++i) x.data<float>()[i] = static_cast<float>((t * 31 + r * 7 + i) % 11) - 5.f;
        auto out = s.Run({{"x", x}});
        for (int i = 0; i < 12; ++i) {
          float v = x.data<float>()[i];
          float b = (i % 3 == 0) ? 0.5f : (i % 3 == 1 ? -1.f : 2.f);
          if (out[0].data<float>()[i] != std::max(v + b, 0.f) || out[1].data<float>()[i] != -v) ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Session, InvalidProvidersAndThreads) {
  std::string bytes = AddReluModel();
  SessionOptions o;
  o.providers = {"NoSuchExecutionProvider"};
  EXPECT_THROW(Session(bytes.data(), bytes.size(), o), Error);
  SessionOptions t;
  t.intra_op_num_threads = -1;
  EXPECT_THROW(Session(bytes.data(), bytes.size(), t), Error);
  EXPECT_EQ(AvailableProviders().back(), "CPUExecutionProvider");
}

TEST(Session, IfWithOuterScopeValues) {
  GraphBuilder then_g, else_g;
  then_g.Name("then").Output("t_out", DataType::Float).Node("Identity", {"x"}, {"t_out"});
  else_g.Name("else").Output("e_out", DataType::Float).Node("Neg", {"x"}, {"e_out"});
  GraphBuilder g;
  g.Input("cond", DataType::Bool, {}).Input("x", DataType::Float, {int64_t(2)}).Output("y", DataType::Float);
  g.Node("If", {"cond"}, {"y"}, {GraphAttribute("then_branch", then_g.proto()), GraphAttribute("else_branch", else_g.proto())});
  std::string bytes = BuildModel(g);
  Session s = MakeSession(bytes);
  float x[2] = {1, -2};
  for (bool c : {true, false}) {
    Tensor cond(DataType::Bool, {});
    cond.data<uint8_t>()[0] = c;
    auto out = s.Run({{"cond", cond}, {"x", Tensor::Borrow(DataType::Float, {2}, x)}});
    EXPECT_FLOAT_EQ(out[0].data<float>()[1], c ? -2.f : 2.f);
  }
}
