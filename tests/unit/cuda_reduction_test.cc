// CUDA reductions (ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
// ReduceLogSum, ReduceLogSumExp, ReduceSumSquare) against the CPU provider, float and float16,
// over last / first / middle / split / all axes, keepdims 0 and 1, axes as attribute and as
// input, and empty reductions. Skipped without a GPU.
#include <gtest/gtest.h>

#include <string>

#include "provider_test_util.h"

namespace onyx::testing {
namespace {

const char* const kReduceOps[] = {"ReduceSum", "ReduceMean",      "ReduceMax",      "ReduceMin",     "ReduceProd",
                                  "ReduceL1",  "ReduceL2",        "ReduceLogSum",   "ReduceLogSumExp", "ReduceSumSquare"};

double Rtol(DataType dt, const std::string& op) {
  if (dt == DataType::Float16) return 4e-3;
  return op == "ReduceProd" ? 1e-3 : 2e-4;
}
double Atol(DataType dt) { return dt == DataType::Float16 ? 4e-3 : 1e-3; }

// Values where every op is finite: positive for the logs, near 1 for long products.
Tensor Data(const std::string& op, DataType dt, std::vector<int64_t> shape, uint32_t seed) {
  if (op == "ReduceLogSum") return RandomTensor(dt, std::move(shape), seed, 0.1, 2.0);
  if (op == "ReduceProd") return RandomTensor(dt, std::move(shape), seed, 0.9, 1.1);
  return RandomTensor(dt, std::move(shape), seed, -2.0, 2.0);
}

Tensor I64(const std::vector<int64_t>& v) {
  Tensor t(DataType::Int64, {static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
  return t;
}

// The opset from which the axes are an input.
int64_t InputAxesOpset(const std::string& op) { return op == "ReduceSum" ? 13 : 18; }

// Runs op over `axes` (absent: all) both with axes as attribute (opset 11) and as a constant
// input (the op's input-axes opset).
void CheckReduce(const std::string& op, DataType dt, const std::vector<int64_t>& shape, const std::vector<int64_t>* axes,
                 int64_t keepdims, uint32_t seed) {
  SCOPED_TRACE(op + " " + DataTypeName(dt) + " " + ShapeToString(shape) + " axes " + (axes ? ShapeToString(*axes) : "none") +
               " keepdims " + std::to_string(keepdims));
  {
    OpTest t;
    t.op = op;
    t.inputs = {{"x", Data(op, dt, shape, seed)}};
    t.attrs = {IntAttribute("keepdims", keepdims)};
    if (axes) t.attrs.push_back(IntsAttribute("axes", *axes));
    t.output_types = {dt};
    t.opset = 11;
    ExpectMatchesCpuOnCuda(t, Rtol(dt, op), Atol(dt));
  }
  {
    OpTest t;
    t.op = op;
    t.inputs = {{"x", Data(op, dt, shape, seed + 1)}};
    if (axes) t.inputs.push_back({"axes", I64(*axes), true});
    t.attrs = {IntAttribute("keepdims", keepdims)};
    t.output_types = {dt};
    t.opset = InputAxesOpset(op);
    ExpectMatchesCpuOnCuda(t, Rtol(dt, op), Atol(dt));
  }
}

TEST(CudaReductionTest, LastAxis) {
  ONYX_REQUIRE_CUDA();
  const std::vector<int64_t> last = {-1};
  for (const char* op : kReduceOps)
    for (DataType dt : {DataType::Float, DataType::Float16}) {
      CheckReduce(op, dt, {4, 768}, &last, 1, 1);      // a warp per output
      CheckReduce(op, dt, {3, 5000}, &last, 0, 2);     // a block per output
      CheckReduce(op, dt, {300, 1500}, &last, 1, 3);   // many long rows
      CheckReduce(op, dt, {7, 3, 1}, &last, 0, 4);     // size-1 reduced dim
    }
}

TEST(CudaReductionTest, FirstMiddleAndSplitAxes) {
  ONYX_REQUIRE_CUDA();
  const std::vector<int64_t> first = {0}, middle = {1}, split = {0, 2}, split_neg = {-1, 1};
  for (const char* op : kReduceOps)
    for (DataType dt : {DataType::Float, DataType::Float16}) {
      CheckReduce(op, dt, {7, 5, 33}, &first, 1, 1);
      CheckReduce(op, dt, {6, 9, 40}, &middle, 0, 2);
      CheckReduce(op, dt, {2, 3, 4, 5}, &split, 1, 3);
      CheckReduce(op, dt, {3, 4, 70}, &split_neg, 0, 4);   // reduced dims with a kept dim between
      CheckReduce(op, dt, {1000, 3}, &first, 0, 5);        // long columns, few outputs
    }
}

TEST(CudaReductionTest, AllAxes) {
  ONYX_REQUIRE_CUDA();
  for (const char* op : kReduceOps)
    for (DataType dt : {DataType::Float, DataType::Float16})
      for (int64_t keepdims : {0, 1}) {
        CheckReduce(op, dt, {5, 7, 9}, nullptr, keepdims, 1);
        CheckReduce(op, dt, {3, 2000}, nullptr, keepdims, 2);
      }
}

TEST(CudaReductionTest, BertLayerNormMean) {
  ONYX_REQUIRE_CUDA();
  const std::vector<int64_t> last = {-1};
  for (DataType dt : {DataType::Float, DataType::Float16}) CheckReduce("ReduceMean", dt, {2, 128, 768}, &last, 1, 1);
}

TEST(CudaReductionTest, ZeroSize) {
  ONYX_REQUIRE_CUDA();
  const std::vector<int64_t> last = {1}, first = {0};
  for (const char* op : kReduceOps)
    for (DataType dt : {DataType::Float, DataType::Float16}) {
      CheckReduce(op, dt, {0, 4}, &last, 1, 1);   // no outputs
      CheckReduce(op, dt, {3, 0}, &last, 0, 2);   // empty reductions: the op's identity (nan for the mean)
      CheckReduce(op, dt, {0, 5}, &first, 1, 3);
    }
}

TEST(CudaReductionTest, NoopWithEmptyAxes) {
  ONYX_REQUIRE_CUDA();
  for (const char* op : kReduceOps)
    for (DataType dt : {DataType::Float, DataType::Float16}) {
      OpTest t;
      t.op = op;
      t.inputs = {{"x", Data(op, dt, {4, 37}, 1)}};
      t.attrs = {IntAttribute("noop_with_empty_axes", 1)};
      t.output_types = {dt};
      t.opset = InputAxesOpset(op);
      ExpectMatchesCpuOnCuda(t, Rtol(dt, op), Atol(dt));
    }
}

TEST(CudaReductionTest, OtherTypesStayOnCpu) {
  ONYX_REQUIRE_CUDA();
  OpTest t;
  t.op = "ReduceSum";
  t.inputs = {{"x", RandomTensor(DataType::Double, {3, 4}, 1)}};
  t.attrs = {IntAttribute("keepdims", 0)};
  t.output_types = {DataType::Double};
  t.opset = 13;
  EXPECT_THROW(RunOpTest(t, {"CUDAExecutionProvider"}), Error);
  EXPECT_NO_THROW(RunOpTest(t, {}));
}

}  // namespace
}  // namespace onyx::testing
