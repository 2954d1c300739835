// Integer matrix products and convolutions: MatMulInteger, QLinearMatMul, ConvInteger,
// QLinearConv. Operands are shifted by their zero points into int16 and multiplied with an
// int32 accumulator; the QLinear ops then requantize with the combined scale.
#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "mlas/nn_im2col.h"
#include "mlas/quant_gemm.h"
#include "nn/nn_common.h"
#include "quantization/quantization_common.h"

namespace onyx::quant {

namespace {

bool Is8Bit(DataType t) { return t == DataType::UInt8 || t == DataType::Int8; }

void Check8Bit(const Tensor& t, const KernelContext& ctx, const char* name) {
  if (!Is8Bit(t.dtype()))
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " must be uint8 or int8, got " + DataTypeName(t.dtype()));
}

// Zero points as int32 (0 when the input is omitted).
std::vector<int32_t> ReadZeroPoints(const Tensor* zp, DataType expect, const KernelContext& ctx, const char* name) {
  if (!zp) return {0};
  if (zp->dtype() != expect)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " type " + DataTypeName(zp->dtype()) +
                                                        " differs from its input type " + DataTypeName(expect));
  if (zp->size() == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " is empty");
  std::vector<int32_t> v(static_cast<size_t>(zp->size()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(LoadInteger(*zp, static_cast<int64_t>(i)));
  return v;
}

// Batched numpy-matmul geometry with 1-D promotion and broadcast batch dims.
struct MatMulPlan {
  int64_t M = 0, K = 0, N = 0;
  int64_t a_mats = 1, b_mats = 1;
  std::vector<int64_t> out_shape;
  std::vector<int64_t> a_index, b_index;  // matrix index of A and B for each output matrix
};

MatMulPlan PlanMatMul(const std::vector<int64_t>& a, const std::vector<int64_t>& b, const KernelContext& ctx) {
  if (a.empty() || b.empty())
    throw ctx.MakeError(ErrorCode::InvalidArgument, "inputs must have rank >= 1, got " + ShapeToString(a) + " and " + ShapeToString(b));
  std::vector<int64_t> as = a.size() == 1 ? std::vector<int64_t>{1, a[0]} : a;
  std::vector<int64_t> bs = b.size() == 1 ? std::vector<int64_t>{b[0], 1} : b;
  MatMulPlan p;
  p.M = as[as.size() - 2];
  p.K = as.back();
  p.N = bs.back();
  if (bs[bs.size() - 2] != p.K)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "shapes " + ShapeToString(a) + " and " + ShapeToString(b) +
                                                        " cannot be multiplied");
  std::vector<int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  std::vector<int64_t> ob = BroadcastShapes(ab, bb, ctx);
  p.a_mats = ShapeSize(ab);
  p.b_mats = ShapeSize(bb);
  const std::vector<int64_t> sa = BroadcastStrides(ab, ob), sb = BroadcastStrides(bb, ob);
  const int64_t nb = ShapeSize(ob);
  p.a_index.resize(static_cast<size_t>(nb));
  p.b_index.resize(static_cast<size_t>(nb));
  std::vector<int64_t> idx(ob.size(), 0);
  for (int64_t i = 0; i < nb; ++i) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < ob.size(); ++d) {
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    p.a_index[i] = ia;
    p.b_index[i] = ib;
    for (size_t d = ob.size(); d-- > 0;) {
      if (++idx[d] < ob[d]) break;
      idx[d] = 0;
    }
  }
  p.out_shape = ob;
  if (a.size() > 1) p.out_shape.push_back(p.M);
  if (b.size() > 1) p.out_shape.push_back(p.N);
  return p;
}

// Index of the per-row (A) or per-column (B) parameter for row/column r of matrix `mat`, for a
// parameter of `size` elements: one value, one per row/column, or one per row/column of every
// matrix of the input.
int64_t ParamIndex(int64_t size, int64_t count, int64_t mats, int64_t mat, int64_t r) {
  if (size == 1) return 0;
  if (size == count) return r;
  return mat * count + r;
}

