// ai.onnx.preview.training optimizers (version 1): Adagrad, Adam and Momentum (standard and
// Nesterov). Inputs are R (learning rate), T (step count) and then, for n tensors, the groups
// X..., G..., and the optimizer state(s); outputs are the updated X... then the state(s).
// Arithmetic is in double; each output keeps its input's type.
#include <cmath>

#include "core/thread_pool.h"
#include "llm/llm_common.h"

namespace onyx {

namespace {

inline constexpr const char* kTrainingDomain = "ai.onnx.preview.training";

double ReadScalar(const Tensor& t, const KernelContext& ctx, const char* name) {
  if (t.size() != 1)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " must be a scalar, got shape " + ShapeToString(t.shape()));
  double v = 0;
  LoadAs<double>(t, &v, 0, 1, ctx);
  return v;
}

// Checks the variadic layout: 2 + groups * n inputs and (groups or groups-1) * n outputs, with
// the tensors of one index all of one shape. Returns n.
int64_t CheckGroups(const KernelContext& ctx, int64_t groups, int64_t out_groups) {
  const int64_t rest = static_cast<int64_t>(ctx.num_inputs()) - 2;
  if (rest <= 0 || rest % groups != 0)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "expected R, T and " + std::to_string(groups) +
                                                        " groups of tensors, got " + std::to_string(ctx.num_inputs()) + " inputs");
  const int64_t n = rest / groups;
  if (static_cast<int64_t>(ctx.num_outputs()) > out_groups * n)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "expected at most " + std::to_string(out_groups * n) + " outputs, got " +
                                                        std::to_string(ctx.num_outputs()));
  for (int64_t i = 0; i < n; ++i) {
    const Tensor& x = ctx.Input(2 + i);
    RequireFloating(x, ctx, "X");
    for (int64_t g = 1; g < groups; ++g) {
      const Tensor& o = ctx.Input(2 + g * n + i);
      RequireFloating(o, ctx, "optimizer input");
      if (o.shape() != x.shape())
        throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(2 + g * n + i) + " has shape " +
                                                            ShapeToString(o.shape()) + ", expected " + ShapeToString(x.shape()));
    }
  }
  return n;
}

// Applies `step(values_in, values_out)` element-wise to tensor index i of every group, where
// values_in has `groups` entries (X, G, states...) and values_out has `out_groups` (X, states...).
template <typename Step>
void ApplyElementwise(KernelContext& ctx, int64_t n, int64_t groups, int64_t out_groups, Step step) {
  for (int64_t i = 0; i < n; ++i) {
    const Tensor& x = ctx.Input(2 + i);
    const int64_t size = x.size();
    std::vector<std::vector<double>> in(static_cast<size_t>(groups));
    for (int64_t g = 0; g < groups; ++g) in[g] = LoadAll<double>(ctx.Input(2 + g * n + i), ctx);
    std::vector<std::vector<double>> out(static_cast<size_t>(out_groups), std::vector<double>(static_cast<size_t>(size)));
    double vin[4], vout[4];
    for (int64_t e = 0; e < size; ++e) {
      for (int64_t g = 0; g < groups; ++g) vin[g] = in[g][e];
      step(vin, vout);
      for (int64_t g = 0; g < out_groups; ++g) out[g][e] = vout[g];
    }
    for (int64_t g = 0; g < out_groups; ++g) {
      const size_t slot = static_cast<size_t>(g * n + i);
      if (!ctx.has_output(slot)) continue;
      // The state outputs take the type of the state inputs they update (X for g == 0).
      const Tensor& src = ctx.Input(static_cast<size_t>(2 + (g == 0 ? 0 : g + 1) * n + i));
      StoreAs<double>(out[g].data(), ctx.Output(slot, src.dtype(), src.shape()), 0, size);
    }
  }
}

class Adagrad final : public OpKernel {
 public:
  explicit Adagrad(const KernelInfo& info)
      : norm_(info.GetFloat("norm_coefficient", 0.0f)),
        decay_(info.GetFloat("decay_factor", 0.0f)),
        eps_(info.GetFloat("epsilon", 1e-6f)) {}

