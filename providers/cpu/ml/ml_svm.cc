// ai.onnx.ml SVMRegressor: sum_j coefficients[j] * K(x, support_vectors[j]) + rho[0] with the
// LINEAR, POLY, RBF or SIGMOID kernel, or a plain linear model when n_supports is 0. (SVMClassifier,
// with its one-vs-one votes and Platt probabilities, is not implemented.)
#include <cmath>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "ml/ml_common.h"

namespace onyx::ml {
namespace {

enum class SvmKernel { Linear, Poly, Rbf, Sigmoid };

class SVMRegressorKernel : public OpKernel {
 public:
  explicit SVMRegressorKernel(const KernelInfo& info)
      : one_class_(info.GetInt("one_class", 0) != 0),
        post_transform_(ParsePostTransform(info, info.GetString("post_transform", "NONE"))) {
    const std::vector<float> c = info.GetFloats("coefficients"), sv = info.GetFloats("support_vectors"), rho = info.GetFloats("rho");
    const std::vector<float> params = info.GetFloats("kernel_params");
    coefficients_.assign(c.begin(), c.end());
    support_vectors_.assign(sv.begin(), sv.end());
    if (rho.size() != 1) throw info.MakeError(ErrorCode::InvalidGraph, "rho must hold one value, got " + std::to_string(rho.size()));
    rho_ = rho[0];
    if (!params.empty()) {
      if (params.size() != 3) throw info.MakeError(ErrorCode::InvalidGraph, "kernel_params must be [gamma, coef0, degree], got " + std::to_string(params.size()) + " values");
      gamma_ = params[0];
      coef0_ = params[1];
      degree_ = std::isfinite(params[2]) ? std::trunc(static_cast<double>(params[2])) : 0.0;  // an integer degree, as the spec reads it
    }
    const std::string kernel = info.GetString("kernel_type", "LINEAR");
    if (kernel == "LINEAR") kernel_ = SvmKernel::Linear;
    else if (kernel == "POLY") kernel_ = SvmKernel::Poly;
    else if (kernel == "RBF") kernel_ = SvmKernel::Rbf;
    else if (kernel == "SIGMOID") kernel_ = SvmKernel::Sigmoid;
    else throw info.MakeError(ErrorCode::InvalidGraph, "kernel_type '" + kernel + "' is not one of LINEAR, POLY, RBF, SIGMOID");
    supports_ = info.GetInt("n_supports", 0);
    if (supports_ < 0) throw info.MakeError(ErrorCode::InvalidGraph, "n_supports is " + std::to_string(supports_));
    if (supports_ > 0) {
      if (coefficients_.size() != static_cast<size_t>(supports_))
        throw info.MakeError(ErrorCode::InvalidGraph, "coefficients has " + std::to_string(coefficients_.size()) + " values for " +
                                                          std::to_string(supports_) + " support vectors");
      if (support_vectors_.empty() || support_vectors_.size() % static_cast<size_t>(supports_) != 0)
        throw info.MakeError(ErrorCode::InvalidGraph, "support_vectors has " + std::to_string(support_vectors_.size()) + " values, not a positive multiple of n_supports " +
                                                          std::to_string(supports_));
      features_ = static_cast<int64_t>(support_vectors_.size()) / supports_;
    } else {
      if (coefficients_.empty()) throw info.MakeError(ErrorCode::InvalidGraph, "coefficients is empty");
      features_ = static_cast<int64_t>(coefficients_.size());
      kernel_ = SvmKernel::Linear;
    }
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const DataType dt = x.dtype();
    if (dt != DataType::Float && dt != DataType::Double && dt != DataType::Int64 && dt != DataType::Int32)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("X must be float, double, int64 or int32, got ") + DataTypeName(dt));
    if (x.rank() != 1 && x.rank() != 2) throw ctx.MakeError(ErrorCode::InvalidArgument, "X must be 1-D or 2-D, got " + ShapeToString(x.shape()));
    const int64_t rows = x.rank() == 1 ? 1 : x.dim(0), cols = x.shape().back();
    if (cols != features_)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "X has " + std::to_string(cols) + " features but the model has " + std::to_string(features_));
    Tensor& y = ctx.Output(0, DataType::Float, {rows, 1});
    const double cost = static_cast<double>(std::max<int64_t>(supports_, 1) * features_);
    ParallelFor(ctx.thread_pool(), rows, cost, [&](int64_t r0, int64_t r1) {
      std::vector<double> row(static_cast<size_t>(cols));
      for (int64_t r = r0; r < r1; ++r) {
        RowToDoubles(x, r * cols, cols, row.data());
        double s = rho_;
        if (supports_ == 0) {
          for (int64_t f = 0; f < cols; ++f) s += coefficients_[f] * row[f];
        } else {
          for (int64_t j = 0; j < supports_; ++j) s += coefficients_[j] * Kernel(row.data(), support_vectors_.data() + j * features_);
        }
        if (one_class_) s = s > 0 ? 1.0 : -1.0;
        ApplyPostTransform(post_transform_, &s, 1);
        y.data<float>()[r] = static_cast<float>(s);
      }
    });
  }

 private:
  double Kernel(const double* a, const double* b) const {
    double s = 0;
    if (kernel_ == SvmKernel::Rbf) {
      for (int64_t f = 0; f < features_; ++f) s += (a[f] - b[f]) * (a[f] - b[f]);
      return std::exp(-gamma_ * s);
    }
    for (int64_t f = 0; f < features_; ++f) s += a[f] * b[f];
    if (kernel_ == SvmKernel::Poly) return std::pow(gamma_ * s + coef0_, degree_);
    if (kernel_ == SvmKernel::Sigmoid) return std::tanh(gamma_ * s + coef0_);
    return s;
  }

  std::vector<double> coefficients_, support_vectors_;
  double rho_ = 0, gamma_ = 0, coef0_ = 0, degree_ = 0;
  SvmKernel kernel_ = SvmKernel::Linear;
  int64_t supports_ = 0, features_ = 0;
  bool one_class_;
  PostTransform post_transform_;
};

}  // namespace

void RegisterSvmKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "ai.onnx.ml", "SVMRegressor", 1, INT64_MAX, {DataType::Float, DataType::Double, DataType::Int64, DataType::Int32},
              MakeFactory<SVMRegressorKernel>()});
}

}  // namespace onyx::ml
