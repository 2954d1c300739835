// ConvTranspose (ai.onnx 1, 11, 22): the gradient of Conv with respect to its input. Computed
// per group as col = W^T x X, then col2im adds every column into the output image.
#include <cstring>
#include <algorithm>
#include <memory>
#include <vector>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "mlas/gemm.h"
#include "mlas/nn_im2col.h"
#include "nn/nn_common.h"

namespace onyx {

namespace {

inline void GemmTransA(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                       float* C, int64_t ldc, ThreadPool* pool) {
  mlas::Sgemm(true, false, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc, pool);
}
inline void GemmTransA(int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B, int64_t ldb,
                       double* C, int64_t ldc, ThreadPool* pool) {
  mlas::Dgemm(true, false, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, ldc, pool);
}

constexpr int64_t kColBudget = INT64_C(1) << 22;

struct TransposeProblem {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  // Spatial geometry seen from the equivalent Conv: `input` is Y's spatial shape and `output`
  // is X's.
  std::vector<int64_t> y_spatial, x_spatial, kernel, strides, dilations, pad_begin;
};

// W^T of each group packed once as the left-hand GEMM operand (Mg * ksize x Cg), when W is a
// constant float tensor; empty otherwise.
using PackedFilters = std::vector<mlas::PackedA>;

template <typename T>
void ConvTransposeCompute(const TransposeProblem& p, const T* X, const T* W, const T* B, T* Y, ThreadPool* pool,
                          const PackedFilters* packed = nullptr) {
  const int64_t C = p.in_channels, M = p.out_channels, G = p.group, Cg = C / G, Mg = M / G;
  const int64_t x_size = ShapeSize(p.x_spatial), y_size = ShapeSize(p.y_spatial), ksize = ShapeSize(p.kernel);
  const int64_t rows = Mg * ksize;
  mlas::WindowShape s;
  s.rank = static_cast<int64_t>(p.kernel.size());
  s.input = p.y_spatial.data();
  s.output = p.x_spatial.data();
  s.kernel = p.kernel.data();
  s.strides = p.strides.data();
  s.dilations = p.dilations.data();
  s.pad_begin = p.pad_begin.data();
  // The output tensor starts zeroed; bias is added at the end.
  if (x_size > 0 && rows > 0) {
    int64_t chunk = x_size;
    if (rows * x_size > kColBudget) chunk = std::max<int64_t>(kColBudget / rows, 64);
    chunk = std::min(chunk, x_size);
    std::unique_ptr<T[]> col(new T[static_cast<size_t>(rows * chunk)]);
    for (int64_t n = 0; n < p.batch; ++n) {
      for (int64_t grp = 0; grp < G; ++grp) {
        const T* xg = X + (n * C + grp * Cg) * x_size;
        const T* wg = W + grp * Cg * rows;  // Cg x (Mg * ksize)
        T* yg = Y + (n * M + grp * Mg) * y_size;
        for (int64_t i0 = 0; i0 < x_size; i0 += chunk) {
          const int64_t i1 = std::min(x_size, i0 + chunk), cols = i1 - i0;
          bool done = false;
          if constexpr (std::is_same_v<T, float>) {
            // One column is a matrix-vector product, better served reading the original filter.
            if (packed && cols > 1) {
              mlas::SgemmPacked((*packed)[grp], false, rows, cols, Cg, 1.0f, xg + i0, x_size, 0.0f, col.get(), cols, pool);
              done = true;
            }
          }
          if (!done) GemmTransA(rows, cols, Cg, wg, rows, xg + i0, x_size, col.get(), cols, pool);
          mlas::Col2imAdd(col.get(), Mg, s, i0, i1, yg, pool);
        }
      }
    }
  }
  if (B) AddChannelBias(Y, B, p.batch, M, y_size, pool);
}

class ConvTranspose final : public OpKernel {
 public:
  explicit ConvTranspose(const KernelInfo& info)
      : attrs_(info),
        group_(info.GetInt("group", 1)),
        output_padding_(info.GetInts("output_padding")),
        output_shape_(info.GetInts("output_shape")) {
    if (group_ <= 0) throw info.MakeError(ErrorCode::InvalidGraph, "group should be positive, got " + std::to_string(group_));
    PackFilters(info);
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const Tensor& W = ctx.Input(1);
    const Tensor* B = ctx.OptionalInput(2);
    CheckConvOperands(ctx, X, W, B);
    ConvTransposeShape shape = ResolveConvTransposeShape(attrs_, group_, output_padding_, output_shape_, X, W, B, ctx);
    TransposeProblem p;
    p.batch = shape.N;
    p.in_channels = shape.C;
    p.group = group_;
    p.out_channels = shape.M;
    p.x_spatial = std::move(shape.x_spatial);
    p.kernel = std::move(shape.kernel);
    p.strides = std::move(shape.strides);
    p.dilations = std::move(shape.dilations);
    p.pad_begin = std::move(shape.pad_begin);
    p.y_spatial = std::move(shape.y_spatial);
    std::vector<int64_t> y_shape = {p.batch, p.out_channels};
    y_shape.insert(y_shape.end(), p.y_spatial.begin(), p.y_spatial.end());
    Tensor& Y = ctx.Output(0, X.dtype(), y_shape);
    std::memset(Y.raw_data(), 0, Y.nbytes());  // the column products are added into Y
    ThreadPool* pool = ctx.thread_pool();
    switch (X.dtype()) {
      case DataType::Float:
        ConvTransposeCompute<float>(p, X.data<float>(), W.data<float>(), B ? B->data<float>() : nullptr, Y.data<float>(), pool,
                                    PackedFor(W, p) ? &packed_ : nullptr);
        break;
      case DataType::Double:
        ConvTransposeCompute<double>(p, X.data<double>(), W.data<double>(), B ? B->data<double>() : nullptr,
                                     Y.data<double>(), pool);
        break;
      case DataType::Float16:
      case DataType::BFloat16: {
        Tensor xf = ToFloatTensor(X), wf = ToFloatTensor(W), bf, yf(DataType::Float, y_shape);
        if (B) bf = ToFloatTensor(*B);
        ConvTransposeCompute<float>(p, xf.data<float>(), wf.data<float>(), B ? bf.data<float>() : nullptr,
                                    yf.data<float>(), pool);
        FromFloatTensor(yf, Y);
        break;
      }
      default:
        throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(X.dtype()) + " is not supported");
    }
  }

