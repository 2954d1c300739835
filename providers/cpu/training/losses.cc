// NegativeLogLikelihoodLoss (ai.onnx 12, 13, 22) and SoftmaxCrossEntropyLoss (ai.onnx 12, 13):
// input (N, C, d1..dk), integer targets (N, d1..dk), optional per-class weight, ignore_index,
// reduction none/sum/mean (mean divides by the summed weights of the targets not ignored).
// Accumulation is in double; outputs take the input's type.
#include <cmath>
#include <limits>

#include "core/thread_pool.h"
#include "llm/llm_common.h"
#include "mlas/llm_softmax.h"

namespace onyx {

namespace {

class LossBase : public OpKernel {
 public:
  explicit LossBase(const KernelInfo& info, bool softmax)
      : softmax_(softmax),
        has_ignore_(info.HasAttribute("ignore_index")),
        ignore_index_(info.GetInt("ignore_index", 0)),
        reduction_(info.GetString("reduction", "mean")) {
    if (reduction_ != "none" && reduction_ != "sum" && reduction_ != "mean")
      throw info.MakeError(ErrorCode::InvalidArgument, "reduction must be none, sum or mean, got '" + reduction_ + "'");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const Tensor& target_t = ctx.Input(1);
    const Tensor* weight_t = ctx.OptionalInput(2);
    RequireFloating(X, ctx, softmax_ ? "scores" : "input");
    if (X.rank() < 2) throw ctx.MakeError(ErrorCode::InvalidArgument, "input must have rank >= 2 (N, C, ...), got " + ShapeToString(X.shape()));
    const int64_t N = X.dim(0), C = X.dim(1);
    std::vector<int64_t> target_shape = {N};
    target_shape.insert(target_shape.end(), X.shape().begin() + 2, X.shape().end());
    if (target_t.shape() != target_shape)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "target must have shape " + ShapeToString(target_shape) + ", got " +
                                                          ShapeToString(target_t.shape()));
    const std::vector<int64_t> target = ReadInt64s(target_t, ctx);
    std::vector<double> weight;
    if (weight_t) {
      if (weight_t->shape() != std::vector<int64_t>{C})
        throw ctx.MakeError(ErrorCode::InvalidArgument, "weight must have shape (C,) = (" + std::to_string(C) + "), got " +
                                                            ShapeToString(weight_t->shape()));
      RequireFloating(*weight_t, ctx, "weight");
      weight = LoadAll<double>(*weight_t, ctx);
    }
    const int64_t D = ShapeSize(std::vector<int64_t>(X.shape().begin() + 2, X.shape().end()));

    std::vector<double> x = LoadAll<double>(X, ctx);
    if (softmax_) {
      ParallelFor(ctx.thread_pool(), N * D, static_cast<double>(C) * 8, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) mlas::LlmLogSoftmaxStrided(x.data() + (i / D) * C * D + i % D, C, D);
      });
      if (ctx.has_output(1)) StoreAs<double>(x.data(), ctx.Output(1, X.dtype(), X.shape()), 0, X.size());
    }

    std::vector<double> loss(static_cast<size_t>(N * D), 0.0);
    double loss_sum = 0, weight_sum = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t d = 0; d < D; ++d) {
        const int64_t i = n * D + d, t = target[i];
        if (has_ignore_ && t == ignore_index_) continue;
        if (t < 0 || t >= C)
          throw ctx.MakeError(ErrorCode::InvalidArgument, "target value " + std::to_string(t) + " is outside [0, " +
                                                              std::to_string(C) + ")");
        const double w = weight_t ? weight[t] : 1.0;
        loss[i] = -x[(n * C + t) * D + d] * w;
        loss_sum += loss[i];
        weight_sum += w;
      }
    if (reduction_ == "none") {
      StoreAs<double>(loss.data(), ctx.Output(0, X.dtype(), target_shape), 0, static_cast<int64_t>(loss.size()));
      return;
    }
    double r = loss_sum;
    if (reduction_ == "mean") r = weight_sum == 0 ? std::numeric_limits<double>::quiet_NaN() : loss_sum / weight_sum;
    StoreAs<double>(&r, ctx.Output(0, X.dtype(), {}), 0, 1);
  }

 private:
  bool softmax_;
  bool has_ignore_;
  int64_t ignore_index_;
  std::string reduction_;
};

class NegativeLogLikelihoodLoss final : public LossBase {
 public:
  explicit NegativeLogLikelihoodLoss(const KernelInfo& info) : LossBase(info, false) {}
};

class SoftmaxCrossEntropyLoss final : public LossBase {
 public:
  explicit SoftmaxCrossEntropyLoss(const KernelInfo& info) : LossBase(info, true) {}
};

}  // namespace

void RegisterLossKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "NegativeLogLikelihoodLoss", 12, INT64_MAX, FloatingTypes(),
              MakeFactory<NegativeLogLikelihoodLoss>()});
  r.Register({kCpuProvider, "", "SoftmaxCrossEntropyLoss", 12, INT64_MAX, FloatingTypes(),
              MakeFactory<SoftmaxCrossEntropyLoss>()});
}

}  // namespace onyx