void CheckParamSize(int64_t size, int64_t count, int64_t mats, const KernelContext& ctx, const char* name) {
  if (size != 1 && size != count && size != count * mats)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " has " + std::to_string(size) +
                                                        " elements; expected 1, " + std::to_string(count) + " or " +
                                                        std::to_string(count * mats));
}

// Runs the int32 product of every output matrix into `acc` ([batch, M, N]).
void IntegerMatMul(const Tensor& A, const Tensor& B, const std::vector<int32_t>& azp, const std::vector<int32_t>& bzp,
                   const MatMulPlan& p, int32_t* acc, const KernelContext& ctx) {
  const int64_t M = p.M, K = p.K, N = p.N;
  CheckParamSize(static_cast<int64_t>(azp.size()), M, p.a_mats, ctx, "a_zero_point");
  CheckParamSize(static_cast<int64_t>(bzp.size()), N, p.b_mats, ctx, "b_zero_point");
  std::vector<int16_t> a16(static_cast<size_t>(M * K)), b16(static_cast<size_t>(K * N));
  int64_t last_a = -1, last_b = -1;
  for (size_t i = 0; i < p.a_index.size(); ++i) {
    const int64_t ia = p.a_index[i], ib = p.b_index[i];
    if (ia != last_a) {
      for (int64_t m = 0; m < M; ++m) {
        const int32_t z = azp[ParamIndex(azp.size(), M, p.a_mats, ia, m)];
        for (int64_t k = 0; k < K; ++k)
          a16[m * K + k] = static_cast<int16_t>(LoadInteger(A, (ia * M + m) * K + k) - z);
      }
      last_a = ia;
    }
    if (ib != last_b) {
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n)
          b16[k * N + n] = static_cast<int16_t>(LoadInteger(B, (ib * K + k) * N + n) -
                                                bzp[ParamIndex(bzp.size(), N, p.b_mats, ib, n)]);
      last_b = ib;
    }
    mlas::QGemmS16S16S32(M, N, K, a16.data(), K, b16.data(), N, acc + static_cast<int64_t>(i) * M * N, N,
                         ctx.thread_pool());
  }
}

class MatMulIntegerKernel final : public OpKernel {
 public:
  explicit MatMulIntegerKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(1);
    Check8Bit(A, ctx, "A");
    Check8Bit(B, ctx, "B");
    const MatMulPlan p = PlanMatMul(A.shape(), B.shape(), ctx);
    const auto azp = ReadZeroPoints(ctx.OptionalInput(2), A.dtype(), ctx, "a_zero_point");
    const auto bzp = ReadZeroPoints(ctx.OptionalInput(3), B.dtype(), ctx, "b_zero_point");
    Tensor& Y = ctx.Output(0, DataType::Int32, p.out_shape);
    if (Y.size() == 0) return;
    IntegerMatMul(A, B, azp, bzp, p, Y.data<int32_t>(), ctx);
  }
};

// Rounds to the precision of the scale type, so that a*b/c matches arithmetic in that type.
float RoundToType(float v, DataType t) {
  if (t == DataType::Float16) return HalfToFloat(FloatToHalf(v));
  if (t == DataType::BFloat16) return BFloat16ToFloat(FloatToBFloat16(v));
  return v;
}

// Writes clip(rint(acc * multiplier + zp)) into the 8-bit output.
inline void StoreRequantized(double v, DataType out, void* y, int64_t i) {
  v = std::nearbyint(v);
  if (out == DataType::UInt8) {
    static_cast<uint8_t*>(y)[i] = static_cast<uint8_t>(std::isnan(v) ? 0 : std::clamp(v, 0.0, 255.0));
  } else {
    static_cast<int8_t*>(y)[i] = static_cast<int8_t>(std::isnan(v) ? 0 : std::clamp(v, -128.0, 127.0));
  }
}

