// CUDA tensor kernels (Reshape family, Transpose, Gather, Concat, Split, Slice, Expand, Tile,
// Pad) against the CPU provider. Data movement must match exactly. Skipped without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "provider_test_util.h"

namespace onyx::testing {
namespace {

// One type per element size (1, 2, 4, 8 bytes). Int64 is covered by the fed tests below: a
// one-node model whose inputs come from the host and whose outputs are int64 stays on the CPU.
const DataType kMoveTypes[] = {DataType::Bool, DataType::Float16, DataType::Float, DataType::Double};

Tensor I64(const std::vector<int64_t>& v, std::vector<int64_t> shape = {-1}) {
  if (shape == std::vector<int64_t>{-1}) shape = {static_cast<int64_t>(v.size())};
  Tensor t(DataType::Int64, shape);
  for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
  return t;
}

Tensor I32(const std::vector<int32_t>& v, std::vector<int64_t> shape = {-1}) {
  if (shape == std::vector<int64_t>{-1}) shape = {static_cast<int64_t>(v.size())};
  Tensor t(DataType::Int32, shape);
  for (size_t i = 0; i < v.size(); ++i) t.data<int32_t>()[i] = v[i];
  return t;
}

OpTest::Input Const(const std::string& name, Tensor t) { return {name, std::move(t), true}; }

void Exact(const OpTest& t) { ExpectMatchesCpuOnCuda(t, 0, 0); }

// Runs t with input 0 produced on the device as int64 (fed as float, then Identity and Cast),
// so that the node under test takes int64 data on the device; the other inputs come from the host.
void ExactInt64(const OpTest& t) { ExpectFedMatchesCpu(t, 0, 0, /*fed_input=*/0); }

// Small integers as int64 data.
Tensor IntData(std::vector<int64_t> shape, uint32_t seed) { return RandomTensor(DataType::Int64, std::move(shape), seed, -1000, 1000); }

// ---- Reshape, Flatten, Squeeze, Unsqueeze ----

TEST(CudaTensorTest, ReshapeZeroAndMinusOne) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : kMoveTypes) {
    Exact(Op("Reshape", {{"x", RandomTensor(dt, {2, 3, 4}, 1)}, Const("s", I64({0, -1}))}, {dt}, 13));
    Exact(Op("Reshape", {{"x", RandomTensor(dt, {2, 3, 4}, 2)}, Const("s", I64({4, -1, 2}))}, {dt}, 14));
    Exact(Op("Reshape", {{"x", RandomTensor(dt, {2, 3, 4}, 3)}, Const("s", I64({0, 0, 2, 2}))}, {dt}, 5));
  }
  // allowzero: a 0 in the shape is a zero-size dim.
  Exact(Op("Reshape", {{"x", RandomTensor(DataType::Float, {0, 3}, 4)}, Const("s", I64({3, 0}))}, {DataType::Float}, 14,
           {IntAttribute("allowzero", 1)}));
  ExactInt64(Op("Reshape", {{"x", IntData({6, 5}, 5)}, Const("s", I64({-1, 3}))}, {DataType::Int64}, 14));
}

TEST(CudaTensorTest, ReshapeBadShapeFails) {
  ONYX_REQUIRE_CUDA();
  OpTest t = Op("Reshape", {{"x", RandomTensor(DataType::Float, {2, 3}, 1)}, Const("s", I64({4, -1}))}, {DataType::Float}, 14);
  EXPECT_THROW(RunOpTest(t, {"CUDAExecutionProvider"}), Error);
}

TEST(CudaTensorTest, FlattenSqueezeUnsqueeze) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : kMoveTypes) {
    for (int64_t axis : {0, 2, -1})
      Exact(Op("Flatten", {{"x", RandomTensor(dt, {2, 3, 4}, 1)}}, {dt}, 13, {IntAttribute("axis", axis)}));
    Exact(Op("Squeeze", {{"x", RandomTensor(dt, {2, 1, 4, 1}, 2)}}, {dt}, 11, {IntsAttribute("axes", {-1})}));
    Exact(Op("Squeeze", {{"x", RandomTensor(dt, {2, 1, 4, 1}, 3)}, Const("a", I64({1, -1}))}, {dt}, 13));
    Exact(Op("Squeeze", {{"x", RandomTensor(dt, {1, 3, 1}, 4)}}, {dt}, 13));
    Exact(Op("Unsqueeze", {{"x", RandomTensor(dt, {3, 4}, 5)}}, {dt}, 11, {IntsAttribute("axes", {0, -1})}));
    Exact(Op("Unsqueeze", {{"x", RandomTensor(dt, {3, 4}, 6)}, Const("a", I64({1, -1}))}, {dt}, 13));
  }
}

