// LayerNormalization (ai.onnx 17): normalizes each row of the trailing dims from `axis` on,
// then applies Scale and B broadcast over those dims. Mean and InvStdDev are optional outputs.
#include <cmath>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "mlas/nn_reduce.h"
#include "mlas/elementwise_f32.h"
#include "nn/nn_common.h"

namespace onyx {

namespace {

// The values of a Scale/B tensor broadcast to `norm_shape`, as T.
template <typename T>
std::vector<T> ExpandParam(const Tensor& p, const std::vector<int64_t>& norm_shape, const KernelContext& ctx,
                           const char* name) {
  const int64_t n = ShapeSize(norm_shape);
  std::vector<T> src(static_cast<size_t>(p.size()));
  for (int64_t i = 0; i < p.size(); ++i) {
    switch (p.dtype()) {
      case DataType::Float: src[i] = static_cast<T>(p.data<float>()[i]); break;
      case DataType::Double: src[i] = static_cast<T>(p.data<double>()[i]); break;
      case DataType::Float16: src[i] = static_cast<T>(HalfToFloat(p.data<uint16_t>()[i])); break;
      case DataType::BFloat16: src[i] = static_cast<T>(BFloat16ToFloat(p.data<uint16_t>()[i])); break;
      default:
        throw ctx.MakeError(ErrorCode::NotImplemented, std::string(name) + " of element type " + DataTypeName(p.dtype()) + " is not supported");
    }
  }
  if (p.size() == n) return src;
  const size_t r = norm_shape.size();
  const std::vector<int64_t> trimmed = LayerNormParamShape(p.shape(), norm_shape, name, ctx);
  const std::vector<int64_t> strides = BroadcastStrides(trimmed, norm_shape);
  std::vector<T> out(static_cast<size_t>(n));
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d) off += idx[d] * strides[d];
    out[i] = src[off];
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < norm_shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

class LayerNormalization final : public OpKernel {
 public:
  explicit LayerNormalization(const KernelInfo& info)
      : axis_(info.GetInt("axis", -1)), epsilon_(info.GetFloat("epsilon", 1e-5f)), stash_type_(info.GetInt("stash_type", 1)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const Tensor& S = ctx.Input(1);
    const Tensor* B = ctx.OptionalInput(2);
    const DataType dt = X.dtype();
    if (dt != DataType::Float && dt != DataType::Double && !IsHalfType(dt))
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
    const LayerNormLayout layout = ResolveLayerNormLayout(X.shape(), axis_, ctx);
    const std::vector<int64_t>& norm_shape = layout.norm_shape;
    const std::vector<int64_t>& stat_shape = layout.stat_shape;
    const int64_t n = layout.n, rows = layout.rows;
    Tensor& Y = ctx.Output(0, dt, X.shape());
    const DataType stat_type = stash_type_ == static_cast<int64_t>(DataType::Double) ? DataType::Double : DataType::Float;
    Tensor* mean_out = ctx.has_output(1) ? &ctx.Output(1, stat_type, stat_shape) : nullptr;
    Tensor* inv_out = ctx.has_output(2) ? &ctx.Output(2, stat_type, stat_shape) : nullptr;
    auto store = [&](Tensor* t, int64_t i, double v) {
      if (!t) return;
      if (stat_type == DataType::Double) t->data<double>()[i] = v;
      else t->data<float>()[i] = static_cast<float>(v);
    };
    ThreadPool* pool = ctx.thread_pool();
    if (dt == DataType::Double) {
      const std::vector<double> scale = ExpandParam<double>(S, norm_shape, ctx, "Scale");
      const std::vector<double> bias = B ? ExpandParam<double>(*B, norm_shape, ctx, "B") : std::vector<double>();
      const double* x = X.data<double>();
      double* y = Y.data<double>();
      ParallelFor(pool, rows, static_cast<double>(n) * 4, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          const double* xr = x + r * n;
          double s = 0, ss = 0;
          for (int64_t i = 0; i < n; ++i) s += xr[i];
          const double mean = s / static_cast<double>(n);
          for (int64_t i = 0; i < n; ++i) ss += (xr[i] - mean) * (xr[i] - mean);
          const double inv = 1.0 / std::sqrt(ss / static_cast<double>(n) + static_cast<double>(epsilon_));
          for (int64_t i = 0; i < n; ++i) y[r * n + i] = (xr[i] - mean) * inv * scale[i] + (B ? bias[i] : 0.0);
          store(mean_out, r, mean);
          store(inv_out, r, inv);
        }
      });
      return;
    }
    // float and the 16-bit types compute in float.
    std::vector<float> scale_buf, bias_buf;
    const float* scale;
    const float* bias = nullptr;
    if (S.dtype() == DataType::Float && S.size() == n) {
      scale = S.data<float>();
    } else {
      scale_buf = ExpandParam<float>(S, norm_shape, ctx, "Scale");
      scale = scale_buf.data();
    }
    if (B) {
      if (B->dtype() == DataType::Float && B->size() == n) {
        bias = B->data<float>();
      } else {
        bias_buf = ExpandParam<float>(*B, norm_shape, ctx, "B");
        bias = bias_buf.data();
      }
    }
    Tensor xf, yf;
    const float* x;
    float* y;
    if (dt == DataType::Float) {
      x = X.data<float>();
      y = Y.data<float>();
    } else {
      xf = ToFloatTensor(X);
      yf = Tensor(DataType::Float, X.shape());
      x = xf.data<float>();
      y = yf.data<float>();
    }
    ParallelFor(pool, rows, static_cast<double>(n) * 4, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* xr = x + r * n;
        const float mean = mlas::RowSum(xr, n) / static_cast<float>(n);
        const float var = mlas::RowSumSquaredDiff(xr, n, mean) / static_cast<float>(n);
        const float inv = 1.0f / std::sqrt(var + epsilon_);
        mlas::RowNormalize(xr, n, mean, inv, scale, bias, y + r * n);
        store(mean_out, r, mean);
        store(inv_out, r, inv);
      }
    });
    if (dt != DataType::Float) FromFloatTensor(yf, Y);
  }

 private:
  int64_t axis_;
  float epsilon_;
  int64_t stash_type_;
};

