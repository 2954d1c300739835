#include <cmath>
#include <climits>
#include <limits>

#include "math_test_util.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

Tensor Run1(const std::string& op, const std::vector<Tensor>& in, std::map<std::string, Attribute> attrs = {},
            int64_t opset = 17, ThreadPool* pool = nullptr) {
  auto out = RunOp(op, in, 1, std::move(attrs), opset, pool);
  return out[0].tensor();
}

}  // namespace

TEST(MathBinary, AddSameShapeAndScalar) {
  Tensor y = Run1("Add", {FloatTensor({2, 2}, {1, 2, 3, 4}), FloatTensor({2, 2}, {10, 20, 30, 40})});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{11, 22, 33, 44}));
  y = Run1("Add", {FloatTensor({}, {5}), FloatTensor({3}, {1, 2, 3})});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{6, 7, 8}));
  y = Run1("Sub", {FloatTensor({3}, {1, 2, 3}), FloatTensor({1}, {1})});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 1, 2}));
}

TEST(MathBinary, BroadcastShapes) {
  Tensor y = Run1("Mul", {FloatTensor({2, 1}, {1, 2}), FloatTensor({1, 3}, {1, 10, 100})});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{1, 10, 100, 2, 20, 200}));
  y = Run1("Add", {FloatTensor({2, 3}, {0, 1, 2, 3, 4, 5}), FloatTensor({3}, {10, 20, 30})});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{10, 21, 32, 13, 24, 35}));
  EXPECT_THROW(Run1("Add", {FloatTensor({2, 3}, {0, 1, 2, 3, 4, 5}), FloatTensor({2}, {1, 2})}), Error);
  // Zero-sized output.
  y = Run1("Add", {FloatTensor({0, 3}, {}), FloatTensor({3}, {1, 2, 3})});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{0, 3}));
}

TEST(MathBinary, RandomBroadcastMatchesReference) {
  ThreadPool pool(4);
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{4, 5, 6}, {4, 5, 6}}, {{4, 1, 6}, {5, 1}},   {{2, 3, 1, 7}, {3, 5, 1}}, {{1}, {3, 4}},
      {{6, 1, 1}, {1, 5, 7}}, {{2, 1, 3, 1}, {4, 1, 5}}, {{3, 200, 300}, {300}},  {{3, 1, 70000}, {2, 1}},
      {{2, 70000}, {2, 70000}}};
  uint32_t seed = 1;
  for (const auto& [sa, sb] : cases) {
    Tensor a = RandomFloats(sa, seed++), b = RandomFloats(sb, seed++);
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
      Tensor y = Run1("Sub", {a, b}, {}, 17, p);
      std::vector<float> want(static_cast<size_t>(y.size()));
      for (int64_t i = 0; i < y.size(); ++i)
        want[i] = a.data<float>()[BroadcastSource(i, y.shape(), sa)] - b.data<float>()[BroadcastSource(i, y.shape(), sb)];
      EXPECT_EQ(ToVector<float>(y), want) << ShapeToString(sa) << " - " << ShapeToString(sb);
    }
  }
}