// ---- Transpose ----

TEST(CudaTensorTest, TransposeBertShapes) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Float, DataType::Float16}) {
    Exact(Op("Transpose", {{"x", RandomTensor(dt, {2, 16, 12, 64}, 1)}}, {dt}, 13, {IntsAttribute("perm", {0, 2, 1, 3})}));
    Exact(Op("Transpose", {{"x", RandomTensor(dt, {2, 16, 12, 64}, 2)}}, {dt}, 13, {IntsAttribute("perm", {0, 2, 3, 1})}));
    Exact(Op("Transpose", {{"x", RandomTensor(dt, {2, 12, 16, 64}, 3)}}, {dt}, 13, {IntsAttribute("perm", {0, 1, 3, 2})}));
  }
}

TEST(CudaTensorTest, TransposeShapesAndTypes) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : kMoveTypes) {
    Exact(Op("Transpose", {{"x", RandomTensor(dt, {37, 53}, 1)}}, {dt}, 13));                                    // tiled, odd
    Exact(Op("Transpose", {{"x", RandomTensor(dt, {3, 5}, 2)}}, {dt}, 12));                                       // small
    Exact(Op("Transpose", {{"x", RandomTensor(dt, {3, 1, 5}, 3)}}, {dt}, 13, {IntsAttribute("perm", {1, 0, 2})}));  // a view
    Exact(Op("Transpose", {{"x", RandomTensor(dt, {2, 3, 4, 5, 6}, 4)}}, {dt}, 13, {IntsAttribute("perm", {4, 2, 0, 3, 1})}));
    Exact(Op("Transpose", {{"x", RandomTensor(dt, {5, 7, 3}, 5)}}, {dt}, 13, {IntsAttribute("perm", {2, 0, 1})}));
    Exact(Op("Transpose", {{"x", RandomTensor(dt, {0, 3}, 6)}}, {dt}, 13));
    Exact(Op("Transpose", {{"x", RandomTensor(dt, {9, 40, 33}, 7)}}, {dt}, 13, {IntsAttribute("perm", {2, 0, 1})}));
  }
  ExactInt64(Op("Transpose", {{"x", IntData({3, 4, 5}, 8)}}, {DataType::Int64}, 13, {IntsAttribute("perm", {2, 0, 1})}));
  ExactInt64(Op("Transpose", {{"x", IntData({20, 17}, 9)}}, {DataType::Int64}, 13));
}

// ---- Gather ----

TEST(CudaTensorTest, GatherAxes) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : kMoveTypes) {
    Exact(Op("Gather", {{"x", RandomTensor(dt, {50, 7}, 1)}, {"i", I64({0, -1, 3, 49, -50, 7}, {2, 3})}}, {dt}, 13));
    Exact(Op("Gather", {{"x", RandomTensor(dt, {4, 9, 5}, 2)}, {"i", I32({-1, 0, 8, -9})}}, {dt}, 13,
             {IntAttribute("axis", 1)}));
    Exact(Op("Gather", {{"x", RandomTensor(dt, {4, 9, 5}, 3)}, {"i", I64({2, -2})}}, {dt}, 11, {IntAttribute("axis", -1)}));
    Exact(Op("Gather", {{"x", RandomTensor(dt, {4, 9, 5}, 4)}, Const("i", I64({-3}, {}))}, {dt}, 13,
             {IntAttribute("axis", 1)}));  // scalar constant index: uploaded once
    Exact(Op("Gather", {{"x", RandomTensor(dt, {4, 9}, 5)}, {"i", I64({}, {0})}}, {dt}, 13));  // no indices
  }
  ExactInt64(Op("Gather", {{"x", IntData({6, 5}, 6)}, {"i", I64({5, -6, 2})}}, {DataType::Int64}, 13));
}

TEST(CudaTensorTest, GatherEmbeddingLookup) {
  ONYX_REQUIRE_CUDA();
  std::vector<int64_t> ids;
  for (int i = 0; i < 2 * 16; ++i) ids.push_back((i * 7919) % 1000);
  for (DataType dt : {DataType::Float, DataType::Float16})
    Exact(Op("Gather", {{"w", RandomTensor(dt, {1000, 768}, 1)}, {"ids", I64(ids, {2, 16})}}, {dt}, 13));
}

