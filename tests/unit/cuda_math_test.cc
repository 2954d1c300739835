// CUDA math kernels (elementwise, activations, Cast, Softmax, LayerNormalization) against the
// CPU provider. Skipped without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "provider_test_util.h"

namespace onyx::testing {
namespace {

constexpr double kRtol32 = 1e-4, kAtol32 = 1e-5;
constexpr double kRtol16 = 2e-3, kAtol16 = 2e-3;

double Rtol(DataType t) { return t == DataType::Float16 ? kRtol16 : kRtol32; }
double Atol(DataType t) { return t == DataType::Float16 ? kAtol16 : kAtol32; }

void Check(const OpTest& t, DataType dt) { ExpectMatchesCpuOnCuda(t, Rtol(dt), Atol(dt)); }

// Floats holding small integers (so that Equal and friends see ties).
Tensor IntegralTensor(DataType dt, std::vector<int64_t> shape, uint32_t seed, int lo, int hi) {
  Tensor f = RandomTensor(DataType::Float, shape, seed, lo, hi + 1);
  Tensor t(dt, shape);
  for (int64_t i = 0; i < f.size(); ++i) {
    const float v = std::floor(f.data<float>()[i]);
    if (dt == DataType::Float) t.data<float>()[i] = v;
    else t.data<uint16_t>()[i] = FloatToHalf(v);
  }
  return t;
}

// The node must not be claimed by CUDA (with fallback disabled the session refuses it), and
// must still run on the CPU.
void ExpectNotClaimed(const OpTest& t) {
  EXPECT_THROW(RunOpTest(t, {"CUDAExecutionProvider"}), Error) << t.op;
  EXPECT_NO_THROW(RunOpTest(t, {}));
}

const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>>& BroadcastCases() {
  static const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{3, 5, 7}, {3, 5, 7}},            // same shape
      {{}, {3, 5, 7}},                   // scalar first
      {{3, 5, 7}, {1}},                  // scalar second
      {{4, 6, 33}, {33}},                // trailing vector (bias add)
      {{5, 1}, {5, 7}},                  // column
      {{2, 1, 1, 9}, {2, 3, 9, 9}},      // attention mask
      {{3, 1, 4}, {1, 5, 1}},            // both broadcast
      {{517, 33}, {517, 33}},            // odd size above one block
      {{1, 1}, {1}},                     // single element
      {{0, 3}, {3}},                     // empty
  };
  return cases;
}

// ---- binary ---------------------------------------------------------------------------------

TEST(CudaMath, ArithmeticBroadcastFloat) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Float, DataType::Float16})
    for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
      uint32_t seed = 1;
      for (const auto& [sa, sb] : BroadcastCases()) {
        SCOPED_TRACE(std::string(op) + " " + ShapeToString(sa) + " " + ShapeToString(sb));
        Tensor b = std::string(op) == "Div" ? RandomTensor(dt, sb, seed + 100, 0.5, 2.0) : RandomTensor(dt, sb, seed + 100);
        Check(Op(op, {{"a", RandomTensor(dt, sa, seed)}, {"b", b}}, {dt}, 14), dt);
        // And with the operands swapped, the broadcast one first.
        Tensor a2 = std::string(op) == "Div" ? RandomTensor(dt, sa, seed + 7, 0.5, 2.0) : RandomTensor(dt, sa, seed + 7);
        Check(Op(op, {{"a", RandomTensor(dt, sb, seed + 3)}, {"b", a2}}, {dt}, 13), dt);
        ++seed;
      }
    }
}

TEST(CudaMath, ArithmeticOpset7AndConstantOperand) {
  ONYX_REQUIRE_CUDA();
  Check(Op("Add", {{"a", RandomTensor(DataType::Float, {4, 8}, 1)}, {"b", RandomTensor(DataType::Float, {8}, 2), true}},
           {DataType::Float}, 7),
        DataType::Float);
  Check(Op("Mul", {{"a", RandomTensor(DataType::Float16, {4, 8}, 3)}, {"b", RandomTensor(DataType::Float16, {}, 4), true}},
           {DataType::Float16}, 12),
        DataType::Float16);
}