class QLinearMatMulKernel final : public OpKernel {
 public:
  explicit QLinearMatMulKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(3);
    Check8Bit(A, ctx, "a");
    Check8Bit(B, ctx, "b");
    const MatMulPlan p = PlanMatMul(A.shape(), B.shape(), ctx);
    const auto azp = ReadZeroPoints(ctx.OptionalInput(2), A.dtype(), ctx, "a_zero_point");
    const auto bzp = ReadZeroPoints(ctx.OptionalInput(5), B.dtype(), ctx, "b_zero_point");
    const Tensor* yzp_t = ctx.OptionalInput(7);
    const DataType out_type = yzp_t ? yzp_t->dtype() : A.dtype();
    if (!Is8Bit(out_type)) throw ctx.MakeError(ErrorCode::InvalidArgument, "y_zero_point must be uint8 or int8");
    const auto yzp = ReadZeroPoints(yzp_t, out_type, ctx, "y_zero_point");
    const Tensor& as_t = ctx.Input(1);
    const DataType st = as_t.dtype();
    const auto as = ReadFloats(as_t, ctx, "a_scale");
    const auto bs = ReadFloats(ctx.Input(4), ctx, "b_scale");
    const auto ys = ReadFloats(ctx.Input(6), ctx, "y_scale");
    if (ys.size() != 1 || yzp.size() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "y_scale and y_zero_point must be scalars");
    CheckParamSize(static_cast<int64_t>(as.size()), p.M, p.a_mats, ctx, "a_scale");
    CheckParamSize(static_cast<int64_t>(bs.size()), p.N, p.b_mats, ctx, "b_scale");
    Tensor& Y = ctx.Output(0, out_type, p.out_shape);
    if (Y.size() == 0) return;
    std::vector<int32_t> acc(static_cast<size_t>(Y.size()));
    IntegerMatMul(A, B, azp, bzp, p, acc.data(), ctx);
    const int64_t M = p.M, N = p.N;
    for (size_t i = 0; i < p.a_index.size(); ++i) {
      const int64_t ia = p.a_index[i], ib = p.b_index[i];
      for (int64_t m = 0; m < M; ++m) {
        const float sa = as[ParamIndex(as.size(), M, p.a_mats, ia, m)];
        for (int64_t n = 0; n < N; ++n) {
          const float sb = bs[ParamIndex(bs.size(), N, p.b_mats, ib, n)];
          const float mult = RoundToType(RoundToType(sa * sb, st) / ys[0], st);
          const int64_t o = (static_cast<int64_t>(i) * M + m) * N + n;
          StoreRequantized(static_cast<double>(acc[o]) * mult + yzp[0], out_type, Y.raw_data(), o);
        }
      }
    }
  }
};

// Shared by ConvInteger and QLinearConv: the int32 convolution of (x - x_zp) and (w - w_zp).
class IntegerConvBase : public OpKernel {
 public:
  explicit IntegerConvBase(const KernelInfo& info) : attrs_(info), group_(info.GetInt("group", 1)) {
    if (group_ <= 0) throw info.MakeError(ErrorCode::InvalidGraph, "group should be positive, got " + std::to_string(group_));
  }

