// Conv (ai.onnx 1, 11, 22): N-d convolution with groups, strides, dilations and padding.
// float/double run as GEMMs over im2col patches (1x1 stride-1 convolutions use the input
// directly; with a constant float filter and a 1-D or 2-D window the GEMM packs the patches
// straight from the image, without an im2col matrix); depthwise convolutions (one input channel
// per group) run as a direct loop.
// float16 computes in float.
// com.microsoft FusedConv (the optimizer's Conv + activation fusion, as onnxruntime's) is the same
// kernel with an activation and an optional addend Z of Y's shape: Y = act(conv(X, W) + B + Z).
// Bias, Z and the activation run in the GEMM epilogue, on each block of Y as soon as it is done.
#include <algorithm>
#include <memory>
#include <vector>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "fused_activation_attrs.h"
#include "mlas/gemm.h"
#include "mlas/nn_depthwise.h"
#include "mlas/nn_im2col.h"
#include "nn/nn_common.h"

namespace onyx {

namespace {

inline void Gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                 float* C, int64_t ldc, ThreadPool* pool, const mlas::Epilogue<float>& ep) {
  mlas::Sgemm(false, false, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc, pool, &ep);
}
inline void Gemm(int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B, int64_t ldb,
                 double beta, double* C, int64_t ldc, ThreadPool* pool, const mlas::Epilogue<double>& ep) {
  mlas::Dgemm(false, false, M, N, K, 1.0, A, lda, B, ldb, beta, C, ldc, pool, &ep);
}

// Elements of im2col scratch per call; larger patch matrices are built in column chunks.
constexpr int64_t kColBudget = INT64_C(1) << 22;

struct ConvProblem {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  WindowGeometry geo;
};

mlas::WindowShape ToWindowShape(const WindowGeometry& g) {
  mlas::WindowShape s;
  s.rank = static_cast<int64_t>(g.rank());
  s.input = g.input.data();
  s.output = g.output.data();
  s.kernel = g.kernel.data();
  s.strides = g.strides.data();
  s.dilations = g.dilations.data();
  s.pad_begin = g.pad_begin.data();
  return s;
}

// The filter of each group packed once as the left-hand GEMM operand (Mg x Kg), when it is a
// constant float tensor; empty otherwise.
using PackedFilters = std::vector<mlas::PackedA>;

// What follows the convolution: Y = act(conv + B + Z); Z (optional) has Y's shape. in_place: Z
// is Y's own storage (the session handed Z's block to Y): the products accumulate into it.
template <typename T>
struct ConvOutputOps {
  const T* bias = nullptr;
  const T* addend = nullptr;
  mlas::Activation activation;
  bool in_place = false;
};

template <typename T>
void ConvCompute(const ConvProblem& p, const T* X, const T* W, const ConvOutputOps<T>& ops, T* Y, ThreadPool* pool,
                 const PackedFilters* packed = nullptr) {
  const T* B = ops.bias;
  const WindowGeometry& g = p.geo;
  const int64_t C = p.in_channels, M = p.out_channels, G = p.group;
  const int64_t Cg = C / G, Mg = M / G;
  const int64_t in_size = g.InputSize(), out_size = g.OutputSize(), ksize = g.KernelSize();
  const int64_t Kg = Cg * ksize;
  if (p.batch == 0 || M == 0 || out_size == 0) return;

  bool pointwise = true;
  for (size_t d = 0; d < g.rank(); ++d)
    pointwise = pointwise && g.kernel[d] == 1 && g.strides[d] == 1 && g.pad_begin[d] == 0 && g.pad_end[d] == 0;

  if (Cg == 1 && g.rank() <= 2 && !pointwise) {
    // Depthwise: each output channel reads one input plane.
    const bool two_d = g.rank() == 2;
    mlas::DepthwiseShape s{two_d ? g.input[0] : 1,       g.input.back(),    two_d ? g.kernel[0] : 1, g.kernel.back(),
                           two_d ? g.strides[0] : 1,     g.strides.back(),  two_d ? g.dilations[0] : 1,
                           g.dilations.back(),           two_d ? g.pad_begin[0] : 0, g.pad_begin.back(),
                           two_d ? g.output[0] : 1,      g.output.back()};
    ParallelFor(pool, p.batch * M, static_cast<double>(out_size * ksize) * 2, [&](int64_t b, int64_t e) {
      if (Mg == 1 && !ops.addend) {
        // One plane per channel: runs of channels of one image at once, the kernel applying the
        // activation (Relu and Clip in its stores).
        for (int64_t i = b; i < e;) {
          const int64_t n = i / M, m = i % M, count = std::min(e - i, M - m);
          mlas::DepthwiseConv2dPlanes(X + (n * C + m) * in_size, in_size, W + m * ksize, B ? B + m : nullptr, count, s,
                                      Y + i * out_size, &ops.activation);
          i += count;
        }
        return;
      }
      // In place, each plane of Z is saved before the kernel overwrites it.
      std::vector<T> z_plane(ops.in_place ? static_cast<size_t>(out_size) : 0);
      for (int64_t i = b; i < e; ++i) {
        const int64_t n = i / M, m = i % M, c = m / Mg;
        T* y = Y + i * out_size;
        if (ops.in_place) std::copy(y, y + out_size, z_plane.begin());
        // Without an addend the kernel applies the activation itself (Relu and Clip in its stores).
        mlas::DepthwiseConv2d(X + (n * C + c) * in_size, W + m * ksize, B ? B[m] : T(0), s, y,
                              ops.addend ? nullptr : &ops.activation);
        if (!ops.addend) continue;
        // The plane is still in cache: the addend and the activation now.
        mlas::Epilogue<T> ep;
        ep.addend = ops.in_place ? z_plane.data() : ops.addend + i * out_size;
        ep.activation = ops.activation;
        mlas::ApplyEpilogue(ep, y, out_size, 1, out_size);
      }
    });
    return;
  }

  // The epilogue of group grp's output block starting at y.
  auto epilogue = [&](int64_t grp, const T* y) {
    mlas::Epilogue<T> ep;
    ep.row_bias = B ? B + grp * Mg : nullptr;
    ep.addend = ops.addend && !ops.in_place ? ops.addend + (y - Y) : nullptr;
    ep.activation = ops.activation;
    return ep;
  };
  // In place, Y holds Z and the products add to it (beta = 1) instead of the epilogue adding Z.
  const T beta = ops.in_place ? T(1) : T(0);
  // Y_g (Mg x cols, row stride out_size) = W_g * patches (Kg x cols), then the epilogue on it.
  auto gemm = [&](int64_t grp, int64_t cols, const T* patches, int64_t ld_patches, T* y) {
    const mlas::Epilogue<T> ep = epilogue(grp, y);
    if constexpr (std::is_same_v<T, float>) {
      if (packed) {
        mlas::SgemmPacked((*packed)[grp], false, Mg, cols, Kg, 1.0f, patches, ld_patches, beta, y, out_size, pool, &ep);
        return;
      }
    }
    Gemm(Mg, cols, Kg, W + grp * Mg * Kg, Kg, patches, ld_patches, beta, y, out_size, pool, ep);
  };
  const mlas::WindowShape shape = ToWindowShape(g);
  // A packed filter over a 1-D or 2-D window: the GEMM packs the patches straight from the image,
  // with no im2col matrix in memory.
  bool direct_patches = false;
  if constexpr (std::is_same_v<T, float>) direct_patches = packed && !pointwise && g.rank() <= 2 && out_size > 1;
  int64_t chunk = out_size;
  std::unique_ptr<T[]> col;
  if (!pointwise && !direct_patches) {
    if (Kg > 0 && Kg * out_size > kColBudget) chunk = std::max<int64_t>(kColBudget / Kg, 64);
    chunk = std::min(chunk, out_size);
    col.reset(new T[static_cast<size_t>(std::max<int64_t>(Kg * chunk, 1))]);
  }
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t grp = 0; grp < G; ++grp) {
      const T* xg = X + (n * C + grp * Cg) * in_size;
      T* yg = Y + (n * M + grp * Mg) * out_size;
      if (pointwise) {
        gemm(grp, out_size, xg, in_size, yg);
        continue;
      }
      if constexpr (std::is_same_v<T, float>) {
        if (direct_patches) {
          const mlas::Im2colPanels patches(xg, Cg, shape);
          const mlas::Epilogue<T> ep = epilogue(grp, yg);
          mlas::SgemmPacked((*packed)[grp], patches, Mg, out_size, Kg, 1.0f, beta, yg, out_size, pool, &ep);
          continue;
        }
      }
      for (int64_t o0 = 0; o0 < out_size; o0 += chunk) {
        const int64_t o1 = std::min(out_size, o0 + chunk), cols = o1 - o0;
        mlas::Im2col(xg, Cg, shape, o0, o1, col.get(), pool);
        gemm(grp, cols, col.get(), cols, yg + o0);
      }
    }
  }
}