 private:
  // A constant float W is packed per group at creation as the transposed left-hand side
  // (immutable afterwards, so shared by concurrent runs); not when every input is constant
  // (constant folding runs the kernel once).
  void PackFilters(const KernelInfo& info) {
    const Tensor* w = info.ConstantInput(1);
    if (!w || info.ConstantInput(0) || !w->on_cpu() || w->dtype() != DataType::Float || w->rank() < 3 ||
        w->size() == 0 || w->shape()[0] % group_ != 0)
      return;
    const int64_t C = w->shape()[0], Cg = C / group_, rows = w->size() / C;
    packed_.reserve(static_cast<size_t>(group_));
    for (int64_t g = 0; g < group_; ++g)
      packed_.push_back(mlas::PackA(true, rows, Cg, w->data<float>() + g * Cg * rows, rows));
  }

  // Whether the packed filters are those of W for this problem.
  bool PackedFor(const Tensor& W, const TransposeProblem& p) const {
    if (packed_.size() != static_cast<size_t>(p.group) || W.shape()[0] == 0) return false;
    return packed_[0].M() == W.size() / W.shape()[0] && packed_[0].K() == p.in_channels / p.group;
  }

  WindowAttributes attrs_;
  int64_t group_;
  std::vector<int64_t> output_padding_, output_shape_;
  PackedFilters packed_;
};

}  // namespace

void RegisterConvTransposeKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "ConvTranspose", 1, INT64_MAX, {DataType::Float, DataType::Double, DataType::Float16},
              MakeFactory<ConvTranspose>()});
}

}  // namespace onyx