TEST(CudaMath, IntegerArithmetic) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Int32, DataType::Int64}) {
    for (const char* op : {"Add", "Sub", "Mul"})
      ExpectFedMatchesCpu(Op(op, {{"a", RandomTensor(dt, {3, 50}, 1, -100, 100)}, {"b", RandomTensor(dt, {50}, 2, -100, 100)}},
                             {dt}, 14));
    // Division truncates toward zero, with positive and negative divisors (never zero: the CPU
    // kernel rejects that).
    ExpectFedMatchesCpu(Op("Div", {{"a", RandomTensor(dt, {3, 50}, 3, -100, 100)}, {"b", RandomTensor(dt, {50}, 4, 1, 7)}},
                           {dt}, 14));
    ExpectFedMatchesCpu(Op("Div", {{"a", RandomTensor(dt, {3, 50}, 5, -100, 100)}, {"b", RandomTensor(dt, {3, 1}, 6, -7, -1)}},
                           {dt}, 14));
  }
}

TEST(CudaMath, Pow) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Float, DataType::Float16}) {
    Check(Op("Pow", {{"x", RandomTensor(dt, {6, 37}, 1, 0.1, 2.0)}, {"y", RandomTensor(dt, {6, 37}, 2, -2.0, 2.0)}}, {dt}, 15), dt);
    Check(Op("Pow", {{"x", RandomTensor(dt, {6, 37}, 3, -2.0, 2.0)}, {"y", IntegralTensor(dt, {37}, 4, 0, 3)}}, {dt}, 12), dt);
    Check(Op("Pow", {{"x", RandomTensor(dt, {0, 4}, 5)}, {"y", RandomTensor(dt, {4}, 6)}}, {dt}, 13), dt);
    Check(Op("Pow", {{"x", RandomTensor(dt, {9, 9}, 5, -2, 2)}, {"y", IntegralTensor(dt, {}, 6, 2, 2), true}}, {dt}, 7), dt);
  }
  // float16 base, float exponent.
  Tensor two(DataType::Float, {});
  two.data<float>()[0] = 2.0f;
  Check(Op("Pow", {{"x", RandomTensor(DataType::Float16, {5, 11}, 7)}, {"y", two, true}}, {DataType::Float16}, 15),
        DataType::Float16);
}

TEST(CudaMath, Comparisons) {
  ONYX_REQUIRE_CUDA();
  for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    for (DataType dt : {DataType::Float, DataType::Float16}) {
      uint32_t seed = 10;
      for (const auto& [sa, sb] : BroadcastCases()) {
        SCOPED_TRACE(std::string(op) + " " + ShapeToString(sa) + " " + ShapeToString(sb));
        Check(Op(op, {{"a", IntegralTensor(dt, sa, seed, -2, 2)}, {"b", IntegralTensor(dt, sb, seed + 1, -2, 2)}},
                 {DataType::Bool}, 13),
              DataType::Float);
        seed += 2;
      }
    }
    for (DataType dt : {DataType::Int32, DataType::Int64})
      ExpectMatchesCpuOnCuda(Op(op, {{"a", RandomTensor(dt, {4, 9}, 1, -3, 3)}, {"b", RandomTensor(dt, {9}, 2, -3, 3)}},
                                {DataType::Bool}, 13));
  }
  ExpectMatchesCpuOnCuda(Op("Equal", {{"a", RandomTensor(DataType::Bool, {4, 9}, 1)}, {"b", RandomTensor(DataType::Bool, {4, 1}, 2)}},
                            {DataType::Bool}, 13));
}

TEST(CudaMath, Logical) {
  ONYX_REQUIRE_CUDA();
  for (const char* op : {"And", "Or", "Xor"})
    ExpectMatchesCpuOnCuda(Op(op, {{"a", RandomTensor(DataType::Bool, {3, 1, 70}, 1)}, {"b", RandomTensor(DataType::Bool, {5, 70}, 2)}},
                              {DataType::Bool}, 13));
  ExpectMatchesCpuOnCuda(Op("Not", {{"x", RandomTensor(DataType::Bool, {301}, 3)}}, {DataType::Bool}, 13));
}