 protected:
  // Returns the int32 output [N, M, out spatial...] (shape in `out_shape`).
  std::vector<int32_t> Convolve(const Tensor& X, const Tensor& W, int32_t xzp, const std::vector<int32_t>& wzp,
                                std::vector<int64_t>& out_shape, const KernelContext& ctx) const {
    if (X.rank() < 3 || W.rank() != X.rank())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "x must be [N, C, spatial...] and w [M, C/group, kernel...] of the same rank, got " +
                                                          ShapeToString(X.shape()) + " and " + ShapeToString(W.shape()));
    const int64_t batch = X.dim(0), C = X.dim(1), M = W.dim(0), G = group_;
    if (C % G != 0 || W.dim(1) * G != C || M % G != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "channels of x " + ShapeToString(X.shape()) + " and w " +
                                                          ShapeToString(W.shape()) + " do not fit group " + std::to_string(G));
    if (wzp.size() != 1 && static_cast<int64_t>(wzp.size()) != M)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "w_zero_point must have 1 or " + std::to_string(M) + " elements, got " +
                                                          std::to_string(wzp.size()));
    const std::vector<int64_t> in_sp(X.shape().begin() + 2, X.shape().end());
    const std::vector<int64_t> w_kernel(W.shape().begin() + 2, W.shape().end());
    if (!attrs_.kernel_shape.empty() && attrs_.kernel_shape != w_kernel)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "kernel_shape " + ShapeToString(attrs_.kernel_shape) +
                                                          " differs from the weight's " + ShapeToString(w_kernel));
    const WindowGeometry g = ComputeWindowGeometry(attrs_, in_sp, w_kernel, ctx);
    out_shape = {batch, M};
    out_shape.insert(out_shape.end(), g.output.begin(), g.output.end());
    std::vector<int32_t> out(static_cast<size_t>(ShapeSize(out_shape)));
    const int64_t Cg = C / G, Mg = M / G, ks = g.KernelSize(), in_size = g.InputSize(), os = g.OutputSize();
    const int64_t Kc = Cg * ks;
    if (out.empty() || Kc == 0) return out;
    // Weights as [M, Cg * ks] int16 with the per-channel zero point removed.
    std::vector<int16_t> w16(static_cast<size_t>(M * Kc));
    for (int64_t m = 0; m < M; ++m) {
      const int32_t z = wzp.size() == 1 ? wzp[0] : wzp[m];
      for (int64_t k = 0; k < Kc; ++k) w16[m * Kc + k] = static_cast<int16_t>(LoadInteger(W, m * Kc + k) - z);
    }
    mlas::WindowShape ws;
    ws.rank = static_cast<int64_t>(g.rank());
    ws.input = g.input.data();
    ws.output = g.output.data();
    ws.kernel = g.kernel.data();
    ws.strides = g.strides.data();
    ws.dilations = g.dilations.data();
    ws.pad_begin = g.pad_begin.data();
    // Patches are gathered in float (exact for shifted 8-bit values; padding reads as 0, i.e.
    // the zero point) and narrowed to int16 for the integer product.
    std::vector<float> image(static_cast<size_t>(Cg * in_size)), colf(static_cast<size_t>(Kc * os));
    std::vector<int16_t> col(static_cast<size_t>(Kc * os));
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t gi = 0; gi < G; ++gi) {
        const int64_t x0 = (n * C + gi * Cg) * in_size;
        for (int64_t i = 0; i < Cg * in_size; ++i) image[i] = static_cast<float>(LoadInteger(X, x0 + i) - xzp);
        mlas::Im2col(image.data(), Cg, ws, 0, os, colf.data(), ctx.thread_pool());
        for (size_t i = 0; i < col.size(); ++i) col[i] = static_cast<int16_t>(colf[i]);
        mlas::QGemmS16S16S32(Mg, os, Kc, w16.data() + gi * Mg * Kc, Kc, col.data(), os,
                             out.data() + (n * M + gi * Mg) * os, os, ctx.thread_pool());
      }
    }
    return out;
  }

  WindowAttributes attrs_;
  int64_t group_;
};

class ConvIntegerKernel final : public IntegerConvBase {
 public:
  using IntegerConvBase::IntegerConvBase;
  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const Tensor& W = ctx.Input(1);
    Check8Bit(X, ctx, "x");
    Check8Bit(W, ctx, "w");
    const auto xzp = ReadZeroPoints(ctx.OptionalInput(2), X.dtype(), ctx, "x_zero_point");
    const auto wzp = ReadZeroPoints(ctx.OptionalInput(3), W.dtype(), ctx, "w_zero_point");
    if (xzp.size() != 1) throw ctx.MakeError(ErrorCode::InvalidArgument, "x_zero_point must be a scalar");
    std::vector<int64_t> shape;
    std::vector<int32_t> acc = Convolve(X, W, xzp[0], wzp, shape, ctx);
    Tensor& Y = ctx.Output(0, DataType::Int32, shape);
    std::copy(acc.begin(), acc.end(), Y.data<int32_t>());
  }
};

