// ai.onnx.ml LinearRegressor and LinearClassifier: scores = X * coefficients^T + intercepts, one
// row of coefficients per target or class, then the post transform shared with the trees.
#include <cmath>

#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "ml/ml_common.h"

namespace onyx::ml {
namespace {

// X as rows of doubles: [N, F], or one row [F]. Checks the type and the feature count.
void ReadRows(const KernelContext& ctx, const Tensor& x, int64_t features, int64_t& rows) {
  const DataType dt = x.dtype();
  if (dt != DataType::Float && dt != DataType::Double && dt != DataType::Int64 && dt != DataType::Int32)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("X must be float, double, int64 or int32, got ") + DataTypeName(dt));
  if (x.rank() != 1 && x.rank() != 2) throw ctx.MakeError(ErrorCode::InvalidArgument, "X must be 1-D or 2-D, got " + ShapeToString(x.shape()));
  const int64_t cols = x.shape().back();
  rows = x.rank() == 1 ? 1 : x.dim(0);
  if (cols != features)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "X has " + std::to_string(cols) + " features but the coefficients are for " + std::to_string(features));
}

// The coefficient matrix [outputs, features]; `outputs` comes from the op (targets, classes).
struct Linear {
  std::vector<double> coefficients, intercepts;
  int64_t outputs = 0, features = 0;

  Linear(const KernelInfo& info, int64_t outs) : outputs(outs) {
    const std::vector<float> c = info.GetFloats("coefficients"), b = info.GetFloats("intercepts");
    coefficients.assign(c.begin(), c.end());
    intercepts.assign(b.begin(), b.end());
    if (outputs <= 0 || coefficients.empty() || coefficients.size() % static_cast<size_t>(outputs) != 0)
      throw info.MakeError(ErrorCode::InvalidGraph, "coefficients has " + std::to_string(coefficients.size()) + " values, not a positive multiple of " +
                                                        std::to_string(outputs) + " outputs");
    features = static_cast<int64_t>(coefficients.size()) / outputs;
    if (!intercepts.empty() && intercepts.size() != static_cast<size_t>(outputs))
      throw info.MakeError(ErrorCode::InvalidGraph, "intercepts has " + std::to_string(intercepts.size()) + " values but there are " +
                                                        std::to_string(outputs) + " outputs");
  }

  void Scores(const double* row, double* out) const {
    for (int64_t o = 0; o < outputs; ++o) {
      double s = intercepts.empty() ? 0.0 : intercepts[o];
      for (int64_t f = 0; f < features; ++f) s += coefficients[o * features + f] * row[f];
      out[o] = s;
    }
  }
};

class LinearRegressorKernel : public OpKernel {
 public:
  explicit LinearRegressorKernel(const KernelInfo& info)
      : linear_(info, info.GetInt("targets", 1)), post_transform_(ParsePostTransform(info, info.GetString("post_transform", "NONE"))) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    int64_t rows = 0;
    ReadRows(ctx, x, linear_.features, rows);
    const int64_t nt = linear_.outputs, nf = linear_.features;
    Tensor& y = ctx.Output(0, DataType::Float, {rows, nt});
    std::vector<double> row(static_cast<size_t>(nf)), scores(static_cast<size_t>(nt));
    for (int64_t r = 0; r < rows; ++r) {
      RowToDoubles(x, r * nf, nf, row.data());
      linear_.Scores(row.data(), scores.data());
      ApplyPostTransform(post_transform_, scores.data(), nt);
      for (int64_t t = 0; t < nt; ++t) y.data<float>()[r * nt + t] = static_cast<float>(scores[t]);
    }
  }

 private:
  Linear linear_;
  PostTransform post_transform_;
};

int64_t ClassRows(const KernelInfo& info) {
  // One row of coefficients per class, or a single row for two classes (its score and minus it).
  const size_t labels = std::max(info.GetStrings("classlabels_strings").size(), info.GetInts("classlabels_ints").size());
  const size_t intercepts = info.GetFloats("intercepts").size();
  if (intercepts > 0) return static_cast<int64_t>(intercepts);
  return static_cast<int64_t>(labels);
}

class LinearClassifierKernel : public OpKernel {
 public:
  explicit LinearClassifierKernel(const KernelInfo& info)
      : linear_(info, ClassRows(info)),
        post_transform_(ParsePostTransform(info, info.GetString("post_transform", "NONE"))),
        string_labels_(info.GetStrings("classlabels_strings")),
        int_labels_(info.GetInts("classlabels_ints")) {
    if (string_labels_.empty() == int_labels_.empty())
      throw info.MakeError(ErrorCode::InvalidGraph, "exactly one of classlabels_strings and classlabels_ints must be given");
    const size_t labels = string_labels_.size() + int_labels_.size();
    binary_ = linear_.outputs == 1 && labels == 2;
    if (!binary_ && labels != static_cast<size_t>(linear_.outputs))
      throw info.MakeError(ErrorCode::InvalidGraph, std::to_string(labels) + " class labels for " + std::to_string(linear_.outputs) +
                                                        " rows of coefficients");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    int64_t rows = 0;
    ReadRows(ctx, x, linear_.features, rows);
    const int64_t nf = linear_.features, nc = binary_ ? 2 : linear_.outputs;
    Tensor& labels = ctx.Output(0, string_labels_.empty() ? DataType::Int64 : DataType::String, {rows});
    Tensor& z = ctx.Output(1, DataType::Float, {rows, nc});
    std::vector<double> row(static_cast<size_t>(nf)), scores(static_cast<size_t>(nc));
    for (int64_t r = 0; r < rows; ++r) {
      RowToDoubles(x, r * nf, nf, row.data());
      linear_.Scores(row.data(), binary_ ? scores.data() + 1 : scores.data());
      int64_t best = 0;
      if (binary_) {
        // onnxruntime's two-class form: the one score t (after LOGISTIC or PROBIT; the softmaxes
        // of one value are skipped) and 1 - t for the first class.
        best = scores[1] > 0 ? 1 : 0;
        if (post_transform_ == PostTransform::Logistic || post_transform_ == PostTransform::Probit)
          ApplyPostTransform(post_transform_, scores.data() + 1, 1);
        scores[0] = 1 - scores[1];
      } else {
        for (int64_t c = 1; c < nc; ++c)
          if (scores[c] > scores[best]) best = c;
        ApplyPostTransform(post_transform_, scores.data(), nc);
      }
      if (string_labels_.empty()) labels.data<int64_t>()[r] = int_labels_[best];
      else labels.data<std::string>()[r] = string_labels_[best];
      for (int64_t c = 0; c < nc; ++c) z.data<float>()[r * nc + c] = static_cast<float>(scores[c]);
    }
  }

 private:
  Linear linear_;
  PostTransform post_transform_;
  std::vector<std::string> string_labels_;
  std::vector<int64_t> int_labels_;
  bool binary_ = false;
};

}  // namespace

void RegisterLinearKernels(KernelRegistry& r) {
  const std::vector<DataType> types = {DataType::Float, DataType::Double, DataType::Int64, DataType::Int32};
  r.Register({kCpuProvider, "ai.onnx.ml", "LinearRegressor", 1, INT64_MAX, types, MakeFactory<LinearRegressorKernel>()});
  r.Register({kCpuProvider, "ai.onnx.ml", "LinearClassifier", 1, INT64_MAX, types, MakeFactory<LinearClassifierKernel>()});
}

}  // namespace onyx::ml