TEST(MathBinary, IntegerDivisionTruncatesAndRejectsZero) {
  Tensor y = Run1("Div", {Int32Tensor({4}, {7, -7, 7, INT32_MIN}), Int32Tensor({4}, {2, 2, -2, -1})});
  EXPECT_EQ(ToVector<int32_t>(y), (std::vector<int32_t>{3, -3, -3, INT32_MIN}));
  try {
    Run1("Div", {Int32Tensor({2}, {1, 2}), Int32Tensor({2}, {1, 0})});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Run1("Mod", {Int64Tensor({1}, {1}), Int64Tensor({1}, {0})}), Error);
  // Float division by zero is IEEE.
  y = Run1("Div", {FloatTensor({2}, {1, -1}), FloatTensor({2}, {0, 0})});
  EXPECT_EQ(ToVector<float>(y)[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(ToVector<float>(y)[1], -std::numeric_limits<float>::infinity());
}

TEST(MathBinary, IntegerArithmeticWraps) {
  Tensor y = Run1("Add", {Int32Tensor({1}, {INT32_MAX}), Int32Tensor({1}, {1})});
  EXPECT_EQ(ToVector<int32_t>(y)[0], INT32_MIN);
  Tensor a = MakeTensor<uint8_t>(DataType::UInt8, {2}, {250, 3});
  Tensor b = MakeTensor<uint8_t>(DataType::UInt8, {2}, {10, 4});
  y = Run1("Mul", {a, b});
  EXPECT_EQ(ToVector<uint8_t>(y), (std::vector<uint8_t>{196, 12}));
}

TEST(MathBinary, Float16AndTypeMismatch) {
  Tensor a(DataType::Float16, {3}), b(DataType::Float16, {3});
  for (int i = 0; i < 3; ++i) {
    a.data<uint16_t>()[i] = FloatToHalf(1.5f * i);
    b.data<uint16_t>()[i] = FloatToHalf(0.25f);
  }
  Tensor y = Run1("Mul", {a, b});
  EXPECT_EQ(y.dtype(), DataType::Float16);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(HalfToFloat(y.data<uint16_t>()[i]), 0.375f * i);
  EXPECT_THROW(Run1("Add", {FloatTensor({1}, {1}), Int64Tensor({1}, {1})}), Error);
  EXPECT_THROW(Run1("Add", {StringTensor({1}, {"a"}), StringTensor({1}, {"b"})}), Error);
}

TEST(MathBinary, Pow) {
  Tensor y = Run1("Pow", {FloatTensor({3}, {2, 3, 4}), FloatTensor({}, {2})});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{4, 9, 16}));
  y = Run1("Pow", {FloatTensor({3}, {4, 9, 2}), FloatTensor({}, {0.5f})});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{2, 3, std::sqrt(2.f)}));
  y = Run1("Pow", {FloatTensor({2}, {2, 3}), FloatTensor({2}, {3, -1})});
  ExpectFloatsNear(ToVector<float>(y), {8, 1.f / 3}, 1e-6f);
  // Mixed types: float base, int64 exponent; int base, float exponent; int base, int exponent.
  y = Run1("Pow", {FloatTensor({2}, {2, 3}), Int64Tensor({2}, {10, 2})});
  EXPECT_EQ(y.dtype(), DataType::Float);
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{1024, 9}));
  y = Run1("Pow", {Int64Tensor({3}, {2, 3, -2}), FloatTensor({3}, {3, 0.5f, 3})});
  EXPECT_EQ(y.dtype(), DataType::Int64);
  EXPECT_EQ(ToVector<int64_t>(y), (std::vector<int64_t>{8, 1, -8}));
  y = Run1("Pow", {Int32Tensor({4}, {2, -3, 5, 2}), Int32Tensor({4}, {10, 3, 0, -1})});
  EXPECT_EQ(ToVector<int32_t>(y), (std::vector<int32_t>{1024, -27, 1, 0}));
}

TEST(MathBinary, Mod) {
  Tensor y = Run1("Mod", {Int32Tensor({4}, {-7, 7, -7, 7}), Int32Tensor({4}, {3, -3, -3, 3})});
  EXPECT_EQ(ToVector<int32_t>(y), (std::vector<int32_t>{2, -2, -1, 1}));
  y = Run1("Mod", {Int32Tensor({4}, {-7, 7, -7, INT32_MIN}), Int32Tensor({4}, {3, -3, -3, -1})}, {{"fmod", IntAttr(1)}});
  EXPECT_EQ(ToVector<int32_t>(y), (std::vector<int32_t>{-1, 1, -1, 0}));
  y = Run1("Mod", {FloatTensor({2}, {-7.5f, 7.5f}), FloatTensor({2}, {2, 2})}, {{"fmod", IntAttr(1)}});
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{-1.5f, 1.5f}));
  // Floor remainder of a float: a zero result takes the divisor's sign (numpy's np.mod).
  y = Run1("Mod", {FloatTensor({4}, {0.f, -0.f, 4.f, -4.f}), FloatTensor({4}, {-2, 2, -2, 2})});
  const std::vector<float> r = ToVector<float>(y);
  EXPECT_TRUE(std::signbit(r[0]) && !std::signbit(r[1]) && std::signbit(r[2]) && !std::signbit(r[3]));
}

