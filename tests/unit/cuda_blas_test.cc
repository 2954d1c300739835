// MatMul and Gemm on the CUDA provider (cuBLAS) against the CPU provider.
#include <map>

#include "onyx/error.h"
#include "provider_test_util.h"

namespace onyx::testing {
namespace {

using Opts = std::map<std::string, std::string>;
// Exact float32 math: TF32 tensor cores off, so float32 results match the CPU closely.
const Opts kNoTf32 = {{"use_tf32", "0"}};

OpTest MatMulTest(DataType dt, std::vector<int64_t> a, std::vector<int64_t> b, uint32_t seed = 1) {
  OpTest t;
  t.op = "MatMul";
  t.inputs = {{"A", RandomTensor(dt, std::move(a), seed)}, {"B", RandomTensor(dt, std::move(b), seed + 100)}};
  t.output_types = {dt};
  return t;
}

// float32 exact, float32 with TF32 (looser) and float16.
void CheckMatMul(std::vector<int64_t> a, std::vector<int64_t> b) {
  SCOPED_TRACE(ShapeToString(a) + " x " + ShapeToString(b));
  ExpectMatchesCpuOnCuda(MatMulTest(DataType::Float, a, b), 1e-4, 1e-4, kNoTf32);
  ExpectMatchesCpuOnCuda(MatMulTest(DataType::Float, a, b), 1e-2, 1e-2);
  ExpectMatchesCpuOnCuda(MatMulTest(DataType::Float16, a, b), 3e-3, 3e-3);
}

TEST(CudaBlas, MatMul2D) {
  ONYX_REQUIRE_CUDA();
  CheckMatMul({37, 53}, {53, 29});
  CheckMatMul({1, 1}, {1, 1});
  CheckMatMul({64, 128}, {128, 96});
}

TEST(CudaBlas, MatMulBatchedTimes2D) {
  ONYX_REQUIRE_CUDA();
  CheckMatMul({3, 17, 33}, {33, 20});
  CheckMatMul({2, 3, 5, 7}, {7, 11});
  CheckMatMul({4, 9, 6}, {1, 6, 5});  // B batched with a single matrix
}

TEST(CudaBlas, MatMulBatchedBothSides) {
  ONYX_REQUIRE_CUDA();
  CheckMatMul({2, 4, 16, 8}, {2, 4, 8, 16});  // attention scores
  CheckMatMul({2, 4, 16, 16}, {2, 4, 16, 8});  // attention context
  CheckMatMul({5, 6}, {3, 6, 7});              // A shared by every batch
  CheckMatMul({1, 4, 5, 6}, {2, 4, 6, 7});     // A broadcast along one dim only
  CheckMatMul({2, 1, 5, 6}, {1, 3, 6, 4});     // both broadcast
  CheckMatMul({3, 1, 5, 6}, {6, 2});
}

TEST(CudaBlas, MatMulOneDimensional) {
  ONYX_REQUIRE_CUDA();
  CheckMatMul({6}, {6, 4});
  CheckMatMul({3, 5, 6}, {6});
  CheckMatMul({6}, {2, 6, 3});
  CheckMatMul({9}, {9});
}

TEST(CudaBlas, MatMulEmpty) {
  ONYX_REQUIRE_CUDA();
  CheckMatMul({0, 5}, {5, 3});
  CheckMatMul({4, 0}, {0, 3});  // K = 0: zeros
  CheckMatMul({2, 0, 4, 5}, {5, 3});
}

TEST(CudaBlas, MatMulOldOpset) {
  ONYX_REQUIRE_CUDA();
  OpTest t = MatMulTest(DataType::Float, {4, 5}, {5, 6});
  t.opset = 9;
  ExpectMatchesCpuOnCuda(t, 1e-4, 1e-4, kNoTf32);
}

TEST(CudaBlas, MatMulConstantWeights) {
  ONYX_REQUIRE_CUDA();
  OpTest t = MatMulTest(DataType::Float, {2, 7, 12}, {12, 10});
  t.inputs[1].constant = true;
  ExpectMatchesCpuOnCuda(t, 1e-4, 1e-4, kNoTf32);
}

TEST(CudaBlas, MatMulDoubleStaysOnCpu) {
  ONYX_REQUIRE_CUDA();
  OpTest t;
  t.op = "MatMul";
  t.inputs = {{"A", RandomTensor(DataType::Double, {2, 3}, 1)}, {"B", RandomTensor(DataType::Double, {3, 2}, 2)}};
  t.output_types = {DataType::Double};
  EXPECT_THROW(RunOpTest(t, {"CUDAExecutionProvider"}), Error);
}

struct GemmCase {
  int64_t M, N, K;
  bool ta, tb;
  std::vector<int64_t> c;  // C's shape; {-1}: no C
  float alpha = 1.f, beta = 1.f;
};

OpTest GemmTest(DataType dt, const GemmCase& g, int64_t opset = 13) {
  OpTest t;
  t.op = "Gemm";
  t.opset = opset;
  t.inputs = {{"A", RandomTensor(dt, g.ta ? std::vector<int64_t>{g.K, g.M} : std::vector<int64_t>{g.M, g.K}, 3)},
              {"B", RandomTensor(dt, g.tb ? std::vector<int64_t>{g.N, g.K} : std::vector<int64_t>{g.K, g.N}, 4)}};
  if (!(g.c.size() == 1 && g.c[0] == -1)) t.inputs.push_back({"C", RandomTensor(dt, g.c, 5)});
  t.attrs = {IntAttribute("transA", g.ta), IntAttribute("transB", g.tb), FloatAttribute("alpha", g.alpha),
             FloatAttribute("beta", g.beta)};
  t.output_types = {dt};
  return t;
}

void CheckGemm(const GemmCase& g, int64_t opset = 13) {
  SCOPED_TRACE("M=" + std::to_string(g.M) + " N=" + std::to_string(g.N) + " K=" + std::to_string(g.K) +
               " transA=" + std::to_string(g.ta) + " transB=" + std::to_string(g.tb) + " C=" + ShapeToString(g.c));
  ExpectMatchesCpuOnCuda(GemmTest(DataType::Float, g, opset), 1e-4, 1e-4, kNoTf32);
  ExpectMatchesCpuOnCuda(GemmTest(DataType::Float, g, opset), 1e-2, 1e-2);
  ExpectMatchesCpuOnCuda(GemmTest(DataType::Float16, g, opset), 3e-3, 3e-3);
}

TEST(CudaBlas, GemmTransposes) {
  ONYX_REQUIRE_CUDA();
  for (bool ta : {false, true})
    for (bool tb : {false, true}) CheckGemm({13, 21, 17, ta, tb, {13, 21}, 0.5f, 2.f});
}

TEST(CudaBlas, GemmBroadcastC) {
  ONYX_REQUIRE_CUDA();
  for (const std::vector<int64_t>& c : std::vector<std::vector<int64_t>>{{}, {1}, {21}, {1, 21}, {13, 1}, {13, 21}, {1, 1}})
    CheckGemm({13, 21, 9, false, true, c, 1.f, 0.75f});
}

TEST(CudaBlas, GemmWithoutC) {
  ONYX_REQUIRE_CUDA();
  CheckGemm({8, 1000, 64, false, true, {-1}, 1.f, 1.f});
  CheckGemm({8, 10, 6, true, false, {8, 10}, 1.f, 0.f});  // beta 0 ignores C
}

TEST(CudaBlas, GemmOpsets) {
  ONYX_REQUIRE_CUDA();
  CheckGemm({5, 7, 3, false, false, {7}}, 7);
  CheckGemm({5, 7, 3, true, true, {5, 1}}, 9);
  CheckGemm({5, 7, 3, false, true, {-1}}, 11);
}

TEST(CudaBlas, GemmEmpty) {
  ONYX_REQUIRE_CUDA();
  CheckGemm({0, 7, 3, false, false, {7}});
  CheckGemm({4, 7, 0, false, false, {4, 7}, 1.f, 1.5f});  // K = 0: beta * C
  CheckGemm({4, 7, 0, false, false, {-1}});                // K = 0: zeros
}

TEST(CudaBlas, GemmOpset6StaysOnCpu) {
  ONYX_REQUIRE_CUDA();
  OpTest t = GemmTest(DataType::Float, {4, 5, 6, false, false, {4, 5}}, 6);
  EXPECT_THROW(RunOpTest(t, {"CUDAExecutionProvider"}), Error);
}

}  // namespace
}  // namespace onyx::testing
