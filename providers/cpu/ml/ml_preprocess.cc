// ai.onnx.ml preprocessing ops on tensors: Normalizer, Scaler, Imputer, FeatureVectorizer and
// OneHotEncoder (the map/sequence inputs of DictVectorizer, ZipMap and CastMap are not supported).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "ml/ml_common.h"

namespace onyx::ml {
namespace {

bool IsMlNumeric(DataType dt) { return dt == DataType::Float || dt == DataType::Double || dt == DataType::Int64 || dt == DataType::Int32; }

void CheckNumeric(const KernelContext& ctx, const Tensor& x, const char* name) {
  if (!IsMlNumeric(x.dtype()))
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " must be float, double, int64 or int32, got " + DataTypeName(x.dtype()));
}

// Each row (the last axis) divided by its max, L1 or L2 norm; a zero norm leaves the row as is.
class NormalizerKernel : public OpKernel {
 public:
  explicit NormalizerKernel(const KernelInfo& info) : norm_(info.GetString("norm", "MAX")) {
    if (norm_ != "MAX" && norm_ != "L1" && norm_ != "L2")
      throw info.MakeError(ErrorCode::InvalidGraph, "norm '" + norm_ + "' is not one of MAX, L1, L2");
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    CheckNumeric(ctx, x, "X");
    if (x.rank() != 1 && x.rank() != 2) throw ctx.MakeError(ErrorCode::InvalidArgument, "X must be 1-D or 2-D, got " + ShapeToString(x.shape()));
    Tensor& y = ctx.Output(0, DataType::Float, x.shape());
    const int64_t cols = x.shape().back(), rows = cols == 0 ? 0 : x.size() / cols;
    std::vector<double> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      RowToDoubles(x, r * cols, cols, row.data());
      double norm = 0;
      if (norm_ == "MAX") {
        norm = cols > 0 ? *std::max_element(row.begin(), row.end()) : 0;
      } else if (norm_ == "L1") {
        for (double v : row) norm += std::abs(v);
      } else {
        for (double v : row) norm += v * v;
        norm = std::sqrt(norm);
      }
      for (int64_t c = 0; c < cols; ++c) y.data<float>()[r * cols + c] = static_cast<float>(norm != 0 ? row[c] / norm : row[c]);
    }
  }

 private:
  std::string norm_;
};

// (X - offset) * scale along the last axis; offset and scale hold one value or one per column.
class ScalerKernel : public OpKernel {
 public:
  explicit ScalerKernel(const KernelInfo& info) : offset_(info.GetFloats("offset")), scale_(info.GetFloats("scale")) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    CheckNumeric(ctx, x, "X");
    const int64_t cols = x.rank() == 0 ? 1 : x.shape().back();
    auto check = [&](const std::vector<float>& v, const char* name) {
      if (v.size() > 1 && static_cast<int64_t>(v.size()) != cols)
        throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " has " + std::to_string(v.size()) + " values but X has " +
                                                            std::to_string(cols) + " columns");
    };
    check(offset_, "offset");
    check(scale_, "scale");
    Tensor& y = ctx.Output(0, DataType::Float, x.shape());
    std::vector<double> v(static_cast<size_t>(x.size()));
    RowToDoubles(x, 0, x.size(), v.data());
    for (int64_t i = 0; i < x.size(); ++i) {
      const int64_t c = cols == 0 ? 0 : i % cols;
      const double off = offset_.empty() ? 0.0 : offset_[offset_.size() == 1 ? 0 : c];
      const double sc = scale_.empty() ? 1.0 : scale_[scale_.size() == 1 ? 0 : c];
      y.data<float>()[i] = static_cast<float>((v[i] - off) * sc);
    }
  }

 private:
  std::vector<float> offset_, scale_;
};