// com.microsoft SkipLayerNormalization (onnxruntime's contrib op), written by the optimizer's
// SkipLayerNormFusion for Add(input, skip) -> LayerNormalization over the last axis:
//   inputs  input, skip, gamma, beta (optional), bias (optional)
//   outputs output, mean (optional), inv_std_var (optional), input_skip_bias_sum (optional)
// sum = input + skip (+ bias), output = (sum - mean) / sqrt(var + epsilon) * gamma (+ beta), over
// the last dim. One task per block of rows; each row's sum is normalised while it is in cache, with
// the same float steps as LayerNormalization above, so the fusion changes no bit. Float only, as
// onnxruntime's CPU kernel. skip is input's shape or its trailing dims (one block for every row
// group; or the other way round); gamma, beta and bias are vectors of the hidden size.
class SkipLayerNormalization final : public OpKernel {
 public:
  explicit SkipLayerNormalization(const KernelInfo& info) : epsilon_(info.GetFloat("epsilon", 1e-12f)) {}

  void Compute(KernelContext& ctx) const override {
    // The addition commutes: the larger operand gives the shape, the other repeats over its
    // leading dims (as Add broadcasts it).
    const bool swap = ctx.Input(1).size() > ctx.Input(0).size();
    const Tensor& X = ctx.Input(swap ? 1 : 0);
    const Tensor& skip = ctx.Input(swap ? 0 : 1);
    const Tensor& gamma = ctx.Input(2);
    const Tensor* beta = ctx.OptionalInput(3);
    const Tensor* bias = ctx.OptionalInput(4);
    if (X.dtype() != DataType::Float)
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(X.dtype()) + " is not supported");
    if (X.rank() < 1 || X.dim(X.rank() - 1) == 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input must have a non-empty last dim, got shape " + ShapeToString(X.shape()));
    const int64_t n = X.dim(X.rank() - 1), rows = X.size() / n;
    if (skip.dtype() != DataType::Float || !IsTrailingOf(skip.shape(), X.shape()) || skip.size() == 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input of shape " + ShapeToString(ctx.Input(0).shape()) + " and skip of shape " +
                                                          ShapeToString(ctx.Input(1).shape()) +
                                                          " must be floats, one of them the trailing dims of the other");
    const int64_t skip_rows = skip.size() / n;
    auto vector_input = [&](const Tensor* t, const char* what) -> const float* {
      if (!t) return nullptr;
      if (t->dtype() != DataType::Float || t->rank() != 1 || t->dim(0) != n)
        throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " must be a float vector of the hidden size " +
                                                            std::to_string(n) + ", got shape " + ShapeToString(t->shape()));
      return t->data<float>();
    };
    const float* g = vector_input(&gamma, "gamma");
    const float* be = vector_input(beta, "beta");
    const float* bi = vector_input(bias, "bias");
    Tensor& Y = ctx.Output(0, DataType::Float, X.shape());
    std::vector<int64_t> stat_shape = X.shape();
    stat_shape.back() = 1;
    Tensor* mean_out = ctx.has_output(1) ? &ctx.Output(1, DataType::Float, stat_shape) : nullptr;
    Tensor* inv_out = ctx.has_output(2) ? &ctx.Output(2, DataType::Float, stat_shape) : nullptr;
    Tensor* sum_out = ctx.has_output(3) ? &ctx.Output(3, DataType::Float, X.shape()) : nullptr;
    if (Y.size() == 0) return;
    const float* x = X.data<float>();
    const float* sk = skip.data<float>();
    float* y = Y.data<float>();
    float* sums = sum_out ? sum_out->data<float>() : nullptr;
    ParallelFor(ctx.thread_pool(), rows, static_cast<double>(n) * 5, [&](int64_t r0, int64_t r1) {
      std::vector<float> scratch(sums ? 0 : static_cast<size_t>(n));
      for (int64_t r = r0; r < r1; ++r) {
        float* s = sums ? sums + r * n : scratch.data();
        mlas::BinaryF32(mlas::BinaryF32Op::Add, x + r * n, sk + (r % skip_rows) * n, s, n);
        if (bi) mlas::BinaryF32(mlas::BinaryF32Op::Add, s, bi, s, n);
        const float mean = mlas::RowSum(s, n) / static_cast<float>(n);
        const float var = mlas::RowSumSquaredDiff(s, n, mean) / static_cast<float>(n);
        const float inv = 1.0f / std::sqrt(var + epsilon_);
        mlas::RowNormalize(s, n, mean, inv, g, be, y + r * n);
        if (mean_out) mean_out->data<float>()[r] = mean;
        if (inv_out) inv_out->data<float>()[r] = inv;
      }
    });
  }

 private:
  // small, without its leading 1s, is the trailing dims of big.
  static bool IsTrailingOf(const std::vector<int64_t>& small, const std::vector<int64_t>& big) {
    size_t lead = 0;
    while (lead < small.size() && small[lead] == 1) ++lead;
    const size_t k = small.size() - lead;
    if (k > big.size() || k == 0) return k == 0 && !big.empty() && big.back() == 1;
    for (size_t i = 0; i < k; ++i)
      if (small[lead + i] != big[big.size() - k + i]) return false;
    return true;
  }

  float epsilon_;
};

}  // namespace

void RegisterLayerNormKernels(KernelRegistry& r) {
  const std::vector<DataType> types = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16};
  // From opset 1, not 17: onnxruntime runs LayerNormalization in ai.onnx below opset 17 too, and
  // its optimizer (and onyx's layer-norm fusion) writes it into such models.
  r.Register({kCpuProvider, "", "LayerNormalization", 1, INT64_MAX, types, MakeFactory<LayerNormalization>()});
  r.Register({kCpuProvider, "com.microsoft", "SkipLayerNormalization", 1, INT64_MAX, {DataType::Float},
              MakeFactory<SkipLayerNormalization>()});
}

}  // namespace onyx