TEST(CudaMath, Where) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Float, DataType::Float16}) {
    Check(Op("Where", {{"c", RandomTensor(DataType::Bool, {2, 1, 9}, 1)}, {"x", RandomTensor(dt, {2, 3, 9}, 2)},
                       {"y", RandomTensor(dt, {9}, 3)}},
             {dt}, 16),
          dt);
    Check(Op("Where", {{"c", RandomTensor(DataType::Bool, {300}, 4)}, {"x", RandomTensor(dt, {300}, 5)},
                       {"y", RandomTensor(dt, {300}, 6)}},
             {dt}, 9),
          dt);
    Check(Op("Where", {{"c", RandomTensor(DataType::Bool, {2, 1, 1, 9}, 7)}, {"x", RandomTensor(dt, {}, 8)},
                       {"y", RandomTensor(dt, {2, 4, 9, 9}, 9)}},
             {dt}, 16),
          dt);
    Check(Op("Where", {{"c", RandomTensor(DataType::Bool, {0, 3}, 1)}, {"x", RandomTensor(dt, {3}, 2)}, {"y", RandomTensor(dt, {1}, 3)}},
             {dt}, 16),
          dt);
  }
  ExpectFedMatchesCpu(Op("Where", {{"c", RandomTensor(DataType::Bool, {4, 1}, 1)}, {"x", RandomTensor(DataType::Int64, {4, 6}, 2, -9, 9)},
                                   {"y", RandomTensor(DataType::Int64, {6}, 3, -9, 9)}},
                         {DataType::Int64}, 16));
}

TEST(CudaMath, Variadic) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Float, DataType::Float16})
    for (const char* op : {"Sum", "Mean", "Max", "Min"}) {
      SCOPED_TRACE(op);
      Check(Op(op, {{"a", RandomTensor(dt, {3, 1, 7}, 1)}, {"b", RandomTensor(dt, {5, 7}, 2)}, {"c", RandomTensor(dt, {3, 5, 1}, 3)}},
               {dt}, 13),
            dt);
      Check(Op(op, {{"a", RandomTensor(dt, {4, 300}, 4)}, {"b", RandomTensor(dt, {4, 300}, 5)}}, {dt}, 8), dt);
      Check(Op(op, {{"a", RandomTensor(dt, {4, 30}, 6)}}, {dt}, 13), dt);
      Check(Op(op, {{"a", RandomTensor(dt, {0, 30}, 6)}, {"b", RandomTensor(dt, {30}, 7)}}, {dt}, 13), dt);
    }
  ExpectFedMatchesCpu(Op("Max", {{"a", RandomTensor(DataType::Int32, {4, 30}, 6, -50, 50)},
                                 {"b", RandomTensor(DataType::Int32, {30}, 7, -50, 50)}},
                         {DataType::Int32}, 13));
}

TEST(CudaMath, PRelu) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Float, DataType::Float16}) {
    Check(Op("PRelu", {{"x", RandomTensor(dt, {2, 3, 4, 5}, 1)}, {"s", RandomTensor(dt, {3, 1, 1}, 2), true}}, {dt}, 16), dt);
    Check(Op("PRelu", {{"x", RandomTensor(dt, {2, 3, 4, 5}, 3)}, {"s", RandomTensor(dt, {5}, 4)}}, {dt}, 9), dt);
  }
}

// ---- unary ----------------------------------------------------------------------------------

struct UnaryCase {
  const char* op;
  double lo, hi;
  int64_t opset;
  std::vector<AttrSpec> attrs;
};