// Replaces replaced_value (NaN matches NaN) with the imputed value of its column.
class ImputerKernel : public OpKernel {
 public:
  explicit ImputerKernel(const KernelInfo& info)
      : floats_(info.GetFloats("imputed_value_floats")),
        ints_(info.GetInts("imputed_value_int64s")),
        replaced_float_(info.GetFloat("replaced_value_float", 0.0f)),
        replaced_int_(info.GetInt("replaced_value_int64", 0)) {
    if (floats_.empty() == ints_.empty())
      throw info.MakeError(ErrorCode::InvalidGraph, "exactly one of imputed_value_floats and imputed_value_int64s must be given");
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const bool is_float = x.dtype() == DataType::Float;
    if (!is_float && x.dtype() != DataType::Int64)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("X must be float or int64, got ") + DataTypeName(x.dtype()));
    if (is_float == floats_.empty())
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("X is ") + DataTypeName(x.dtype()) + " but the imputed values are " +
                                                          (floats_.empty() ? "int64" : "float"));
    const int64_t cols = x.rank() == 0 ? 1 : x.shape().back();
    const size_t n = is_float ? floats_.size() : ints_.size();
    if (n != 1 && static_cast<int64_t>(n) != cols)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "there are " + std::to_string(n) + " imputed values but X has " + std::to_string(cols) + " columns");
    Tensor& y = ctx.Output(0, x.dtype(), x.shape());
    for (int64_t i = 0; i < x.size(); ++i) {
      const size_t c = n == 1 ? 0 : static_cast<size_t>(i % cols);
      if (is_float) {
        const float v = x.data<float>()[i];
        const bool hit = std::isnan(replaced_float_) ? std::isnan(v) : v == replaced_float_;
        y.data<float>()[i] = hit ? floats_[c] : v;
      } else {
        const int64_t v = x.data<int64_t>()[i];
        y.data<int64_t>()[i] = v == replaced_int_ ? ints_[c] : v;
      }
    }
  }

 private:
  std::vector<float> floats_;
  std::vector<int64_t> ints_;
  float replaced_float_;
  int64_t replaced_int_;
};

// Concatenates its inputs' columns, each cut or zero-padded to inputdimensions[i].
class FeatureVectorizerKernel : public OpKernel {
 public:
  explicit FeatureVectorizerKernel(const KernelInfo& info) : dims_(info.GetInts("inputdimensions")) {
    for (int64_t d : dims_)
      if (d < 0 || d > (int64_t{1} << 31)) throw info.MakeError(ErrorCode::InvalidGraph, "inputdimensions holds " + std::to_string(d));
    if (dims_.size() != info.num_inputs())
      throw info.MakeError(ErrorCode::InvalidGraph, "inputdimensions has " + std::to_string(dims_.size()) + " values for " +
                                                        std::to_string(info.num_inputs()) + " inputs");
  }
  void Compute(KernelContext& ctx) const override {
    int64_t rows = -1, total = 0;
    for (size_t i = 0; i < dims_.size(); ++i) {
      const Tensor& x = ctx.Input(i);
      CheckNumeric(ctx, x, ("input " + std::to_string(i)).c_str());
      if (x.rank() != 1 && x.rank() != 2)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " must be 1-D or 2-D, got " + ShapeToString(x.shape()));
      const int64_t n = x.rank() == 1 ? 1 : x.dim(0);
      if (rows >= 0 && n != rows)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " has " + std::to_string(n) + " rows, input 0 has " + std::to_string(rows));
      rows = n;
      total += dims_[i];
    }
    if (rows < 0) rows = 0;
    Tensor& y = ctx.Output(0, DataType::Float, {rows, total});
    std::memset(y.raw_data(), 0, y.nbytes());  // an input narrower than its dimension is padded with zeros
    int64_t start = 0;
    for (size_t i = 0; i < dims_.size(); ++i) {
      const Tensor& x = ctx.Input(i);
      const int64_t cols = x.shape().back(), take = std::min(cols, dims_[i]);
      std::vector<double> row(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        RowToDoubles(x, r * cols, cols, row.data());
        for (int64_t c = 0; c < take; ++c) y.data<float>()[r * total + start + c] = static_cast<float>(row[c]);
      }
      start += dims_[i];
    }
  }

 private:
  std::vector<int64_t> dims_;
};