class QLinearConvKernel final : public IntegerConvBase {
 public:
  using IntegerConvBase::IntegerConvBase;
  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const Tensor& W = ctx.Input(3);
    Check8Bit(X, ctx, "x");
    Check8Bit(W, ctx, "w");
    const auto xzp = ReadZeroPoints(ctx.OptionalInput(2), X.dtype(), ctx, "x_zero_point");
    const auto wzp = ReadZeroPoints(ctx.OptionalInput(5), W.dtype(), ctx, "w_zero_point");
    const Tensor* yzp_t = ctx.OptionalInput(7);
    const DataType out_type = yzp_t ? yzp_t->dtype() : X.dtype();
    if (!Is8Bit(out_type)) throw ctx.MakeError(ErrorCode::InvalidArgument, "y_zero_point must be uint8 or int8");
    const auto yzp = ReadZeroPoints(yzp_t, out_type, ctx, "y_zero_point");
    const auto xs = ReadFloats(ctx.Input(1), ctx, "x_scale");
    const auto wsc = ReadFloats(ctx.Input(4), ctx, "w_scale");
    const auto ys = ReadFloats(ctx.Input(6), ctx, "y_scale");
    if (xzp.size() != 1 || xs.size() != 1 || ys.size() != 1 || yzp.size() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "x and y scales and zero points must be scalars");
    const int64_t M = W.rank() > 0 ? W.dim(0) : 0;
    if (wsc.size() != 1 && static_cast<int64_t>(wsc.size()) != M)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "w_scale must have 1 or " + std::to_string(M) + " elements, got " +
                                                          std::to_string(wsc.size()));
    const Tensor* bias = ctx.OptionalInput(8);
    if (bias && (bias->dtype() != DataType::Int32 || bias->size() != M))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "B must be int32 with " + std::to_string(M) + " elements, got " +
                                                          DataTypeName(bias->dtype()) + " " + ShapeToString(bias->shape()));
    std::vector<int64_t> shape;
    std::vector<int32_t> acc = Convolve(X, W, xzp[0], wzp, shape, ctx);
    Tensor& Y = ctx.Output(0, out_type, shape);
    if (Y.size() == 0) return;
    const int64_t os = Y.size() / (shape[0] * M);
    const DataType st = ctx.Input(1).dtype();
    for (int64_t n = 0; n < shape[0]; ++n) {
      for (int64_t m = 0; m < M; ++m) {
        const float mult = RoundToType(RoundToType(xs[0] * wsc[wsc.size() == 1 ? 0 : m], st) / ys[0], st);
        const int32_t b = bias ? bias->data<int32_t>()[m] : 0;
        const int64_t base = (n * M + m) * os;
        for (int64_t i = 0; i < os; ++i)
          StoreRequantized(static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(acc[base + i]) + static_cast<uint32_t>(b))) * mult + yzp[0],
                           out_type, Y.raw_data(), base + i);
      }
    }
  }
};

void Reg(KernelRegistry& r, const char* op, int64_t since, KernelFactory f) {
  r.Register({kCpuProvider, "", op, since, INT64_MAX, {DataType::UInt8, DataType::Int8}, std::move(f)});
}

}  // namespace

void RegisterQLinearKernels(KernelRegistry& r) {
  Reg(r, "MatMulInteger", 10, MakeFactory<MatMulIntegerKernel>());
  Reg(r, "QLinearMatMul", 10, MakeFactory<QLinearMatMulKernel>());
  Reg(r, "ConvInteger", 10, MakeFactory<ConvIntegerKernel>());
  Reg(r, "QLinearConv", 10, MakeFactory<QLinearConvKernel>());
}

}  // namespace onyx::quant