TEST(CudaMath, Unary) {
  ONYX_REQUIRE_CUDA();
  const std::vector<UnaryCase> cases = {
      {"Relu", -2, 2, 14, {}},          {"Relu", -2, 2, 6, {}},            {"Sigmoid", -8, 8, 13, {}},
      {"Tanh", -4, 4, 13, {}},          {"Erf", -3, 3, 13, {}},            {"Exp", -5, 5, 13, {}},
      {"Log", 0.01, 5, 13, {}},         {"Sqrt", 0, 5, 13, {}},            {"Neg", -2, 2, 13, {}},
      {"Abs", -2, 2, 13, {}},           {"Reciprocal", 0.5, 3, 13, {}},    {"Floor", -5, 5, 13, {}},
      {"Ceil", -5, 5, 13, {}},          {"Round", -5, 5, 11, {}},          {"Sign", -2, 2, 13, {}},
      {"Sin", -3, 3, 7, {}},            {"Cos", -3, 3, 7, {}},             {"Tan", -1.2, 1.2, 7, {}},
      {"Asin", -0.99, 0.99, 7, {}},     {"Acos", -0.99, 0.99, 7, {}},      {"Atan", -4, 4, 7, {}},
      {"Sinh", -3, 3, 9, {}},           {"Cosh", -3, 3, 9, {}},            {"Asinh", -4, 4, 9, {}},
      {"Acosh", 1.01, 5, 9, {}},        {"Atanh", -0.95, 0.95, 9, {}},     {"LeakyRelu", -2, 2, 16, {}},
      {"LeakyRelu", -2, 2, 6, {FloatAttribute("alpha", 0.2f)}},
      {"Elu", -3, 3, 6, {}},            {"Elu", -3, 3, 6, {FloatAttribute("alpha", 0.5f)}},
      {"Selu", -3, 3, 6, {}},           {"Selu", -3, 3, 6, {FloatAttribute("alpha", 1.5f), FloatAttribute("gamma", 2.0f)}},
      {"Celu", -3, 3, 12, {FloatAttribute("alpha", 2.0f)}},
      {"ThresholdedRelu", -2, 2, 10, {FloatAttribute("alpha", 0.3f)}},
      {"HardSigmoid", -5, 5, 6, {}},    {"HardSigmoid", -5, 5, 6, {FloatAttribute("alpha", 0.3f), FloatAttribute("beta", 0.4f)}},
      {"HardSwish", -5, 5, 14, {}},     {"Softplus", -20, 20, 1, {}},      {"Softsign", -5, 5, 1, {}},
      {"Mish", -5, 5, 18, {}},          {"Gelu", -4, 4, 20, {}},           {"Gelu", -4, 4, 20, {StringAttribute("approximate", "tanh")}},
      {"Gelu", -4, 4, 20, {StringAttribute("approximate", "none")}},
  };
  for (DataType dt : {DataType::Float, DataType::Float16})
    for (const UnaryCase& c : cases) {
      SCOPED_TRACE(std::string(c.op) + " opset " + std::to_string(c.opset));
      Check(Op(c.op, {{"x", RandomTensor(dt, {7, 131}, 5, c.lo, c.hi)}}, {dt}, c.opset, c.attrs), dt);
      Check(Op(c.op, {{"x", RandomTensor(dt, {0, 4}, 5, c.lo, c.hi)}}, {dt}, c.opset, c.attrs), dt);
    }
}

TEST(CudaMath, Clip) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Float, DataType::Float16}) {
    Tensor x = RandomTensor(dt, {5, 77}, 1, -2, 2);
    Tensor lo = RandomTensor(dt, {}, 2, -0.5, -0.5);
    Tensor hi = RandomTensor(dt, {}, 3, 0.75, 0.75);
    Check(Op("Clip", {{"x", x}}, {dt}, 6, {FloatAttribute("min", -0.5f), FloatAttribute("max", 0.5f)}), dt);
    Check(Op("Clip", {{"x", x}}, {dt}, 6, {FloatAttribute("max", 0.25f)}), dt);
    Check(Op("Clip", {{"x", x}}, {dt}, 6), dt);
    Check(Op("Clip", {{"x", x}, {"lo", lo, true}, {"hi", hi, true}}, {dt}, 13), dt);
    Check(Op("Clip", {{"x", x}, {"lo", lo, true}}, {dt}, 12), dt);
    Check(Op("Clip", {{"x", x}, {"", Tensor()}, {"hi", hi, true}}, {dt}, 11), dt);
    Check(Op("Clip", {{"x", x}}, {dt}, 13), dt);
    // Bounds computed at run time (graph inputs, copied to the host by the partitioner).
    Check(Op("Clip", {{"x", x}, {"lo", lo}, {"hi", hi}}, {dt}, 13), dt);
    Check(Op("Clip", {{"x", RandomTensor(dt, {0}, 1)}, {"lo", lo, true}}, {dt}, 13), dt);
  }
}

