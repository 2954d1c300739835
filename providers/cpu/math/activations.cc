// Activation functions: Relu and its relatives, HardSigmoid/HardSwish, Softplus/Softsign, Mish, Gelu,
// com.microsoft QuickGelu.
#include <cmath>

#include "math/unary_common.h"
#include "mlas/math_activations.h"

namespace onyx::math {

namespace {

struct ReluOp {
  template <typename C> C operator()(C x) const { return x < C(0) ? C(0) : x; }  // NaN passes through
};
struct LeakyReluOp {
  explicit LeakyReluOp(const KernelInfo& info) : alpha(info.GetFloat("alpha", 0.01f)) {}
  template <typename C> C operator()(C x) const { return x < C(0) ? static_cast<C>(alpha) * x : x; }
  void Float(const float* x, float* y, int64_t n) const { mlas::LeakyReluF32(x, y, n, alpha); }
  float alpha;
};
struct EluOp {
  static constexpr double kCost = 10;
  explicit EluOp(const KernelInfo& info) : alpha(info.GetFloat("alpha", 1.0f)) {}
  template <typename C> C operator()(C x) const { return x < C(0) ? static_cast<C>(alpha) * std::expm1(x) : x; }
  float alpha;
};
struct SeluOp {
  static constexpr double kCost = 10;
  explicit SeluOp(const KernelInfo& info)
      : alpha(info.GetFloat("alpha", 1.67326319217681884765625f)), gamma(info.GetFloat("gamma", 1.05070102214813232421875f)) {}
  template <typename C> C operator()(C x) const {
    return x > C(0) ? static_cast<C>(gamma) * x : static_cast<C>(gamma) * static_cast<C>(alpha) * std::expm1(x);
  }
  float alpha, gamma;
};
struct CeluOp {
  static constexpr double kCost = 10;
  explicit CeluOp(const KernelInfo& info) : alpha(info.GetFloat("alpha", 1.0f)) {
    if (alpha == 0.f) throw info.MakeError(ErrorCode::InvalidGraph, "attribute 'alpha' must not be 0");
  }
  template <typename C> C operator()(C x) const {
    const C a = static_cast<C>(alpha);
    return x > C(0) ? x : a * std::expm1(x / a);  // max(0,x) + min(0, a*(exp(x/a)-1))
  }
  float alpha;
};
struct ThresholdedReluOp {
  explicit ThresholdedReluOp(const KernelInfo& info) : alpha(info.GetFloat("alpha", 1.0f)) {}
  template <typename C> C operator()(C x) const { return x > static_cast<C>(alpha) ? x : C(0); }
  float alpha;
};
struct HardSigmoidOp {
  explicit HardSigmoidOp(const KernelInfo& info) : alpha(info.GetFloat("alpha", 0.2f)), beta(info.GetFloat("beta", 0.5f)) {}
  template <typename C> C operator()(C x) const {
    C v = static_cast<C>(alpha) * x + static_cast<C>(beta);
    v = v < C(0) ? C(0) : v;
    return v > C(1) ? C(1) : v;
  }
  float alpha, beta;
};
struct HardSwishOp {
  template <typename C> C operator()(C x) const {
    C v = x * C(1.0 / 6.0) + C(0.5);
    v = v < C(0) ? C(0) : v;
    v = v > C(1) ? C(1) : v;
    return x * v;
  }
};
// log(1 + exp(x)) without overflow.
template <typename C>
C Softplus(C x) {
  return x > C(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}
struct SoftplusOp {
  static constexpr double kCost = 20;
  template <typename C> C operator()(C x) const { return Softplus(x); }
};
struct SoftsignOp {
  template <typename C> C operator()(C x) const { return x / (C(1) + std::abs(x)); }
};
struct MishOp {
  static constexpr double kCost = 30;
  template <typename C> C operator()(C x) const { return x * std::tanh(Softplus(x)); }
};
struct GeluOp {
  static constexpr double kCost = 15;
  explicit GeluOp(const KernelInfo& info) {
    std::string a = info.GetString("approximate", "none");
    if (a == "tanh") tanh = true;
    else if (a != "none") throw info.MakeError(ErrorCode::InvalidGraph, "attribute 'approximate' must be \"none\" or \"tanh\", got \"" + a + "\"");
  }
  template <typename C> C operator()(C x) const {
    if (tanh) {
      const C k = static_cast<C>(0.79788456080286535587989211986876);  // sqrt(2/pi)
      return C(0.5) * x * (C(1) + std::tanh(k * (x + C(0.044715) * x * x * x)));
    }
    return C(0.5) * x * (C(1) + std::erf(x * static_cast<C>(0.70710678118654752440084436210485)));
  }
  void Float(const float* x, float* y, int64_t n) const {
    if (tanh) mlas::GeluTanhF32(x, y, n);
    else mlas::GeluErfF32(x, y, n);
  }
  bool tanh = false;
};
// com.microsoft QuickGelu, y = x * sigmoid(alpha * x): SiLU/Swish at alpha = 1, which the
// optimizer's QuickGeluFusion writes for Mul(x, Sigmoid(x)) as onnxruntime's fusion does.
struct QuickGeluOp {
  static constexpr double kCost = 10;
  explicit QuickGeluOp(const KernelInfo& info) : alpha(info.GetFloat("alpha", 1.702f)) {}
  template <typename C> C operator()(C x) const {
    const C ax = static_cast<C>(alpha) * x;
    // Split by sign so that exp never overflows into inf/inf (as Sigmoid).
    if (ax >= 0) return x * (C(1) / (C(1) + std::exp(-ax)));
    const C e = std::exp(ax);
    return x * (e / (C(1) + e));  // NaN lands here and stays NaN
  }
  void Float(const float* x, float* y, int64_t n) const { mlas::QuickGeluF32(x, y, n, alpha); }
  float alpha;
};

// com.microsoft BiasGelu(A, B) = Gelu(A + B), erf form, B a vector as long as A's last dim (the
// optimizer's BiasGeluFusion writes it for Add(x, bias) -> Gelu, as onnxruntime's fusion does).
// Float, as onnxruntime's CPU kernel. One pass: each row's sum stays in L1 for the GELU.
class BiasGeluKernel final : public OpKernel {
 public:
  explicit BiasGeluKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    CheckSameType(ctx, 0, 1);
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(1);
    if (A.dtype() != DataType::Float)
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(A.dtype()) + " is not supported");
    if (A.rank() < 1 || B.rank() != 1 || B.dim(0) != A.dim(A.rank() - 1))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input 1 (bias) must be 1-D with the last dim of input 0: got " +
                                                          ShapeToString(B.shape()) + " for input 0 of shape " +
                                                          ShapeToString(A.shape()));
    Tensor& Y = ctx.Output(0, DataType::Float, A.shape());
    const int64_t n = B.size();
    if (Y.size() == 0) return;
    const float* a = A.data<float>();
    const float* b = B.data<float>();
    float* y = Y.data<float>();
    ParallelFor(ctx.thread_pool(), Y.size() / n, static_cast<double>(n) * GeluOp::kCost, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) mlas::BiasGeluErfF32(a + r * n, b, y + r * n, n);
    });
  }
};

}  // namespace

