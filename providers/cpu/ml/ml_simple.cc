// ai.onnx.ml ops without a model of their own: ArrayFeatureExtractor and Binarizer.
#include <cmath>

#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "ml/ml_common.h"

namespace onyx::ml {
namespace {

// Y[..., j] = X[..., indices[j]] over the last axis; a 1-D X is one row (onnxruntime's shape).
void ArrayFeatureExtractor(KernelContext& ctx) {
  const Tensor& x = ctx.Input(0);
  const Tensor& idx = ctx.Input(1);
  if (x.rank() == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "X must have at least one dimension");
  if (idx.dtype() != DataType::Int64)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("Y (the indices) must be int64, got ") + DataTypeName(idx.dtype()));
  const int64_t cols = x.shape().back();
  const int64_t k = idx.size();
  const int64_t* ids = idx.data<int64_t>();
  for (int64_t j = 0; j < k; ++j)
    if (ids[j] < 0 || ids[j] >= cols)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "index " + std::to_string(ids[j]) + " is out of range for the last dimension of X (" +
                                                          std::to_string(cols) + ")");
  std::vector<int64_t> shape = x.shape();
  if (shape.size() == 1) shape.insert(shape.begin(), 1);
  shape.back() = k;
  const int64_t rows = cols == 0 ? 0 : x.size() / cols;
  Tensor& y = ctx.Output(0, x.dtype(), shape);
  DispatchAll(x.dtype(), ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = static_cast<const T*>(x.raw_data());
    T* out = static_cast<T*>(y.raw_data());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < k; ++j) out[r * k + j] = in[r * cols + ids[j]];
  });
}

class BinarizerKernel : public OpKernel {
 public:
  explicit BinarizerKernel(const KernelInfo& info) : threshold_(info.GetFloat("threshold", 0.0f)) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    Tensor& y = ctx.Output(0, x.dtype(), x.shape());
    const double th = threshold_;
    switch (x.dtype()) {
      case DataType::Float: Apply<float>(x, y, th); break;
      case DataType::Double: Apply<double>(x, y, th); break;
      case DataType::Int64: Apply<int64_t>(x, y, th); break;
      case DataType::Int32: Apply<int32_t>(x, y, th); break;
      default:
        throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("X must be float, double, int64 or int32, got ") + DataTypeName(x.dtype()));
    }
  }

 private:
  template <typename T>
  static void Apply(const Tensor& x, Tensor& y, double th) {
    const T* in = x.data<T>();
    T* out = y.data<T>();
    for (int64_t i = 0; i < x.size(); ++i) out[i] = static_cast<double>(in[i]) > th ? T(1) : T(0);  // NaN -> 0
  }
  float threshold_;
};

}  // namespace

void RegisterSimpleMlKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "ai.onnx.ml", "ArrayFeatureExtractor", 1, INT64_MAX,
              {DataType::Float, DataType::Double, DataType::Int64, DataType::Int32, DataType::String},
              [](const KernelInfo&) -> std::unique_ptr<OpKernel> {
                return std::make_unique<FunctionKernel<void (*)(KernelContext&)>>(&ArrayFeatureExtractor);
              }});
  r.Register({kCpuProvider, "ai.onnx.ml", "Binarizer", 1, INT64_MAX, {DataType::Float, DataType::Double, DataType::Int64, DataType::Int32},
              MakeFactory<BinarizerKernel>()});
}

}  // namespace onyx::ml