// ---- Cast, Identity, Dropout ----------------------------------------------------------------

TEST(CudaMath, CastFloatTypes) {
  ONYX_REQUIRE_CUDA();
  auto cast = [](const Tensor& x, DataType to, int64_t opset) {
    return Op("Cast", {{"x", x}}, {to}, opset, {IntAttribute("to", static_cast<int64_t>(to))});
  };
  ExpectMatchesCpuOnCuda(cast(RandomTensor(DataType::Float, {9, 41}, 1, -70000, 70000), DataType::Float16, 13), 0, 0);
  ExpectMatchesCpuOnCuda(cast(RandomTensor(DataType::Float, {9, 41}, 2, -1e-4, 1e-4), DataType::Float16, 19), 0, 0);
  ExpectMatchesCpuOnCuda(cast(RandomTensor(DataType::Float16, {9, 41}, 3, -100, 100), DataType::Float, 6), 0, 0);
  ExpectMatchesCpuOnCuda(cast(RandomTensor(DataType::Float, {9, 41}, 4), DataType::Double, 13), 0, 0);
  ExpectMatchesCpuOnCuda(cast(RandomTensor(DataType::Double, {9, 41}, 5), DataType::Float, 13), 0, 0);
  ExpectMatchesCpuOnCuda(cast(RandomTensor(DataType::Double, {9, 41}, 5), DataType::Float16, 13), 0, 0);
  ExpectMatchesCpuOnCuda(cast(IntegralTensor(DataType::Float, {9, 41}, 6, -1, 1), DataType::Bool, 13), 0, 0);
  ExpectMatchesCpuOnCuda(cast(IntegralTensor(DataType::Float16, {9, 41}, 6, -1, 1), DataType::Bool, 13), 0, 0);
  ExpectMatchesCpuOnCuda(cast(RandomTensor(DataType::Bool, {9, 41}, 7), DataType::Float, 13), 0, 0);
  ExpectMatchesCpuOnCuda(cast(RandomTensor(DataType::Bool, {9, 41}, 7), DataType::Float16, 21), 0, 0);
  ExpectMatchesCpuOnCuda(cast(RandomTensor(DataType::Float, {9, 41}, 8), DataType::Float, 13), 0, 0);
  ExpectMatchesCpuOnCuda(cast(RandomTensor(DataType::Float, {0, 41}, 8), DataType::Float16, 13), 0, 0);
  // NaN, infinities and signed zeros.
  Tensor special(DataType::Float, {6});
  const float values[6] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(), -0.0f, 65520.0f, 1e-8f};
  for (int i = 0; i < 6; ++i) special.data<float>()[i] = values[i];
  ExpectMatchesCpuOnCuda(cast(special, DataType::Float16, 13), 0, 0);
  ExpectMatchesCpuOnCuda(cast(special, DataType::Bool, 13), 0, 0);
  ExpectFedMatchesCpu(cast(special, DataType::Int32, 13), 0, 0);
  ExpectFedMatchesCpu(cast(special, DataType::Int64, 13), 0, 0);
}

TEST(CudaMath, CastIntegerTypes) {
  ONYX_REQUIRE_CUDA();
  auto cast = [](const Tensor& x, DataType to) {
    return Op("Cast", {{"x", x}}, {to}, 13, {IntAttribute("to", static_cast<int64_t>(to))});
  };
  // Float to integer truncates toward zero; out of range gives the lowest value.
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Float, {7, 45}, 1, -100, 100), DataType::Int32), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Float, {7, 45}, 2, -4e9, 4e9), DataType::Int32), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Float, {7, 45}, 3, -1e12, 1e12), DataType::Int64), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Float16, {7, 45}, 4, -100, 100), DataType::Int64), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Int32, {7, 45}, 5, -1000, 1000), DataType::Float), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Int64, {7, 45}, 6, -1000, 1000), DataType::Float16), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Int64, {7, 45}, 7, -1000, 1000), DataType::Int32), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Int32, {7, 45}, 8, -1000, 1000), DataType::Int64), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Int64, {7, 45}, 9, -2, 2), DataType::Bool), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Bool, {7, 45}, 10), DataType::Int64), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Float, {7, 45}, 11, -300, 300), DataType::Int8), 0, 0);
  ExpectFedMatchesCpu(cast(RandomTensor(DataType::Float, {7, 45}, 12, -300, 300), DataType::UInt8), 0, 0);
  ExpectFedMatchesCpu(Op("CastLike", {{"x", RandomTensor(DataType::Float, {7, 45}, 13, -100, 100)},
                                      {"like", RandomTensor(DataType::Int64, {1}, 14), true}},
                         {DataType::Int64}, 15),
                      0, 0);
  ExpectMatchesCpuOnCuda(Op("CastLike", {{"x", RandomTensor(DataType::Float, {7, 45}, 15)},
                                         {"like", RandomTensor(DataType::Float16, {1}, 16), true}},
                            {DataType::Float16}, 15),
                         0, 0);
}

