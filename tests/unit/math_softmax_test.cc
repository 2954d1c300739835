#include "math_test_util.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

// Softmax along [outer, len, inner] in double.
std::vector<float> RefSoftmax(const Tensor& x, int64_t outer, int64_t len, int64_t inner, bool log) {
  std::vector<float> out(static_cast<size_t>(x.size()));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double mx = -INFINITY, sum = 0;
      for (int64_t j = 0; j < len; ++j) mx = std::max<double>(mx, x.data<float>()[(o * len + j) * inner + i]);
      for (int64_t j = 0; j < len; ++j) sum += std::exp(x.data<float>()[(o * len + j) * inner + i] - mx);
      for (int64_t j = 0; j < len; ++j) {
        const int64_t k = (o * len + j) * inner + i;
        const double v = x.data<float>()[k] - mx;
        out[k] = static_cast<float>(log ? v - std::log(sum) : std::exp(v) / sum);
      }
    }
  return out;
}

}  // namespace

TEST(MathSoftmax, AxisSemanticsByOpset) {
  Tensor x = RandomFloats({2, 3, 4}, 21, -5, 5);
  auto run = [&](const std::string& op, int64_t opset, std::map<std::string, Attribute> attrs = {}) {
    return ToVector<float>(RunOp(op, {x}, 1, std::move(attrs), opset)[0].tensor());
  };
  // Opset 11, default axis 1: rows of 12.
  ExpectFloatsNear(run("Softmax", 11), RefSoftmax(x, 2, 12, 1, false), 1e-6f, "softmax-11");
  // Opset 11, axis 2: rows of 4.
  ExpectFloatsNear(run("Softmax", 11, {{"axis", IntAttr(2)}}), RefSoftmax(x, 6, 4, 1, false), 1e-6f);
  // Opset 13, default -1.
  ExpectFloatsNear(run("Softmax", 13), RefSoftmax(x, 6, 4, 1, false), 1e-6f, "softmax-13");
  // Opset 13, axis 1: along dim 1 only (inner 4).
  ExpectFloatsNear(run("Softmax", 13, {{"axis", IntAttr(1)}}), RefSoftmax(x, 2, 3, 4, false), 1e-6f, "softmax-13 axis 1");
  ExpectFloatsNear(run("LogSoftmax", 13, {{"axis", IntAttr(1)}}), RefSoftmax(x, 2, 3, 4, true), 1e-6f);
  ExpectFloatsNear(run("LogSoftmax", 11), RefSoftmax(x, 2, 12, 1, true), 1e-6f);
  ExpectFloatsNear(run("LogSoftmax", 13, {{"axis", IntAttr(-1)}}), RefSoftmax(x, 6, 4, 1, true), 1e-6f);
  EXPECT_THROW(run("Softmax", 13, {{"axis", IntAttr(3)}}), Error);
}

TEST(MathSoftmax, StableForLargeInputs) {
  Tensor x = FloatTensor({2, 3}, {1000, 1001, 1002, -1000, -INFINITY, -1000});
  std::vector<float> y = ToVector<float>(RunOp("Softmax", {x}, 1, {}, 13)[0].tensor());
  ExpectFloatsNear(y, {0.09003057f, 0.24472847f, 0.66524096f, 0.5f, 0.f, 0.5f}, 1e-6f);
  std::vector<float> l = ToVector<float>(RunOp("LogSoftmax", {x}, 1, {}, 13)[0].tensor());
  EXPECT_NEAR(l[2], std::log(0.66524096f), 1e-5f);
  EXPECT_TRUE(std::isinf(l[4]));
  Tensor d = RunOp("Softmax", {DoubleTensor({2}, {1000, 1000})}, 1, {}, 13)[0].tensor();
  EXPECT_EQ(ToVector<double>(d), (std::vector<double>{0.5, 0.5}));
}

TEST(MathSoftmax, Hardmax) {
  Tensor x = FloatTensor({2, 3}, {1, 3, 3, -1, -2, -3});
  EXPECT_EQ(ToVector<float>(RunOp("Hardmax", {x}, 1, {}, 13)[0].tensor()), (std::vector<float>{0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(ToVector<float>(RunOp("Hardmax", {x}, 1, {{"axis", IntAttr(0)}}, 13)[0].tensor()),
            (std::vector<float>{1, 1, 1, 0, 0, 0}));
  // Opset 11 axis 0: one row of all six.
  EXPECT_EQ(ToVector<float>(RunOp("Hardmax", {x}, 1, {{"axis", IntAttr(0)}}, 11)[0].tensor()),
            (std::vector<float>{0, 1, 0, 0, 0, 0}));
}

TEST(MathSoftmax, LargeOverPool) {
  ThreadPool pool(4);
  Tensor x = RandomFloats({8, 12, 64, 64}, 5, -10, 10);
  std::vector<float> y = ToVector<float>(RunOp("Softmax", {x}, 1, {}, 13, &pool)[0].tensor());
  ExpectFloatsNear(y, RefSoftmax(x, 8 * 12 * 64, 64, 1, false), 1e-5f);
}