TEST(CudaTensorTest, GatherOutOfRangeFails) {
  ONYX_REQUIRE_CUDA();
  OpTest ok = Op("Gather", {{"x", RandomTensor(DataType::Float, {5, 3}, 1)}, {"i", I64({4})}}, {DataType::Float}, 13);
  Exact(ok);  // claimed by CUDA
  for (int64_t bad : {5, -6}) {
    OpTest t = Op("Gather", {{"x", RandomTensor(DataType::Float, {5, 3}, 1)}, {"i", I64({0, bad})}}, {DataType::Float}, 13);
    EXPECT_THROW(RunOpTest(t, {"CUDAExecutionProvider"}), Error) << bad;
  }
}

// ---- Concat, Split ----

TEST(CudaTensorTest, ConcatThreeInputs) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : kMoveTypes) {
    Exact(Op("Concat", {{"a", RandomTensor(dt, {2, 3, 5}, 1)}, {"b", RandomTensor(dt, {2, 1, 5}, 2)}, {"c", RandomTensor(dt, {2, 4, 5}, 3)}},
             {dt}, 13, {IntAttribute("axis", 1)}));
    Exact(Op("Concat", {{"a", RandomTensor(dt, {3, 7}, 4)}, {"b", RandomTensor(dt, {3, 0}, 5)}, {"c", RandomTensor(dt, {3, 2}, 6)}},
             {dt}, 11, {IntAttribute("axis", -1)}));
    Exact(Op("Concat", {{"a", RandomTensor(dt, {2, 3}, 7)}, {"b", RandomTensor(dt, {5, 3}, 8)}, {"c", RandomTensor(dt, {1, 3}, 9)}},
             {dt}, 4, {IntAttribute("axis", 0)}));
  }
  ExactInt64(Op("Concat", {{"a", IntData({2, 3}, 10)}, {"b", I64({7, 8, 9, 10}, {2, 2})}}, {DataType::Int64}, 13,
                {IntAttribute("axis", 1)}));
}

TEST(CudaTensorTest, SplitVariants) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : kMoveTypes) {
    Exact(Op("Split", {{"x", RandomTensor(dt, {3, 9, 4}, 1)}, Const("s", I64({2, 3, 4}))}, {dt, dt, dt}, 13, {IntAttribute("axis", 1)}));
    Exact(Op("Split", {{"x", RandomTensor(dt, {3, 8}, 2)}}, {dt, dt, dt}, 18, {IntAttribute("axis", -1), IntAttribute("num_outputs", 3)}));
    Exact(Op("Split", {{"x", RandomTensor(dt, {6, 5}, 3)}}, {dt, dt}, 11, {IntsAttribute("split", {4, 2})}));
    Exact(Op("Split", {{"x", RandomTensor(dt, {6, 5}, 4)}}, {dt, dt, dt}, 13));
    Exact(Op("Split", {{"x", RandomTensor(dt, {4, 5}, 5)}, Const("s", I64({0, 5}))}, {dt, dt}, 13, {IntAttribute("axis", 1)}));
  }
}

// ---- Slice ----

TEST(CudaTensorTest, SliceStepsAndClamping) {
  ONYX_REQUIRE_CUDA();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (DataType dt : kMoveTypes) {
    auto slice = [&](std::vector<int64_t> shape, std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes,
                     std::vector<int64_t> steps, uint32_t seed) {
      Exact(Op("Slice", {{"x", RandomTensor(dt, shape, seed)}, Const("st", I64(starts)), Const("en", I64(ends)), Const("ax", I64(axes)),
                         Const("sp", I64(steps))},
               {dt}, 13));
    };
    slice({10, 12}, {1, 2}, {8, kMax}, {0, 1}, {2, 3}, 1);
    slice({10, 12}, {-1, 100}, {-kMax, -13}, {0, 1}, {-1, -2}, 2);   // negative steps, ends clamped
    slice({4, 5, 6}, {0, -4}, {1000, -1}, {-1, 1}, {1, 1}, 3);        // negative axes, out-of-range end
    slice({4, 5, 6}, {3}, {3}, {2}, {1}, 4);                         // empty
    slice({4, 5, 6}, {5}, {0}, {0}, {-3}, 5);                        // negative step, start beyond the end
    slice({2, 16, 64}, {0}, {32}, {2}, {1}, 6);                      // inner run (widened units)
    Exact(Op("Slice", {{"x", RandomTensor(dt, {5, 6}, 7)}}, {dt}, 9,
             {IntsAttribute("starts", {1, -3}), IntsAttribute("ends", {4, 1000}), IntsAttribute("axes", {0, 1})}));
    Exact(Op("Slice", {{"x", RandomTensor(dt, {5, 6}, 8)}, Const("st", I64({1})), Const("en", I64({-1}))}, {dt}, 10));
  }
  ExactInt64(Op("Slice", {{"x", IntData({7, 5}, 9)}, Const("st", I64({-1})), Const("en", I64({-kMax})), Const("ax", I64({0})),
                          Const("sp", I64({-2}))},
                {DataType::Int64}, 13));
}