TEST(CudaMath, IdentityAndDropout) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Float, DataType::Float16}) {
    ExpectMatchesCpuOnCuda(Op("Identity", {{"x", RandomTensor(dt, {3, 17}, 1)}}, {dt}, 16), 0, 0);
    ExpectMatchesCpuOnCuda(Op("Identity", {{"x", RandomTensor(dt, {0, 17}, 1)}}, {dt}, 13), 0, 0);
    ExpectMatchesCpuOnCuda(Op("Dropout", {{"x", RandomTensor(dt, {3, 17}, 2)}}, {dt}, 13), 0, 0);
    ExpectMatchesCpuOnCuda(Op("Dropout", {{"x", RandomTensor(dt, {3, 17}, 3)}}, {dt, DataType::Bool}, 13), 0, 0);
    ExpectMatchesCpuOnCuda(Op("Dropout", {{"x", RandomTensor(dt, {3, 17}, 4)}}, {dt, dt}, 7, {FloatAttribute("ratio", 0.3f)}), 0, 0);
    Tensor ratio(DataType::Float, {});
    ratio.data<float>()[0] = 0.25f;
    ExpectMatchesCpuOnCuda(Op("Dropout", {{"x", RandomTensor(dt, {3, 17}, 5)}, {"r", ratio, true}}, {dt, DataType::Bool}, 12), 0, 0);
  }
  ExpectMatchesCpuOnCuda(Op("Identity", {{"x", RandomTensor(DataType::Bool, {3, 17}, 1)}}, {DataType::Bool}, 16), 0, 0);
}

TEST(CudaMath, NotClaimed) {
  ONYX_REQUIRE_CUDA();
  Tensor training(DataType::Bool, {});
  training.data<bool>()[0] = false;
  Tensor ratio(DataType::Float, {});
  ratio.data<float>()[0] = 0.5f;
  ExpectNotClaimed(Op("Dropout", {{"x", RandomTensor(DataType::Float, {3, 4}, 1)}, {"r", ratio, true}, {"t", training, true}},
                      {DataType::Float}, 13));
  // Legacy broadcasting (opset 6) and an integer exponent stay on the CPU.
  ExpectNotClaimed(Op("Add", {{"a", RandomTensor(DataType::Float, {3, 4}, 1)}, {"b", RandomTensor(DataType::Float, {3, 4}, 2)}},
                      {DataType::Float}, 6));
  ExpectNotClaimed(Op("Pow", {{"a", RandomTensor(DataType::Float, {3, 4}, 1)}, {"b", RandomTensor(DataType::Int64, {1}, 2, 2, 2)}},
                      {DataType::Float}, 15));
  // A double stash for LayerNormalization's statistics.
  ExpectNotClaimed(Op("LayerNormalization", {{"x", RandomTensor(DataType::Float, {3, 4}, 1)}, {"s", RandomTensor(DataType::Float, {4}, 2)}},
                      {DataType::Float, DataType::Double}, 17, {IntAttribute("stash_type", 11)}));
}

// ---- Softmax, LayerNormalization ------------------------------------------------------------