void RegisterActivationKernels(KernelRegistry& r) {
  RegisterOp<UnaryKernel<kSignedNumeric, ReluOp>>(r, "Relu", kSignedNumeric);
  RegisterOp<UnaryKernel<kFloats, LeakyReluOp>>(r, "LeakyRelu", kFloats);
  RegisterOp<UnaryKernel<kFloats, EluOp>>(r, "Elu", kFloats);
  RegisterOp<UnaryKernel<kFloats, SeluOp>>(r, "Selu", kFloats);
  RegisterOp<UnaryKernel<kFloats, CeluOp>>(r, "Celu", kFloats);
  RegisterOp<UnaryKernel<kFloats, ThresholdedReluOp>>(r, "ThresholdedRelu", kFloats);
  RegisterOp<UnaryKernel<kFloats, HardSigmoidOp>>(r, "HardSigmoid", kFloats);
  RegisterOp<UnaryKernel<kFloats, HardSwishOp>>(r, "HardSwish", kFloats);
  RegisterOp<UnaryKernel<kFloats, SoftplusOp>>(r, "Softplus", kFloats);
  RegisterOp<UnaryKernel<kFloats, SoftsignOp>>(r, "Softsign", kFloats);
  RegisterOp<UnaryKernel<kFloats, MishOp>>(r, "Mish", kFloats);
  RegisterOp<UnaryKernel<kFloats, GeluOp>>(r, "Gelu", kFloats, 20);
  // com.microsoft's Gelu (erf form, no attributes), emitted by the optimizer's GELU fusion for
  // graphs older than opset 20.
  KernelDef ms_gelu = *r.Find(kCpuProvider, "", "Gelu", 20);
  ms_gelu.domain = "com.microsoft";
  ms_gelu.since_version = 1;
  r.Register(std::move(ms_gelu));
  KernelDef quick_gelu;
  quick_gelu.provider = kCpuProvider;
  quick_gelu.domain = "com.microsoft";
  quick_gelu.op_type = "QuickGelu";
  quick_gelu.since_version = 1;
  quick_gelu.end_version = INT64_MAX;
  quick_gelu.types = TypeSetList(kFloats);
  quick_gelu.factory = MakeFactory<UnaryKernel<kFloats, QuickGeluOp>>();
  r.Register(std::move(quick_gelu));
  KernelDef bias_gelu;
  bias_gelu.provider = kCpuProvider;
  bias_gelu.domain = "com.microsoft";
  bias_gelu.op_type = "BiasGelu";
  bias_gelu.since_version = 1;
  bias_gelu.end_version = INT64_MAX;
  bias_gelu.types = {DataType::Float};
  bias_gelu.factory = MakeFactory<BiasGeluKernel>();
  r.Register(std::move(bias_gelu));
}

}  // namespace onyx::math