class Conv final : public OpKernel {
 public:
  // fused: com.microsoft FusedConv (activation attributes, input Z).
  Conv(const KernelInfo& info, bool fused)
      : attrs_(info),
        group_(info.GetInt("group", 1)),
        fused_(fused),
        activation_(fused ? FusedConvActivation(info) : mlas::Activation{}) {
    if (group_ <= 0) throw info.MakeError(ErrorCode::InvalidGraph, "group should be positive, got " + std::to_string(group_));
    PackFilters(info);
  }

  // With packed filters every path below reads only them, except the depthwise loop (one input
  // channel per group), which reads the original.
  bool PackedConstantInput(size_t i) const override { return i == 1 && only_packed_; }

  // Y may be written into Z's storage (a residual whose sum this node is the last to read).
  int InPlaceInput(size_t output) const override { return fused_ && output == 0 ? 3 : -1; }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const Tensor& W = ctx.Input(1);
    const Tensor* B = ctx.OptionalInput(2);
    CheckConvOperands(ctx, X, W, B);
    const ConvShape shape = ResolveConvShape(attrs_, group_, X, W, B, ctx);
    ConvProblem p;
    p.batch = shape.N;
    p.in_channels = shape.C;
    p.out_channels = shape.M;
    p.group = group_;
    p.geo = shape.geo;
    std::vector<int64_t> y_shape = {p.batch, p.out_channels};
    y_shape.insert(y_shape.end(), p.geo.output.begin(), p.geo.output.end());
    const Tensor* Z = fused_ ? ctx.OptionalInput(3) : nullptr;
    if (Z && (Z->dtype() != X.dtype() || Z->shape() != y_shape))
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("input Z should be ") + DataTypeName(X.dtype()) +
                                                          " of the output's shape " + ShapeToString(y_shape) + ", got " +
                                                          DataTypeName(Z->dtype()) + " " + ShapeToString(Z->shape()));
    Tensor& Y = ctx.Output(0, X.dtype(), y_shape);
    // Handed Z's storage (InPlaceInput), Y already holds Z.
    const bool in_place = Z && Z->nbytes() > 0 && Y.raw_data() == Z->raw_data();
    ThreadPool* pool = ctx.thread_pool();
    switch (X.dtype()) {
      case DataType::Float:
        ConvCompute<float>(p, X.data<float>(), W.data<float>(), Ops<float>(B, Z, in_place), Y.data<float>(), pool,
                           PackedFor(W, p) ? &packed_ : nullptr);
        break;
      case DataType::Double:
        ConvCompute<double>(p, X.data<double>(), W.data<double>(), Ops<double>(B, Z, in_place), Y.data<double>(), pool);
        break;
      case DataType::Float16:
      case DataType::BFloat16: {
        Tensor xf = ToFloatTensor(X), wf = ToFloatTensor(W), bf, zf, yf(DataType::Float, y_shape);
        if (B) bf = ToFloatTensor(*B);
        if (Z) zf = ToFloatTensor(*Z);
        ConvCompute<float>(p, xf.data<float>(), wf.data<float>(), Ops<float>(B ? &bf : nullptr, Z ? &zf : nullptr),
                           yf.data<float>(), pool);
        FromFloatTensor(yf, Y);
        break;
      }
      default:
        throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(X.dtype()) + " is not supported");
    }
  }

 private:
  template <typename T>
  ConvOutputOps<T> Ops(const Tensor* B, const Tensor* Z, bool in_place = false) const {
    ConvOutputOps<T> ops;
    ops.bias = B ? B->data<T>() : nullptr;
    ops.addend = Z ? Z->data<T>() : nullptr;
    ops.activation = activation_;
    ops.in_place = in_place;
    return ops;
  }

  // A constant float filter is packed per group at creation (immutable afterwards, so shared by
  // concurrent runs). Not when every input is constant (constant folding runs the kernel once),
  // nor for one output channel per group (depthwise: direct loop or matrix-vector products).
  void PackFilters(const KernelInfo& info) {
    const Tensor* w = info.ConstantInput(1);
    if (!w || info.ConstantInput(0) || !w->on_cpu() || w->dtype() != DataType::Float || w->rank() < 3 ||
        w->size() == 0 || w->shape()[0] % group_ != 0)
      return;
    const int64_t M = w->shape()[0], Mg = M / group_, Kg = w->size() / M;
    if (Mg <= 1) return;
    packed_.reserve(static_cast<size_t>(group_));
    for (int64_t g = 0; g < group_; ++g) packed_.push_back(mlas::PackA(false, Mg, Kg, w->data<float>() + g * Mg * Kg, Kg));
    only_packed_ = w->shape()[1] > 1;
  }

  // Whether the packed filters are those of W for this problem.
  bool PackedFor(const Tensor& W, const ConvProblem& p) const {
    if (packed_.size() != static_cast<size_t>(p.group) || W.shape()[0] == 0) return false;
    return packed_[0].M() == p.out_channels / p.group && packed_[0].K() == W.size() / W.shape()[0];
  }

  WindowAttributes attrs_;
  int64_t group_;
  bool fused_;
  mlas::Activation activation_;
  PackedFilters packed_;
  bool only_packed_ = false;  // see PackedConstantInput
};

}  // namespace

void RegisterConvKernels(KernelRegistry& r) {
  auto factory = [](bool fused) -> KernelFactory {
    return [fused](const KernelInfo& info) -> std::unique_ptr<OpKernel> { return std::make_unique<Conv>(info, fused); };
  };
  r.Register({kCpuProvider, "", "Conv", 1, INT64_MAX, {DataType::Float, DataType::Double, DataType::Float16}, factory(false)});
  r.Register({kCpuProvider, "com.microsoft", "FusedConv", 1, INT64_MAX, {DataType::Float, DataType::Double, DataType::Float16},
              factory(true)});
}

}  // namespace onyx
