// Kernel hardening (issue #6): every index, size or count a kernel reads from a tensor is
// bounds-checked. One table of out-of-range feeds (too large, too negative, INT64/INT32 extremes,
// overflowing products) per op; each must give an onyx::Error naming the offending value, or, where
// the spec defines a result (Slice clamping, OneHot off rows, Pad cropping, Trilu with a huge k),
// run cleanly. scripts/sanitize.sh runs this under ASan + UBSan, which is the proof that no case
// reads or writes out of bounds. tests/python/test_index_hardening.py runs the same cases against
// onnxruntime and checks the values and exception classes.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();

struct Case {
  std::string name, op;
  std::vector<Tensor> inputs;  // an undefined Tensor marks an omitted optional input
  std::map<std::string, Attribute> attrs;
  int64_t opset = 18;
  size_t outputs = 1;
  std::string error;  // a fragment of the expected message; empty: the run must succeed
};

Tensor I64(std::vector<int64_t> v, std::vector<int64_t> shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Int64Tensor(std::move(shape), std::move(v));
}
Tensor I32(std::vector<int32_t> v, std::vector<int64_t> shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Int32Tensor(std::move(shape), std::move(v));
}
std::string S(int64_t v) { return std::to_string(v); }

std::vector<Case> Cases() {
  std::vector<Case> c;
  const Tensor x32 = Iota({3, 2}), x34 = Iota({3, 4}), x22 = Iota({2, 2}), x222 = Iota({2, 2, 2});
  const Tensor upd = FloatTensor({1, 2}, {1, 1});
  // Gather, GatherElements, GatherND
  for (int64_t v : {int64_t{3}, int64_t{-4}, kMax, kMin}) {
    c.push_back({"Gather_" + S(v), "Gather", {x32, I64({v})}, {{"axis", IntAttr(0)}}, 13, 1, "index " + S(v)});
    c.push_back({"GatherElements_" + S(v), "GatherElements", {x32, I64({0, 0, v}, {3, 1})}, {{"axis", IntAttr(1)}}, 13, 1, "index " + S(v)});
    c.push_back({"GatherND_" + S(v), "GatherND", {x22, I64({0, v}, {1, 2})}, {}, 13, 1, "index " + S(v)});
    c.push_back({"GatherND_batch_" + S(v), "GatherND", {x222, I64({0, v}, {2, 1})}, {{"batch_dims", IntAttr(1)}}, 13, 1, "index " + S(v)});
  }
  for (int32_t v : {3, -4, kMin32, kMax32}) {
    c.push_back({"Gather_i32_" + S(v), "Gather", {x32, I32({v})}, {{"axis", IntAttr(0)}}, 13, 1, "index " + S(v)});
    c.push_back({"GatherElements_i32_" + S(v), "GatherElements", {x32, I32({v, 0}, {1, 2})}, {{"axis", IntAttr(0)}}, 13, 1, "index " + S(v)});
  }
  c.push_back({"Gather_empty_axis", "Gather", {Iota({0, 2}), I64({0})}, {{"axis", IntAttr(0)}}, 13, 1, "index 0"});
  c.push_back({"GatherND_index_too_long", "GatherND", {x222, I64({0, 0, 0, 0, 0, 0}, {2, 3})}, {{"batch_dims", IntAttr(1)}}, 13, 1, "(3)"});
  // ScatterElements (every reduction), ScatterND, Scatter (opset 9/10)
  for (const char* red : {"none", "add", "mul", "max", "min"}) {
    for (int64_t v : {int64_t{3}, int64_t{-4}, kMax, kMin}) {
      c.push_back({std::string("ScatterElements_") + red + "_" + S(v), "ScatterElements", {x32, I64({v, 0}, {1, 2}), upd},
                   {{"axis", IntAttr(0)}, {"reduction", StringAttr(red)}}, 18, 1, "index " + S(v)});
      c.push_back({std::string("ScatterND_") + red + "_" + S(v), "ScatterND", {x32, I64({v}, {1, 1}), upd},
                   {{"reduction", StringAttr(red)}}, 18, 1, S(v)});
    }
    c.push_back({std::string("ScatterElements_i32_") + red, "ScatterElements", {x32, I32({0, kMin32}, {1, 2}), upd},
                 {{"axis", IntAttr(0)}, {"reduction", StringAttr(red)}}, 18, 1, S(kMin32)});
  }
  for (int64_t opset : {9, 10})
    for (int64_t v : {int64_t{3}, int64_t{-4}, kMax, kMin})
      c.push_back({"Scatter" + S(opset) + "_" + S(v), "Scatter", {x32, I64({0, v}, {1, 2}), upd}, {{"axis", IntAttr(0)}}, opset, 1, S(v)});
  // OneHot: out-of-range indices give all-off rows; depth must be a usable count
  const Tensor vals = FloatTensor({2}, {0, 1});
  c.push_back({"OneHot_out_of_range", "OneHot", {I64({0, 5, -1, -7, kMax, kMin}), I64({4}), vals}, {}, 11, 1, ""});
  c.push_back({"OneHot_i32_out_of_range", "OneHot", {I32({kMax32, kMin32, -4, 4}), I64({4}), vals}, {}, 11, 1, ""});
  c.push_back({"OneHot_float_out_of_range", "OneHot", {FloatTensor({3}, {1e30f, -1e30f, 9.f}), I64({4}), vals}, {}, 11, 1, ""});
  c.push_back({"OneHot_depth_zero", "OneHot", {I64({0, 1}), I64({0}), vals}, {}, 11, 1, ""});
  c.push_back({"OneHot_depth_negative", "OneHot", {I64({0, 1}), I64({-3}), vals}, {}, 11, 1, "depth -3"});
  c.push_back({"OneHot_depth_max", "OneHot", {I64({0, 1}), I64({kMax}), vals}, {}, 11, 1, "depth"});
  c.push_back({"OneHot_axis", "OneHot", {I64({0, 1}), I64({3}), vals}, {{"axis", IntAttr(3)}}, 11, 1, "axis 3"});
  // TopK
  for (int64_t k : {int64_t{-1}, int64_t{5}, kMax, kMin})
    c.push_back({"TopK_k_" + S(k), "TopK", {x34, I64({k})}, {}, 11, 2, S(k)});
  c.push_back({"TopK_k_zero", "TopK", {x34, I64({0})}, {}, 11, 2, ""});
  // Slice: starts/ends clamp; steps 0 and bad axes are errors
  auto slice = [&](const std::string& name, std::vector<int64_t> s, std::vector<int64_t> e, std::vector<int64_t> a,
                   std::vector<int64_t> st, std::string err) {
    c.push_back({"Slice_" + name, "Slice", {x34, I64(s), I64(e), I64(a), I64(st)}, {}, 13, 1, std::move(err)});
  };
  slice("extremes", {kMin}, {kMax}, {1}, {1}, "");
  slice("huge_starts", {100}, {200}, {1}, {1}, "");
  slice("reverse_extremes", {kMax}, {kMin}, {1}, {-1}, "");
  slice("step_min", {kMax}, {kMin}, {0}, {kMin}, "");
  slice("step_max", {0}, {kMax}, {1}, {kMax}, "");
  slice("step_zero", {0}, {2}, {1}, {0}, "0");
  slice("axis", {0}, {2}, {2}, {1}, "2");
  c.push_back({"Slice_i32_extremes", "Slice", {x34, I32({kMin32}), I32({kMax32}), I32({0}), I32({-1})}, {}, 13, 1, ""});
  // Pad: negative pads crop
  for (auto [name, pads, mode, err] : std::vector<std::tuple<std::string, std::vector<int64_t>, std::string, std::string>>{
           {"crop", {-1, 0, -1, -2}, "constant", ""},
           {"crop_to_empty", {-1, 0, -2, 0}, "constant", ""},
           {"crop_and_pad", {-2, 1, 1, -1}, "edge", ""},
           {"crop_too_much", {-4, 0, 0, 0}, "constant", "-4"},
           {"min", {kMin, 0, 0, 0}, "constant", S(kMin)},
           {"max", {0, 0, 0, kMax}, "constant", S(kMax)},
           {"product", {0, int64_t{1} << 40, 0, int64_t{1} << 40}, "constant", "bytes"},
           {"reflect_wide", {0, 4, 0, 9}, "reflect", ""},
           {"wrap_wide", {0, 9, 0, 13}, "wrap", ""},
           {"edge_wide", {5, 9, 7, 13}, "edge", ""}})
    c.push_back({"Pad_" + name, "Pad", {x34, I64(pads)}, {{"mode", StringAttr(mode)}}, 19, 1, err});
  // Tile, Expand, ConstantOfShape, Reshape
  for (auto [name, rep] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"negative", {-1, 1}}, {"min", {kMin, 1}}, {"max", {kMax, 2}}, {"product", {int64_t{1} << 40, int64_t{1} << 40}}})
    c.push_back({"Tile_" + name, "Tile", {x22, I64(rep)}, {}, 13, 1, S(rep[0])});
  for (auto [name, shape] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"negative", {3, -2}}, {"min", {kMin, 1}}, {"max", {kMax}}, {"product", {int64_t{1} << 40, int64_t{1} << 40, 1}}}) {
    c.push_back({"Expand_" + name, "Expand", {Iota({3, 1}), I64(shape)}, {}, 13, 1, S(shape[0])});
    c.push_back({"ConstantOfShape_" + name, "ConstantOfShape", {I64(shape)}, {}, 9, 1, S(shape[0])});
    c.push_back({"Reshape_" + name, "Reshape", {x34, I64(shape)}, {}, 14, 1, S(shape[0])});
  }
  // Compress, ReverseSequence, Trilu, CumSum, Range, Split, SpaceToDepth/DepthToSpace
  c.push_back({"Compress_longer", "Compress", {x32, BoolTensor({4}, {true, false, true, true})}, {{"axis", IntAttr(0)}}, 11, 1, "index 3"});
  c.push_back({"Compress_longer_flat", "Compress", {x32, BoolTensor({7}, std::vector<bool>(7, true))}, {}, 11, 1, "index 6"});
  c.push_back({"Compress_false_tail", "Compress", {x32, BoolTensor({5}, {true, false, true, false, false})}, {{"axis", IntAttr(0)}}, 11, 1, ""});
  for (int64_t v : {int64_t{5}, int64_t{-1}, kMax, kMin})
    c.push_back({"ReverseSequence_" + S(v), "ReverseSequence", {Iota({4, 2}), I64({v, 1})},
                 {{"time_axis", IntAttr(0)}, {"batch_axis", IntAttr(1)}}, 10, 1, S(v)});
  for (int64_t k : {kMax, kMin, int64_t{100}, int64_t{-100}})
    for (int64_t upper : {0, 1})
      c.push_back({"Trilu_" + S(upper) + "_" + S(k), "Trilu", {Iota({3, 3}), ScalarInt64(k)}, {{"upper", IntAttr(upper)}}, 14, 1, ""});
  for (int64_t a : {int64_t{2}, int64_t{-3}, kMax, kMin})
    c.push_back({"CumSum_" + S(a), "CumSum", {x32, ScalarInt64(a)}, {}, 14, 1, "axis " + S(a)});
  c.push_back({"Range_huge", "Range", {ScalarInt64(0), ScalarInt64(kMax), ScalarInt64(1)}, {}, 11, 1, "elements"});
  c.push_back({"Range_extremes", "Range", {ScalarInt64(kMin), ScalarInt64(kMax), ScalarInt64(kMax)}, {}, 11, 1, ""});
  c.push_back({"Range_inf", "Range", {FloatTensor({}, {0}), FloatTensor({}, {std::numeric_limits<float>::infinity()}), FloatTensor({}, {1})},
               {}, 11, 1, "infinite"});
  for (auto [name, split] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"big", {2, 3}}, {"negative", {-1, 5}}, {"max", {kMax, 4}}, {"wraps", {kMax, kMax, 6}}})
    c.push_back({"Split_" + name, "Split", {x34, I64(split)}, {{"axis", IntAttr(1)}}, 13, split.size(), "split"});
  for (const char* op : {"SpaceToDepth", "DepthToSpace"})
    for (int64_t b : {int64_t{0}, int64_t{-2}, int64_t{3}, (int64_t{1} << 32) + 2, kMax})
      c.push_back({std::string(op) + "_" + S(b), op, {Iota({1, 4, 2, 2})}, {{"blocksize", IntAttr(b)}}, 13, 1, S(b)});
  // CenterCropPad, Col2Im, RotaryEmbedding position ids, TensorScatter write indices
  c.push_back({"CenterCropPad_negative", "CenterCropPad", {x34, I64({-1, 2})}, {}, 18, 1, "-1"});
  c.push_back({"CenterCropPad_max", "CenterCropPad", {x34, I64({kMax, 2})}, {}, 18, 1, S(kMax)});
  const Tensor cols = FloatTensor({1, 4, 4}, std::vector<float>(16, 1.f));
  for (auto [name, img, blk, err] : std::vector<std::tuple<std::string, std::vector<int64_t>, std::vector<int64_t>, std::string>>{
           {"block_zero", {3, 3}, {0, 2}, "block_shape 0"}, {"block_negative", {3, 3}, {-2, 2}, "-2"},
           {"image_negative", {-3, 3}, {2, 2}, "-3"}, {"image_max", {kMax, 3}, {2, 2}, "overflows"},
           {"image_max_both", {kMax, kMax}, {1, 1}, ""}, {"block_bigger", {1, 1}, {2, 2}, "blocks 0"}})
    c.push_back({"Col2Im_" + name, "Col2Im", {cols, I64(img), I64(blk)}, {}, 18, 1, err.empty() ? "blocks" : err});
  const Tensor cache = FloatTensor({3, 2}, std::vector<float>(6, 1.f));
  for (int64_t p : {int64_t{3}, int64_t{-1}, kMax, kMin})
    c.push_back({"RotaryEmbedding_" + S(p), "RotaryEmbedding", {FloatTensor({1, 2, 4}, std::vector<float>(8, 1.f)), cache, cache, I64({0, p}, {1, 2})},
                 {{"num_heads", IntAttr(1)}}, 23, 1, "position id " + S(p)});
  const Tensor past = FloatTensor({2, 1, 4, 2}, std::vector<float>(16, 0.f)), update = FloatTensor({2, 1, 2, 2}, std::vector<float>(8, 1.f));
  for (int64_t w : {int64_t{3}, int64_t{-1}, int64_t{4}, kMax, kMin}) {
    c.push_back({"TensorScatter_" + S(w), "TensorScatter", {past, update, I64({0, w})}, {}, 24, 1, "write index " + S(w)});
    c.push_back({"TensorScatter_circular_" + S(w), "TensorScatter", {past, update, I64({w, 0})}, {{"mode", StringAttr("circular")}}, 24, 1, ""});
  }
  return c;
}