// One float per category after the input's dimensions; numbers are truncated to int64 as
// onnxruntime does (NaN and out-of-range values match no category).
class OneHotEncoderKernel : public OpKernel {
 public:
  explicit OneHotEncoderKernel(const KernelInfo& info) : zeros_(info.GetInt("zeros", 1) != 0) {
    const std::vector<int64_t> ints = info.GetInts("cats_int64s");
    const std::vector<std::string> strings = info.GetStrings("cats_strings");
    if (ints.empty() == strings.empty())
      throw info.MakeError(ErrorCode::InvalidGraph, "exactly one of cats_int64s and cats_strings must be given");
    for (size_t i = ints.size(); i-- > 0;) int_cats_[ints[i]] = static_cast<int64_t>(i);
    for (size_t i = strings.size(); i-- > 0;) string_cats_[strings[i]] = static_cast<int64_t>(i);
    count_ = static_cast<int64_t>(ints.size() + strings.size());
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const bool strings = x.dtype() == DataType::String;
    if (strings == string_cats_.empty())
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("X is ") + DataTypeName(x.dtype()) + " but the categories are " +
                                                          (string_cats_.empty() ? "int64" : "strings"));
    if (!strings) CheckNumeric(ctx, x, "X");
    std::vector<int64_t> shape = x.shape();
    shape.push_back(count_);
    Tensor& y = ctx.Output(0, DataType::Float, shape);
    std::memset(y.raw_data(), 0, y.nbytes());  // only the matching category of each input is set
    std::vector<double> v(strings ? 0 : static_cast<size_t>(x.size()));
    if (!strings) RowToDoubles(x, 0, x.size(), v.data());
    for (int64_t i = 0; i < x.size(); ++i) {
      int64_t cat = -1;
      if (strings) {
        auto it = string_cats_.find(x.data<std::string>()[i]);
        if (it != string_cats_.end()) cat = it->second;
      } else if (x.dtype() == DataType::Int64) {
        auto it = int_cats_.find(x.data<int64_t>()[i]);
        if (it != int_cats_.end()) cat = it->second;
      } else if (std::isfinite(v[i]) && std::abs(v[i]) < 9.2e18) {
        auto it = int_cats_.find(static_cast<int64_t>(v[i]));
        if (it != int_cats_.end()) cat = it->second;
      }
      if (cat >= 0) y.data<float>()[i * count_ + cat] = 1.0f;
      else if (!zeros_)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "element " + std::to_string(i) + " of X is in no category and zeros is 0");
    }
  }

 private:
  std::map<int64_t, int64_t> int_cats_;
  std::map<std::string, int64_t> string_cats_;
  int64_t count_ = 0;
  bool zeros_;
};

}  // namespace

void RegisterPreprocessKernels(KernelRegistry& r) {
  const std::vector<DataType> numeric = {DataType::Float, DataType::Double, DataType::Int64, DataType::Int32};
  r.Register({kCpuProvider, "ai.onnx.ml", "Normalizer", 1, INT64_MAX, numeric, MakeFactory<NormalizerKernel>()});
  r.Register({kCpuProvider, "ai.onnx.ml", "Scaler", 1, INT64_MAX, numeric, MakeFactory<ScalerKernel>()});
  r.Register({kCpuProvider, "ai.onnx.ml", "Imputer", 1, INT64_MAX, {DataType::Float, DataType::Int64}, MakeFactory<ImputerKernel>()});
  r.Register({kCpuProvider, "ai.onnx.ml", "FeatureVectorizer", 1, INT64_MAX, numeric, MakeFactory<FeatureVectorizerKernel>()});
  r.Register({kCpuProvider, "ai.onnx.ml", "OneHotEncoder", 1, INT64_MAX,
              {DataType::String, DataType::Int64, DataType::Int32, DataType::Float, DataType::Double}, MakeFactory<OneHotEncoderKernel>()});
}

}  // namespace onyx::ml
