// Loss and optimizer kernel tests with hand-computed expectations.
#include <cmath>

#include "core/node_evaluator.h"
#include "kernel_test_util.h"
#include "onyx/error.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

std::vector<Value> RunTraining(const std::string& op, const std::vector<Tensor>& inputs, size_t num_outputs,
                               std::map<std::string, Attribute> attrs) {
  Node node;
  node.op_type = op;
  node.domain = "ai.onnx.preview.training";
  node.name = "test_" + op;
  node.opset = 1;
  node.attributes = std::move(attrs);
  std::vector<Value> values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    node.inputs.push_back("in" + std::to_string(i));
    values.emplace_back(inputs[i]);
  }
  for (size_t i = 0; i < num_outputs; ++i) node.outputs.push_back("out" + std::to_string(i));
  return EvaluateNode(node, values, TestRegistry(), kCpuProvider, nullptr);
}

Tensor Scalar(float v) { return FloatTensor({}, {v}); }
Tensor Step(int64_t v) { return Int64Tensor({}, {v}); }

}  // namespace

TEST(TrainingNllLoss, Reductions) {
  Tensor x = FloatTensor({2, 3}, {-1, -2, -3, -4, -5, -6});
  Tensor t = Int64Tensor({2}, {0, 2});
  ExpectNear(ToVector<float>(RunOp("NegativeLogLikelihoodLoss", {x, t}, 1, {}, 22)[0].tensor()), {3.5f});
  ExpectNear(ToVector<float>(RunOp("NegativeLogLikelihoodLoss", {x, t}, 1, {{"reduction", StringAttr("sum")}}, 13)[0].tensor()), {7});
  auto none = RunOp("NegativeLogLikelihoodLoss", {x, t}, 1, {{"reduction", StringAttr("none")}}, 13)[0].tensor();
  EXPECT_EQ(none.shape(), (std::vector<int64_t>{2}));
  ExpectNear(ToVector<float>(none), {1, 6});
  Tensor w = FloatTensor({3}, {1, 0, 2});
  ExpectNear(ToVector<float>(RunOp("NegativeLogLikelihoodLoss", {x, t, w}, 1, {}, 13)[0].tensor()), {13.0f / 3});
  ExpectNear(ToVector<float>(RunOp("NegativeLogLikelihoodLoss", {x, t}, 1, {{"ignore_index", IntAttr(2)}}, 13)[0].tensor()), {1});
}

TEST(TrainingNllLoss, NegativeIgnoreIndexAndSpatialDims) {
  // (N=1, C=2, d=2): targets [1, -1] with ignore_index -1.
  Tensor x = FloatTensor({1, 2, 2}, {-1, -2, -3, -4});
  Tensor t = Int64Tensor({1, 2}, {1, -1});
  auto none = RunOp("NegativeLogLikelihoodLoss", {x, t}, 1, {{"reduction", StringAttr("none")}, {"ignore_index", IntAttr(-1)}}, 13);
  ExpectNear(ToVector<float>(none[0].tensor()), {3, 0});
  EXPECT_THROW(RunOp("NegativeLogLikelihoodLoss", {x, t}, 1, {}, 13), onyx::Error);  // -1 is out of range
  EXPECT_THROW(RunOp("NegativeLogLikelihoodLoss", {x, Int64Tensor({2}, {0, 1})}, 1, {}, 13), onyx::Error);
}

TEST(TrainingSoftmaxCrossEntropy, LossAndLogProb) {
  Tensor x = FloatTensor({1, 2}, {0, 0});
  Tensor t = Int64Tensor({1}, {1});
  auto out = RunOp("SoftmaxCrossEntropyLoss", {x, t}, 2, {}, 13);
  const float l2 = std::log(2.0f);
  ExpectNear(ToVector<float>(out[0].tensor()), {l2});
  ExpectNear(ToVector<float>(out[1].tensor()), {-l2, -l2});
  // Weighted mean over two samples.
  Tensor x2 = FloatTensor({2, 2}, {0, 0, 0, std::log(3.0f)});
  Tensor t2 = Int64Tensor({2}, {0, 1});
  Tensor w = FloatTensor({2}, {1, 3});
  auto wm = RunOp("SoftmaxCrossEntropyLoss", {x2, t2, w}, 1, {}, 12);
  ExpectNear(ToVector<float>(wm[0].tensor()), {(l2 + 3 * std::log(4.0f / 3)) / 4});
}

TEST(TrainingOptimizers, AdagradAdamMomentum) {
  auto ad = RunTraining("Adagrad", {Scalar(0.1f), Step(0), FloatTensor({1}, {1}), FloatTensor({1}, {1}), FloatTensor({1}, {0})}, 2,
                        {{"epsilon", FloatAttr(0)}});
  ExpectNear(ToVector<float>(ad[0].tensor()), {0.9f});
  ExpectNear(ToVector<float>(ad[1].tensor()), {1});
  auto adam = RunTraining("Adam", {Scalar(0.1f), Step(1), FloatTensor({1}, {1}), FloatTensor({1}, {1}), FloatTensor({1}, {0}),
                                   FloatTensor({1}, {0})}, 3, {{"epsilon", FloatAttr(0)}});
  ExpectNear(ToVector<float>(adam[0].tensor()), {0.9f});
  ExpectNear(ToVector<float>(adam[1].tensor()), {0.1f});
  ExpectNear(ToVector<float>(adam[2].tensor()), {0.001f});
  std::map<std::string, Attribute> m = {{"alpha", FloatAttr(0.5f)}, {"beta", FloatAttr(0.1f)}, {"norm_coefficient", FloatAttr(0)},
                                        {"mode", StringAttr("standard")}};
  // Two tensors; step 1 uses beta: v = 0.5*2 + 0.1*10 = 2, x = 1 - 0.1*2.
  auto mo = RunTraining("Momentum", {Scalar(0.1f), Step(1), FloatTensor({1}, {1}), FloatTensor({1}, {5}), FloatTensor({1}, {10}),
                                     FloatTensor({1}, {10}), FloatTensor({1}, {2}), FloatTensor({1}, {0})}, 4, m);
  ExpectNear(ToVector<float>(mo[0].tensor()), {0.8f});
  ExpectNear(ToVector<float>(mo[1].tensor()), {4.9f});
  ExpectNear(ToVector<float>(mo[2].tensor()), {2});
  ExpectNear(ToVector<float>(mo[3].tensor()), {1});
  m["mode"] = StringAttr("nesterov");
  // Step 0: v = 0.5*2 + 10 = 11, x = 1 - 0.1*(10 + 0.5*11).
  auto ne = RunTraining("Momentum", {Scalar(0.1f), Step(0), FloatTensor({1}, {1}), FloatTensor({1}, {10}), FloatTensor({1}, {2})}, 2, m);
  ExpectNear(ToVector<float>(ne[0].tensor()), {1 - 0.1f * 15.5f});
  ExpectNear(ToVector<float>(ne[1].tensor()), {11});
  // Mismatched state shape and a missing group are errors.
  EXPECT_THROW(RunTraining("Adagrad", {Scalar(0.1f), Step(0), FloatTensor({1}, {1}), FloatTensor({2}, {1, 1}), FloatTensor({1}, {0})}, 2, {}),
               onyx::Error);
  EXPECT_THROW(RunTraining("Adagrad", {Scalar(0.1f), Step(0), FloatTensor({1}, {1}), FloatTensor({1}, {1})}, 2, {}), onyx::Error);
}