TEST(MathBinary, Comparisons) {
  Tensor a = FloatTensor({3}, {1, 2, 3});
  Tensor b = FloatTensor({1}, {2});
  EXPECT_EQ(ToBools(Run1("Equal", {a, b})), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(ToBools(Run1("Less", {a, b})), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(ToBools(Run1("Greater", {a, b})), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(ToBools(Run1("LessOrEqual", {a, b})), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(ToBools(Run1("GreaterOrEqual", {a, b})), (std::vector<bool>{false, true, true}));
  Tensor y = Run1("Equal", {StringTensor({2}, {"a", "b"}), StringTensor({}, {"b"})});
  EXPECT_EQ(y.dtype(), DataType::Bool);
  EXPECT_EQ(ToBools(y), (std::vector<bool>{false, true}));
  EXPECT_EQ(ToBools(Run1("Equal", {Int64Tensor({2}, {1, 2}), Int64Tensor({2}, {1, 3})})), (std::vector<bool>{true, false}));
}

TEST(MathBinary, LogicalAndBitwise) {
  Tensor a = BoolTensor({4}, {false, false, true, true});
  Tensor b = BoolTensor({4}, {false, true, false, true});
  EXPECT_EQ(ToBools(Run1("And", {a, b})), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(ToBools(Run1("Or", {a, b})), (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(ToBools(Run1("Xor", {a, b})), (std::vector<bool>{false, true, true, false}));
  Tensor x = MakeTensor<uint8_t>(DataType::UInt8, {4}, {1, 16, 255, 3});
  Tensor s = MakeTensor<uint8_t>(DataType::UInt8, {4}, {2, 1, 9, 1});
  EXPECT_EQ(ToVector<uint8_t>(Run1("BitShift", {x, s}, {{"direction", StringAttr("LEFT")}})),
            (std::vector<uint8_t>{4, 32, 0, 6}));
  EXPECT_EQ(ToVector<uint8_t>(Run1("BitShift", {x, s}, {{"direction", StringAttr("RIGHT")}})),
            (std::vector<uint8_t>{0, 8, 0, 1}));
  EXPECT_THROW(Run1("BitShift", {x, s}), Error);  // direction is required
  Tensor i = Int32Tensor({2}, {0b1100, -1});
  Tensor j = Int32Tensor({2}, {0b1010, 5});
  EXPECT_EQ(ToVector<int32_t>(Run1("BitwiseAnd", {i, j}, {}, 18)), (std::vector<int32_t>{0b1000, 5}));
  EXPECT_EQ(ToVector<int32_t>(Run1("BitwiseOr", {i, j}, {}, 18)), (std::vector<int32_t>{0b1110, -1}));
  EXPECT_EQ(ToVector<int32_t>(Run1("BitwiseXor", {i, j}, {}, 18)), (std::vector<int32_t>{0b0110, -6}));
  EXPECT_EQ(ToVector<int32_t>(Run1("BitwiseNot", {i}, {}, 18)), (std::vector<int32_t>{~0b1100, 0}));
}

TEST(MathBinary, LegacyAxisBroadcast) {
  // Opset 6: B of shape [3] aligned with axis 1 of A [2,3,2].
  Tensor a = FloatTensor({2, 3, 2}, {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1});
  Tensor b = FloatTensor({3}, {10, 20, 30});
  Tensor y = Run1("Add", {a, b}, {{"broadcast", IntAttr(1)}, {"axis", IntAttr(1)}}, 6);
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{10, 10, 20, 20, 30, 30, 11, 11, 21, 21, 31, 31}));
}

TEST(MathVariadic, MaxMinSumMean) {
  Tensor a = FloatTensor({3}, {1, 5, 3});
  Tensor b = FloatTensor({2, 1}, {2, 4});
  Tensor c = FloatTensor({}, {3});
  Tensor y = Run1("Max", {a, b, c});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{3, 5, 3, 4, 5, 4}));
  EXPECT_EQ(ToVector<float>(Run1("Min", {a, b, c})), (std::vector<float>{1, 2, 2, 1, 3, 3}));
  EXPECT_EQ(ToVector<float>(Run1("Sum", {a, b, c})), (std::vector<float>{6, 10, 8, 8, 12, 10}));
  ExpectFloatsNear(ToVector<float>(Run1("Mean", {a, b, c})), {2, 10.f / 3, 8.f / 3, 8.f / 3, 4, 10.f / 3}, 1e-6f);
  EXPECT_EQ(ToVector<float>(Run1("Sum", {a})), (std::vector<float>{1, 5, 3}));
  // NaN propagates.
  y = Run1("Max", {FloatTensor({2}, {NAN, 1}), FloatTensor({2}, {1, NAN})});
  EXPECT_TRUE(std::isnan(ToVector<float>(y)[0]));
  EXPECT_TRUE(std::isnan(ToVector<float>(y)[1]));
  EXPECT_EQ(ToVector<int64_t>(Run1("Max", {Int64Tensor({2}, {-5, 7}), Int64Tensor({2}, {3, 2})})),
            (std::vector<int64_t>{3, 7}));
}

TEST(MathVariadic, Where) {
  Tensor c = BoolTensor({2, 1}, {true, false});
  Tensor x = FloatTensor({3}, {1, 2, 3});
  Tensor y = FloatTensor({}, {-1});
  Tensor z = Run1("Where", {c, x, y});
  EXPECT_EQ(z.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ToVector<float>(z), (std::vector<float>{1, 2, 3, -1, -1, -1}));
  Tensor s = Run1("Where", {BoolTensor({3}, {true, false, true}), StringTensor({3}, {"a", "b", "c"}),
                            StringTensor({1}, {"z"})});
  EXPECT_EQ(ToVector<std::string>(s), (std::vector<std::string>{"a", "z", "c"}));
  EXPECT_THROW(Run1("Where", {FloatTensor({1}, {1}), x, y}), Error);
  // Large same-shape case over a pool.
  ThreadPool pool(3);
  Tensor big_c(DataType::Bool, {100000});
  for (int64_t i = 0; i < big_c.size(); ++i) big_c.data<bool>()[i] = i % 3 == 0;
  Tensor bx = RandomFloats({100000}, 5), by = RandomFloats({100000}, 6);
  Tensor bz = Run1("Where", {big_c, bx, by}, {}, 17, &pool);
  for (int64_t i = 0; i < bz.size(); ++i)
    ASSERT_EQ(bz.data<float>()[i], i % 3 == 0 ? bx.data<float>()[i] : by.data<float>()[i]);
}

TEST(MathVariadic, PRelu) {
  Tensor x = FloatTensor({2, 2}, {-1, 2, -3, 4});
  Tensor s = FloatTensor({2}, {0.1f, 0.2f});
  ExpectFloatsNear(ToVector<float>(Run1("PRelu", {x, s})), {-0.1f, 2, -0.3f, 4}, 1e-7f);
  EXPECT_THROW(Run1("PRelu", {FloatTensor({2}, {1, 2}), FloatTensor({2, 2}, {1, 2, 3, 4})}), Error);
}

TEST(MathVariadic, WhereOtherTypes) {
  Tensor c = BoolTensor({5}, {true, false, true, false, true});
  Tensor d = Run1("Where", {c, DoubleTensor({5}, {1, 2, 3, 4, 5}), DoubleTensor({1}, {-1})});
  EXPECT_EQ(ToVector<double>(d), (std::vector<double>{1, -1, 3, -1, 5}));
  Tensor b = Run1("Where", {c, BoolTensor({1}, {true}), BoolTensor({5}, {false, false, false, true, false})});
  EXPECT_EQ(ToBools(b), (std::vector<bool>{true, false, true, true, true}));
  Tensor i8 = Run1("Where", {c, MakeTensor<int8_t>(DataType::Int8, {5}, {1, 2, 3, 4, 5}), MakeTensor<int8_t>(DataType::Int8, {}, {-9})});
  EXPECT_EQ(ToVector<int8_t>(i8), (std::vector<int8_t>{1, -9, 3, -9, 5}));
}

TEST(MathRegistry, EveryMathOpIsRegistered) {
  const char* ops[] = {"Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "Equal", "Less", "Greater",
                       "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "BitShift", "BitwiseAnd", "BitwiseOr",
                       "BitwiseXor", "BitwiseNot", "Where", "Abs", "Neg", "Sqrt", "Reciprocal", "Exp", "Log", "Erf",
                       "Tanh", "Sigmoid", "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "ThresholdedRelu", "HardSigmoid",
                       "HardSwish", "Softplus", "Softsign", "Mish", "Gelu", "Clip", "Ceil", "Floor", "Round", "Sign",
                       "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Not",
                       "IsNaN", "IsInf", "PRelu", "Cast", "CastLike", "MatMul", "Gemm", "Softmax", "LogSoftmax",
                       "Hardmax", "Einsum"};
  for (const char* op : ops) {
    const KernelDef* d = TestRegistry().Find(kCpuProvider, "", op, 21);
    ASSERT_NE(d, nullptr) << op;
    EXPECT_FALSE(d->types.empty()) << op;
  }
}