  void Compute(KernelContext& ctx) const override {
    const double r = ReadScalar(ctx.Input(0), ctx, "R"), t = ReadScalar(ctx.Input(1), ctx, "T");
    const int64_t n = CheckGroups(ctx, 3, 2);
    const double lr = r / (1.0 + t * decay_);
    ApplyElementwise(ctx, n, 3, 2, [&](const double* in, double* out) {
      const double x = in[0], g = norm_ * x + in[1];
      const double h = in[2] + g * g;
      out[0] = x - lr * g / (std::sqrt(h) + eps_);
      out[1] = h;
    });
  }

 private:
  double norm_, decay_, eps_;
};

class Adam final : public OpKernel {
 public:
  explicit Adam(const KernelInfo& info)
      : alpha_(info.GetFloat("alpha", 0.9f)),
        beta_(info.GetFloat("beta", 0.999f)),
        eps_(info.GetFloat("epsilon", 1e-6f)),
        norm_(info.GetFloat("norm_coefficient", 0.0f)),
        norm_post_(info.GetFloat("norm_coefficient_post", 0.0f)) {}

  void Compute(KernelContext& ctx) const override {
    const double r = ReadScalar(ctx.Input(0), ctx, "R"), t = ReadScalar(ctx.Input(1), ctx, "T");
    const int64_t n = CheckGroups(ctx, 4, 3);
    const double lr = t > 0 ? r * std::sqrt(1.0 - std::pow(beta_, t)) / (1.0 - std::pow(alpha_, t)) : r;
    ApplyElementwise(ctx, n, 4, 3, [&](const double* in, double* out) {
      const double x = in[0], g = norm_ * x + in[1];
      const double v = alpha_ * in[2] + (1.0 - alpha_) * g;
      const double h = beta_ * in[3] + (1.0 - beta_) * g * g;
      out[0] = (1.0 - norm_post_) * (x - lr * v / (std::sqrt(h) + eps_));
      out[1] = v;
      out[2] = h;
    });
  }

 private:
  double alpha_, beta_, eps_, norm_, norm_post_;
};

class Momentum final : public OpKernel {
 public:
  explicit Momentum(const KernelInfo& info)
      : alpha_(info.Require("alpha", Attribute::Type::Float).f),
        beta_(info.Require("beta", Attribute::Type::Float).f),
        norm_(info.Require("norm_coefficient", Attribute::Type::Float).f),
        nesterov_(info.Require("mode", Attribute::Type::String).s == "nesterov") {
    const std::string mode = info.Require("mode", Attribute::Type::String).s;
    if (mode != "standard" && mode != "nesterov")
      throw info.MakeError(ErrorCode::InvalidArgument, "mode must be 'standard' or 'nesterov', got '" + mode + "'");
  }

  void Compute(KernelContext& ctx) const override {
    const double r = ReadScalar(ctx.Input(0), ctx, "R"), t = ReadScalar(ctx.Input(1), ctx, "T");
    const int64_t n = CheckGroups(ctx, 3, 2);
    const double beta = t > 0 ? beta_ : 1.0;  // the first step takes the whole gradient
    ApplyElementwise(ctx, n, 3, 2, [&](const double* in, double* out) {
      const double x = in[0], g = norm_ * x + in[1];
      const double v = alpha_ * in[2] + beta * g;
      out[0] = nesterov_ ? x - r * (g + alpha_ * v) : x - r * v;
      out[1] = v;
    });
  }

 private:
  double alpha_, beta_, norm_;
  bool nesterov_;
};

}  // namespace

void RegisterOptimizerKernels(KernelRegistry& r) {
  const std::vector<DataType> types = {DataType::Float, DataType::Double};
  r.Register({kCpuProvider, kTrainingDomain, "Adagrad", 1, INT64_MAX, types, MakeFactory<Adagrad>()});
  r.Register({kCpuProvider, kTrainingDomain, "Adam", 1, INT64_MAX, types, MakeFactory<Adam>()});
  r.Register({kCpuProvider, kTrainingDomain, "Momentum", 1, INT64_MAX, types, MakeFactory<Momentum>()});
}

}  // namespace onyx