TEST(CudaMath, SoftmaxAxes) {
  ONYX_REQUIRE_CUDA();
  for (const char* op : {"Softmax", "LogSoftmax"})
    for (DataType dt : {DataType::Float, DataType::Float16}) {
      SCOPED_TRACE(op);
      Tensor x = RandomTensor(dt, {3, 4, 5}, 1, -4, 4);
      for (int64_t axis : {-3, -2, -1, 0, 1, 2}) {
        Check(Op(op, {{"x", x}}, {dt}, 13, {IntAttribute("axis", axis)}), dt);
        Check(Op(op, {{"x", x}}, {dt}, 11, {IntAttribute("axis", axis)}), dt);
      }
      Check(Op(op, {{"x", x}}, {dt}, 13), dt);
      Check(Op(op, {{"x", x}}, {dt}, 11), dt);
      Check(Op(op, {{"x", x}}, {dt}, 1), dt);
    }
}

TEST(CudaMath, SoftmaxRowLengths) {
  ONYX_REQUIRE_CUDA();
  for (const char* op : {"Softmax", "LogSoftmax"})
    for (DataType dt : {DataType::Float, DataType::Float16})
      for (std::vector<int64_t> shape : std::vector<std::vector<int64_t>>{
               {7, 1}, {7, 33}, {5, 1024}, {5, 1025}, {3, 4000}, {2, 3, 9, 9}, {1030, 17}, {0, 5}, {5}}) {
        SCOPED_TRACE(std::string(op) + " " + ShapeToString(shape));
        Check(Op(op, {{"x", RandomTensor(dt, shape, 2, -10, 10)}}, {dt}, 13), dt);
      }
  // Large inputs must not overflow.
  Check(Op("Softmax", {{"x", RandomTensor(DataType::Float, {4, 50}, 3, 500, 1000)}}, {DataType::Float}, 13), DataType::Float);
}

TEST(CudaMath, LayerNormalization) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Float, DataType::Float16}) {
    const double rtol = dt == DataType::Float ? 1e-4 : 4e-3, atol = dt == DataType::Float ? 1e-4 : 4e-3;
    for (int64_t width : {768, 10, 1, 1500}) {
      SCOPED_TRACE(width);
      Check(Op("LayerNormalization",
               {{"x", RandomTensor(dt, {4, 7, width}, 1, -3, 3)}, {"s", RandomTensor(dt, {width}, 2), true},
                {"b", RandomTensor(dt, {width}, 3), true}},
               {dt}, 17),
            dt);
      ExpectMatchesCpuOnCuda(Op("LayerNormalization", {{"x", RandomTensor(dt, {5, width}, 4, -3, 3)}, {"s", RandomTensor(dt, {width}, 5)}},
                                {dt, DataType::Float, DataType::Float}, 17, {FloatAttribute("epsilon", 1e-3f)}),
                             rtol, atol);
    }
    // Normalizing over two dims, and a Scale that broadcasts over them.
    ExpectMatchesCpuOnCuda(Op("LayerNormalization",
                              {{"x", RandomTensor(dt, {2, 3, 40}, 6)}, {"s", RandomTensor(dt, {3, 40}, 7)}, {"b", RandomTensor(dt, {40}, 8)}},
                              {dt, DataType::Float}, 17, {IntAttribute("axis", 1)}),
                           rtol, atol);
    ExpectMatchesCpuOnCuda(Op("LayerNormalization", {{"x", RandomTensor(dt, {2, 3, 4}, 9)}, {"s", RandomTensor(dt, {1, 4}, 10)}},
                              {dt}, 17, {IntAttribute("axis", -2)}),
                           rtol, atol);
    ExpectMatchesCpuOnCuda(Op("LayerNormalization", {{"x", RandomTensor(dt, {0, 8}, 9)}, {"s", RandomTensor(dt, {8}, 10)}}, {dt}, 17),
                           rtol, atol);
  }
  // float16 input with float Scale and B.
  ExpectMatchesCpuOnCuda(Op("LayerNormalization",
                            {{"x", RandomTensor(DataType::Float16, {6, 64}, 11)}, {"s", RandomTensor(DataType::Float, {64}, 12)},
                             {"b", RandomTensor(DataType::Float, {64}, 13)}},
                            {DataType::Float16}, 17),
                         4e-3, 4e-3);
}

}  // namespace
}  // namespace onyx::testing
