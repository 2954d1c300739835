// Transpose, DepthToSpace, SpaceToDepth, and the strided copy microkernel behind them.
#include <cstring>

#include "core/thread_pool.h"
#include "tensor_ops_test_util.h"

namespace onyx::testing {
namespace {

// Reference transpose by explicit index arithmetic.
template <typename T>
std::vector<T> NaiveTranspose(const Tensor& x, const std::vector<int64_t>& perm) {
  const size_t rank = x.rank();
  std::vector<int64_t> out_shape(rank), in_strides(rank);
  int64_t s = 1;
  for (size_t k = rank; k-- > 0;) {
    in_strides[k] = s;
    s *= x.dim(k);
  }
  for (size_t k = 0; k < rank; ++k) out_shape[k] = x.dim(perm[k]);
  std::vector<T> out(static_cast<size_t>(x.size()));
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < x.size(); ++i) {
    int64_t src = 0;
    for (size_t k = 0; k < rank; ++k) src += idx[k] * in_strides[perm[k]];
    out[i] = x.data<T>()[src];
    for (size_t k = rank; k-- > 0;) {
      if (++idx[k] < out_shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

TEST(TensorOpsTranspose, DefaultReversesAxes) {
  Tensor y = Run1("Transpose", {Iota({2, 3})});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ToVector<float>(y), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(TensorOpsTranspose, MatchesNaiveForManyPermsAndSizes) {
  ThreadPool pool(4);
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{67, 45}, {1, 0}},                   // 2-D, tiled, ragged edges
      {{2, 16, 9, 11}, {0, 2, 3, 1}},       // NCHW -> NHWC
      {{2, 9, 11, 16}, {0, 3, 1, 2}},       // NHWC -> NCHW
      {{3, 4, 5, 6}, {3, 2, 1, 0}},
      {{2, 3, 4, 5, 6}, {0, 2, 1, 4, 3}},
      {{1, 5, 1, 7}, {2, 3, 0, 1}},         // unit dims around a 2-D transpose
      {{4, 300, 40}, {0, 2, 1}},            // large enough to run on the pool
  };
  for (const auto& [shape, perm] : cases) {
    Tensor x = Iota(shape);
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
      Tensor y = Run1("Transpose", {x}, {{"perm", IntsAttr(perm)}}, 18, p);
      EXPECT_EQ(ToVector<float>(y), NaiveTranspose<float>(x, perm)) << ShapeToString(shape) << " perm " << ShapeToString(perm);
    }
  }
}

TEST(TensorOpsTranspose, EveryElementWidthAndStrings) {
  for (DataType dt : {DataType::UInt8, DataType::Float16, DataType::Int32, DataType::Int64}) {
    Tensor x(dt, {13, 17});
    for (size_t b = 0; b < x.nbytes(); ++b) static_cast<uint8_t*>(x.raw_data())[b] = static_cast<uint8_t>(b * 7 + 3);
    Tensor y = Run1("Transpose", {x});
    const size_t es = DataTypeSize(dt);
    for (int64_t i = 0; i < 13; ++i)
      for (int64_t j = 0; j < 17; ++j)
        EXPECT_EQ(std::memcmp(static_cast<const char*>(y.raw_data()) + (j * 13 + i) * es,
                              static_cast<const char*>(x.raw_data()) + (i * 17 + j) * es, es),
                  0);
  }
  Tensor s = StringTensor({2, 2}, {"a", "b", "c", "d"});
  EXPECT_EQ(ToVector<std::string>(Run1("Transpose", {s})), (std::vector<std::string>{"a", "c", "b", "d"}));
}

TEST(TensorOpsTranspose, MovingUnitDimsIsAView) {
  Tensor x = Iota({3, 1, 4});
  Tensor y = Run1("Transpose", {x}, {{"perm", IntsAttr({1, 0, 2})}});
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(y.raw_data(), x.raw_data());
}

TEST(TensorOpsTranspose, RejectsBadPerms) {
  Tensor x = Iota({2, 3});
  ExpectError([&] { Run1("Transpose", {x}, {{"perm", IntsAttr({0, 0})}}); }, ErrorCode::InvalidArgument, "not a permutation");
  ExpectError([&] { Run1("Transpose", {x}, {{"perm", IntsAttr({0})}}); }, ErrorCode::InvalidArgument, "rank 2");
  ExpectError([&] { Run1("Transpose", {x}, {{"perm", IntsAttr({0, 2})}}); }, ErrorCode::InvalidArgument, "out of range");
}

TEST(TensorOpsDepthToSpace, DcrAndCrd) {
  // The examples of the ONNX operator documentation.
  Tensor x = Iota({1, 8, 2, 3});
  Tensor dcr = Run1("DepthToSpace", {x}, {{"blocksize", IntAttr(2)}, {"mode", StringAttr("DCR")}});
  EXPECT_EQ(dcr.shape(), (std::vector<int64_t>{1, 2, 4, 6}));
  EXPECT_EQ(ToVector<float>(dcr), (std::vector<float>{0,  12, 1,  13, 2,  14, 24, 36, 25, 37, 26, 38, 3,  15, 4,  16,
                                                      5,  17, 27, 39, 28, 40, 29, 41, 6,  18, 7,  19, 8,  20, 30, 42,
                                                      31, 43, 32, 44, 9,  21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47}));
  Tensor crd = Run1("DepthToSpace", {x}, {{"blocksize", IntAttr(2)}, {"mode", StringAttr("CRD")}});
  EXPECT_EQ(ToVector<float>(crd), (std::vector<float>{0,  6,  1,  7,  2,  8,  12, 18, 13, 19, 14, 20, 3,  9,  4,  10,
                                                      5,  11, 15, 21, 16, 22, 17, 23, 24, 30, 25, 31, 26, 32, 36, 42,
                                                      37, 43, 38, 44, 27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47}));
  ExpectError([&] { Run1("DepthToSpace", {Iota({1, 6, 2, 2})}, {{"blocksize", IntAttr(2)}}); }, ErrorCode::InvalidArgument,
              "not divisible");
  ExpectError([&] { Run1("DepthToSpace", {x}, {{"blocksize", IntAttr(int64_t(1) << 40)}}); }, ErrorCode::InvalidArgument,
              "not divisible");
}

TEST(TensorOpsSpaceToDepth, InvertsDepthToSpace) {
  Tensor x = Iota({2, 3, 4, 6});
  for (const char* mode : {"DCR", "CRD"}) {
    Tensor d = Run1("SpaceToDepth", {x}, {{"blocksize", IntAttr(2)}, {"mode", StringAttr(mode)}});
    EXPECT_EQ(d.shape(), (std::vector<int64_t>{2, 12, 2, 3}));
    Tensor back = Run1("DepthToSpace", {d}, {{"blocksize", IntAttr(2)}, {"mode", StringAttr(mode)}});
    EXPECT_EQ(ToVector<float>(back), ToVector<float>(x)) << mode;
  }
  ExpectError([&] { Run1("SpaceToDepth", {Iota({1, 1, 3, 4})}, {{"blocksize", IntAttr(2)}}); }, ErrorCode::InvalidArgument,
              "divisible");
}

}  // namespace
}  // namespace onyx::testing
