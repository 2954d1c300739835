// ai.onnx.ml ops without a model of their own: ArrayFeatureExtractor, Binarizer, CategoryMapper.
#include <cmath>
#include <map>

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

// strings -> int64 through cats_strings[i] -> cats_int64s[i], or back; the direction follows the
// input type. Unknown keys give default_int64 / default_string.
class CategoryMapperKernel : public OpKernel {
 public:
  explicit CategoryMapperKernel(const KernelInfo& info)
      : default_int_(info.GetInt("default_int64", -1)), default_string_(info.GetString("default_string", "_Unused")) {
    const std::vector<int64_t> ints = info.GetInts("cats_int64s");
    const std::vector<std::string> strings = info.GetStrings("cats_strings");
    if (ints.size() != strings.size())
      throw info.MakeError(ErrorCode::InvalidGraph, "cats_int64s has " + std::to_string(ints.size()) + " values but cats_strings has " +
                                                        std::to_string(strings.size()));
    for (size_t i = 0; i < ints.size(); ++i) {
      to_int_.emplace(strings[i], ints[i]);  // the first of duplicate keys wins
      to_string_.emplace(ints[i], strings[i]);
    }
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    if (x.dtype() == DataType::String) {
      Tensor& y = ctx.Output(0, DataType::Int64, x.shape());
      for (int64_t i = 0; i < x.size(); ++i) {
        auto it = to_int_.find(x.data<std::string>()[i]);
        y.data<int64_t>()[i] = it == to_int_.end() ? default_int_ : it->second;
      }
    } else if (x.dtype() == DataType::Int64) {
      Tensor& y = ctx.Output(0, DataType::String, x.shape());
      for (int64_t i = 0; i < x.size(); ++i) {
        auto it = to_string_.find(x.data<int64_t>()[i]);
        y.data<std::string>()[i] = it == to_string_.end() ? default_string_ : it->second;
      }
    } else {
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("X must be string or int64, got ") + DataTypeName(x.dtype()));
    }
  }

 private:
  std::map<std::string, int64_t> to_int_;
  std::map<int64_t, std::string> to_string_;
  int64_t default_int_;
  std::string default_string_;
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
  r.Register({kCpuProvider, "ai.onnx.ml", "CategoryMapper", 1, INT64_MAX, {DataType::String, DataType::Int64},
              MakeFactory<CategoryMapperKernel>()});
}

}  // namespace onyx::ml