// Other ops that read an index, a size or a count from a tensor.
std::vector<Case> MoreCases() {
  std::vector<Case> c;
  const Tensor x32 = Iota({3, 2});
  for (const char* op : {"Div", "Mod"}) {
    c.push_back({std::string(op) + "_i32_zero", op, {I32({7, 1}), I32({0, 1})}, {}, 13, 1, "zero"});
    c.push_back({std::string(op) + "_i64_zero", op, {I64({7, 1}), I64({0, 1})}, {}, 13, 1, "zero"});
    c.push_back({std::string(op) + "_min_by_minus_one", op, {I64({kMin}), I64({-1})}, {}, 13, 1, ""});
  }
  for (const char* dir : {"LEFT", "RIGHT"})
    c.push_back({std::string("BitShift_") + dir, "BitShift", {MakeTensor<uint64_t>(DataType::UInt64, {3}, {255, 1, 7}),
                 MakeTensor<uint64_t>(DataType::UInt64, {3}, {64, uint64_t{1} << 63, 1})}, {{"direction", StringAttr(dir)}}, 11, 1, ""});
  for (int64_t a : {int64_t{2}, int64_t{-3}, kMax, kMin}) {
    c.push_back({"Squeeze_" + S(a), "Squeeze", {Iota({1, 2}), I64({a})}, {}, 13, 1, S(a)});
    c.push_back({"Unsqueeze_" + S(a), "Unsqueeze", {x32, I64({a == 2 ? 3 : a == -3 ? -4 : a})}, {}, 13, 1, "unsqueeze axis"});
    c.push_back({"ReduceSum_" + S(a), "ReduceSum", {x32, I64({a})}, {}, 13, 1, S(a)});
    c.push_back({"CumProd_" + S(a), "CumProd", {x32, ScalarInt64(a)}, {}, 26, 1, S(a)});
    c.push_back({"DFT_axis_" + S(a), "DFT", {Iota({1, 4, 1}), Tensor(), ScalarInt64(a == -3 ? -4 : a)}, {}, 20, 1, "axis"});
  }
  const Tensor x4 = Iota({1, 1, 2, 2});
  for (std::vector<int64_t> sizes : {std::vector<int64_t>{1, 1, -2, 2}, {1, 1, kMax, 2}, {1, 1, int64_t{1} << 40, int64_t{1} << 40}})
    c.push_back({"Resize_sizes_" + S(sizes[2]), "Resize", {x4, Tensor(), Tensor(), I64(sizes)}, {}, 19, 1, S(sizes[2])});
  for (float sc : {-2.f, 1e30f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()})
    c.push_back({"Resize_scales_" + std::to_string(sc), "Resize", {x4, Tensor(), FloatTensor({4}, {1, 1, sc, 1})}, {}, 19, 1, "scale"});
  for (const char* op : {"HannWindow", "HammingWindow", "BlackmanWindow"})
    for (int64_t n : {int64_t{-1}, kMax}) c.push_back({std::string(op) + "_" + S(n), op, {ScalarInt64(n)}, {}, 17, 1, S(n)});
  for (int64_t n : {int64_t{0}, int64_t{-4}, kMax})
    c.push_back({"DFT_length_" + S(n), "DFT", {Iota({1, 4, 1}), ScalarInt64(n)}, {}, 20, 1, S(n)});
  for (auto [step, len] : std::vector<std::pair<int64_t, int64_t>>{{0, 4}, {-1, 4}, {2, 0}, {2, 17}, {2, kMax}, {kMax, 4}})
    c.push_back({"STFT_" + S(step) + "_" + S(len), "STFT", {Iota({1, 16, 1}), ScalarInt64(step), Tensor(), ScalarInt64(len)}, {}, 17, 1,
                 step == kMax ? "" : "frame_"});
  for (std::vector<int64_t> size : {std::vector<int64_t>{1, 1, -2, 2}, {1, 1, kMax, 2}})
    c.push_back({"AffineGrid_" + S(size[2]), "AffineGrid", {FloatTensor({1, 2, 3}, std::vector<float>(6, 0.f)), I64(size)}, {}, 20, 1, S(size[2])});
  const Tensor feat = Iota({1, 1, 4, 4});
  for (int64_t b : {int64_t{1}, int64_t{-1}, kMax, kMin})
    c.push_back({"RoiAlign_" + S(b), "RoiAlign", {feat, FloatTensor({1, 4}, {0, 0, 2, 2}), I64({b})},
                 {{"output_height", IntAttr(1)}, {"output_width", IntAttr(1)}}, 16, 1, "batch index " + S(b)});
  for (float b : {1.f, -1.f, 1e30f, std::numeric_limits<float>::quiet_NaN()})
    c.push_back({"MaxRoiPool_" + std::to_string(b), "MaxRoiPool", {feat, FloatTensor({1, 5}, {b, 0, 0, 1, 1})},
                 {{"pooled_shape", IntsAttr({1, 1})}}, 1, 1, "batch index"});
  for (int64_t i : {int64_t{16}, int64_t{-1}, kMax, kMin})
    c.push_back({"MaxUnpool_" + S(i), "MaxUnpool", {FloatTensor({1, 1, 2, 2}, {1, 1, 1, 1}), I64({0, 1, 2, i}, {1, 1, 2, 2})},
                 {{"kernel_shape", IntsAttr({2, 2})}, {"strides", IntsAttr({2, 2})}}, 11, 1, "index " + S(i)});
  for (const char* op : {"NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"}) {
    for (int64_t t : {int64_t{3}, int64_t{-1}, kMax, kMin})
      c.push_back({std::string(op) + "_" + S(t), op, {Iota({2, 3}), I64({0, t})}, {{"reduction", StringAttr("none")}}, 13, 1, "target value " + S(t)});
    c.push_back({std::string(op) + "_weighted", op, {Iota({2, 3}), I64({0, 5}), FloatTensor({3}, {1, 1, 1})}, {{"reduction", StringAttr("sum")}}, 13, 1, "5"});
    c.push_back({std::string(op) + "_ignore", op, {Iota({2, 3}), I64({-100, 2})}, {{"ignore_index", IntAttr(-100)}}, 13, 1, ""});
  }
  return c;
}

