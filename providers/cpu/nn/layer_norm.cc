// LayerNormalization (ai.onnx 17): normalizes each row of the trailing dims from `axis` on,
// then applies Scale and B broadcast over those dims. Mean and InvStdDev are optional outputs.
#include <cmath>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "mlas/nn_reduce.h"
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

}  // namespace

void RegisterLayerNormKernels(KernelRegistry& r) {
  const std::vector<DataType> types = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16};
  // From opset 1, not 17: onnxruntime runs LayerNormalization in ai.onnx below opset 17 too, and
  // its optimizer (and onyx's layer-norm fusion) writes it into such models.
  r.Register({kCpuProvider, "", "LayerNormalization", 1, INT64_MAX, types, MakeFactory<LayerNormalization>()});
}

}  // namespace onyx