// ---- Expand, Tile, Pad ----

TEST(CudaTensorTest, ExpandAndTile) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : kMoveTypes) {
    Exact(Op("Expand", {{"x", RandomTensor(dt, {3, 1, 5}, 1)}, Const("s", I64({2, 3, 4, 5}))}, {dt}, 13));
    Exact(Op("Expand", {{"x", RandomTensor(dt, {3, 1}, 2)}, Const("s", I64({1}))}, {dt}, 8));
    Exact(Op("Expand", {{"x", RandomTensor(dt, {1}, 3)}, Const("s", I64({7, 1, 33}))}, {dt}, 13));
    Exact(Op("Expand", {{"x", RandomTensor(dt, {4, 1}, 4)}, Const("s", I64({0, 4, 3}))}, {dt}, 13));
    Exact(Op("Tile", {{"x", RandomTensor(dt, {2, 3, 4}, 5)}, Const("r", I64({2, 1, 3}))}, {dt}, 13));
    Exact(Op("Tile", {{"x", RandomTensor(dt, {5}, 6)}, Const("r", I64({0}))}, {dt}, 13));
  }
  ExactInt64(Op("Expand", {{"x", IntData({3, 1}, 7)}, Const("s", I64({3, 4}))}, {DataType::Int64}, 13));
  ExactInt64(Op("Tile", {{"x", IntData({2, 3}, 8)}, Const("r", I64({3, 2}))}, {DataType::Int64}, 13));
}

TEST(CudaTensorTest, PadModes) {
  ONYX_REQUIRE_CUDA();
  for (DataType dt : {DataType::Float, DataType::Float16, DataType::Double}) {
    Tensor cv(dt, {});
    if (dt == DataType::Float) cv.data<float>()[0] = 2.5f;
    else if (dt == DataType::Double) cv.data<double>()[0] = -3.25;
    else cv.data<uint16_t>()[0] = FloatToHalf(1.5f);
    Exact(Op("Pad", {{"x", RandomTensor(dt, {3, 4}, 1)}, Const("p", I64({1, 2, 2, 0})), Const("v", cv)}, {dt}, 13));
    Exact(Op("Pad", {{"x", RandomTensor(dt, {3, 4}, 2)}, Const("p", I64({-1, 2, 1, -2}))}, {dt}, 13));  // crop and pad
    for (const char* mode : {"reflect", "edge"})
      Exact(Op("Pad", {{"x", RandomTensor(dt, {2, 3, 5}, 3)}, Const("p", I64({0, 2, 4, 1, 1, 3}))}, {dt}, 13,
               {StringAttribute("mode", mode)}));
    Exact(Op("Pad", {{"x", RandomTensor(dt, {3, 4}, 4)}, Const("p", I64({2, 5, 3, 6}))}, {dt}, 19, {StringAttribute("mode", "wrap")}));
    Exact(Op("Pad", {{"x", RandomTensor(dt, {2, 3, 4}, 5)}, Const("p", I64({1, 2})), {"", Tensor()}, Const("a", I64({-1}))}, {dt}, 18));
    Exact(Op("Pad", {{"x", RandomTensor(dt, {0, 3}, 6)}, Const("p", I64({1, 0, 1, 1}))}, {dt}, 13));  // constant from nothing
  }
  Exact(Op("Pad", {{"x", RandomTensor(DataType::Float, {3, 4}, 7)}}, {DataType::Float}, 2,
           {IntsAttribute("pads", {0, 1, 2, 3}), FloatAttribute("value", -7.f)}));
  Exact(Op("Pad", {{"x", RandomTensor(DataType::Bool, {3, 4}, 8)}, Const("p", I64({1, 1, 1, 1}))}, {DataType::Bool}, 13));
  ExactInt64(Op("Pad", {{"x", IntData({3, 4}, 9)}, Const("p", I64({1, 0, 0, 2})), Const("v", I64({42}, {}))}, {DataType::Int64}, 13));
}

}  // namespace
}  // namespace onyx::testing