TEST(IndexHardening, SequencePositions) {
  for (int64_t p : {int64_t{3}, int64_t{-3}, kMax, kMin})
    for (const char* op : {"SequenceAt", "SequenceErase", "SequenceInsert"}) {
      SCOPED_TRACE(std::string(op) + " " + S(p));
      std::vector<Value> in = {Value::Sequence({Iota({2}), Iota({2})}, DataType::Float)};
      if (std::string(op) == "SequenceInsert") in.push_back(Value(Iota({2})));
      in.push_back(Value(ScalarInt64(p)));
      ExpectError([&] { RunOpValues(op, in, 1, {}, 11); }, ErrorCode::InvalidArgument, "position " + S(p));
    }
}

TEST(IndexHardening, OutOfRangeValuesAreClearErrorsOrSpecResults) {
  std::vector<Case> cases = Cases(), more = MoreCases();
  cases.insert(cases.end(), more.begin(), more.end());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      std::vector<Value> out = RunOp(c.op, c.inputs, c.outputs, c.attrs, c.opset);
      EXPECT_TRUE(c.error.empty()) << "expected an error containing '" << c.error << "'";
      for (const Value& v : out) ASSERT_TRUE(v.is_tensor());
    } catch (const Error& e) {
      EXPECT_FALSE(c.error.empty()) << "unexpected error: " << e.what();
      // Allocation-limit errors name the node only once a session adds it (the Python test checks that).
      const std::string msg = e.what();
      EXPECT_NE(msg.find(c.error), std::string::npos) << "the message does not name '" << c.error << "': " << msg;
      EXPECT_TRUE(e.code() == ErrorCode::InvalidArgument || e.code() == ErrorCode::InvalidGraph || e.code() == ErrorCode::Fail) << msg;
    }
  }
}

// The values the spec defines for the cases above that run (onnxruntime agrees where it has the kernel).
TEST(IndexHardening, SpecResults) {
  const Tensor x34 = Iota({3, 4});
  // OneHot: an out-of-range index gives an all-off row; -1 is the last class.
  EXPECT_EQ(ToVector<float>(Run1("OneHot", {I64({5, -1, kMin}), I64({2}), FloatTensor({2}, {0, 1})}, {}, 11)),
            (std::vector<float>{0, 0, 0, 1, 0, 0}));
  // Slice clamps INT64 extremes: reversed whole row.
  EXPECT_EQ(ToVector<float>(Run1("Slice", {x34, I64({kMax}), I64({kMin}), I64({1}), I64({-1})}, {}, 13)),
            (std::vector<float>{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8}));
  EXPECT_EQ(ToVector<float>(Run1("Slice", {x34, I64({kMax}), I64({kMin}), I64({0}), I64({kMin})}, {}, 13)),
            (std::vector<float>{8, 9, 10, 11}));
  // Pad with negative pads crops: rows [1, 2), columns [0, 2).
  EXPECT_EQ(ToVector<float>(Run1("Pad", {x34, I64({-1, 0, -1, -2})}, {}, 18)), (std::vector<float>{4, 5}));
  // Trilu with a huge k keeps or zeroes everything.
  EXPECT_EQ(ToVector<float>(Run1("Trilu", {Iota({2, 2}), ScalarInt64(kMin)}, {{"upper", IntAttr(1)}}, 14)), (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ(ToVector<float>(Run1("Trilu", {Iota({2, 2}), ScalarInt64(kMax)}, {{"upper", IntAttr(1)}}, 14)), (std::vector<float>{0, 0, 0, 0}));
  // TensorScatter circular: INT64_MAX + s wraps modulo the cache length, without overflowing.
  Tensor y = Run1("TensorScatter", {FloatTensor({1, 4}, {0, 0, 0, 0}), FloatTensor({1, 2}, {1, 2}), I64({kMax})},
                  {{"mode", StringAttr("circular")}, {"axis", IntAttr(1)}}, 24);
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{2, 0, 0, 1}));  // INT64_MAX % 4 == 3
}

}  // namespace
}  // namespace onyx::testing
