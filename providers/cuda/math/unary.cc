// One-input math functions and activations on CUDA (float and float16, computed in float),
// Not (bool), and Clip.
#include <limits>
#include <string>

#include "core/float16.h"
#include "cuda_math.h"

namespace onyx::cuda {

namespace {

struct UnarySpec {
  const char* op;
  int64_t since;  // first ai.onnx version of the op
  UnaryOp kind;
};

// Every op whose attributes (if any) are read by ReadParams below.
const UnarySpec kUnaryOps[] = {
    {"Relu", 1, UnaryOp::Relu},           {"Sigmoid", 1, UnaryOp::Sigmoid},
    {"Tanh", 1, UnaryOp::Tanh},           {"Erf", 9, UnaryOp::Erf},
    {"Exp", 1, UnaryOp::Exp},             {"Log", 1, UnaryOp::Log},
    {"Sqrt", 1, UnaryOp::Sqrt},           {"Neg", 1, UnaryOp::Neg},
    {"Abs", 1, UnaryOp::Abs},             {"Reciprocal", 1, UnaryOp::Reciprocal},
    {"Floor", 1, UnaryOp::Floor},         {"Ceil", 1, UnaryOp::Ceil},
    {"Round", 11, UnaryOp::Round},        {"Sign", 9, UnaryOp::Sign},
    {"Sin", 7, UnaryOp::Sin},             {"Cos", 7, UnaryOp::Cos},
    {"Tan", 7, UnaryOp::Tan},             {"Asin", 7, UnaryOp::Asin},
    {"Acos", 7, UnaryOp::Acos},           {"Atan", 7, UnaryOp::Atan},
    {"Sinh", 9, UnaryOp::Sinh},           {"Cosh", 9, UnaryOp::Cosh},
    {"Asinh", 9, UnaryOp::Asinh},         {"Acosh", 9, UnaryOp::Acosh},
    {"Atanh", 9, UnaryOp::Atanh},         {"LeakyRelu", 1, UnaryOp::LeakyRelu},
    {"Elu", 1, UnaryOp::Elu},             {"Selu", 1, UnaryOp::Selu},
    {"Celu", 12, UnaryOp::Celu},          {"ThresholdedRelu", 10, UnaryOp::ThresholdedRelu},
    {"HardSigmoid", 1, UnaryOp::HardSigmoid}, {"HardSwish", 14, UnaryOp::HardSwish},
    {"Softplus", 1, UnaryOp::Softplus},   {"Softsign", 1, UnaryOp::Softsign},
    {"Mish", 18, UnaryOp::Mish},          {"Gelu", 20, UnaryOp::Gelu},
};

float AttrFloat(const Node& n, const char* name, float dflt) {
  const Attribute* a = n.FindAttribute(name);
  return a && a->type == Attribute::Type::Float ? a->f : dflt;
}

class UnaryKernel final : public CudaKernel {
 public:
  explicit UnaryKernel(const KernelInfo& info) : CudaKernel(info) {
    const std::string& op = info.node().op_type;
    bool found = false;
    for (const UnarySpec& s : kUnaryOps)
      if (op == s.op) kind_ = s.kind, found = true;
    if (!found) throw info.MakeError(ErrorCode::RuntimeException, "no CUDA unary kernel for " + op);
    switch (kind_) {
      case UnaryOp::LeakyRelu: params_.alpha = info.GetFloat("alpha", 0.01f); break;
      case UnaryOp::Elu: params_.alpha = info.GetFloat("alpha", 1.0f); break;
      case UnaryOp::Selu:
        params_.alpha = info.GetFloat("alpha", 1.67326319217681884765625f);
        params_.gamma = info.GetFloat("gamma", 1.05070102214813232421875f);
        break;
      case UnaryOp::Celu:
        params_.alpha = info.GetFloat("alpha", 1.0f);
        if (params_.alpha == 0.f) throw info.MakeError(ErrorCode::InvalidGraph, "attribute 'alpha' must not be 0");
        break;
      case UnaryOp::ThresholdedRelu: params_.alpha = info.GetFloat("alpha", 1.0f); break;
      case UnaryOp::HardSigmoid:
        params_.alpha = info.GetFloat("alpha", 0.2f);
        params_.beta = info.GetFloat("beta", 0.5f);
        break;
      case UnaryOp::Gelu: {
        const std::string a = info.GetString("approximate", "none");
        if (a == "tanh") kind_ = UnaryOp::GeluTanh;
        else if (a != "none")
          throw info.MakeError(ErrorCode::InvalidGraph, "attribute 'approximate' must be \"none\" or \"tanh\", got \"" + a + "\"");
        break;
      }
      default: break;
    }
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    ElemType t;
    if (!IsFloatType(X.dtype()) || !ToElemType(X.dtype(), &t))
      throw ctx.MakeError(ErrorCode::NotImplemented,
                          std::string("element type ") + DataTypeName(X.dtype()) + " is not supported on CUDA");
    Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
    if (Y.size() == 0) return;
    CheckCuda(LaunchUnary(kind_, t, X.raw_data(), Y.raw_data(), Y.size(), params_, stream()), ctx.node().op_type.c_str());
  }

 private:
  UnaryOp kind_ = UnaryOp::Relu;
  UnaryParams params_;
};

class NotKernel final : public CudaKernel {
 public:
  explicit NotKernel(const KernelInfo& info) : CudaKernel(info) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    if (X.dtype() != DataType::Bool)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("input must be bool, got ") + DataTypeName(X.dtype()));
    Tensor& Y = ctx.Output(0, DataType::Bool, X.shape());
    if (Y.size() == 0) return;
    CheckCuda(LaunchUnary(UnaryOp::Not, ElemType::Bool, X.raw_data(), Y.raw_data(), Y.size(), UnaryParams{}, stream()),
              "Not");
  }
};

// Clip: bounds from attributes before opset 11, from optional scalar inputs 1 and 2 (read on
// the host) since. A min above max gives max everywhere, as the spec says.
class ClipKernel final : public CudaKernel {
 public:
  explicit ClipKernel(const KernelInfo& info) : CudaKernel(info), legacy_(info.opset() < 11) {
    if (legacy_) {
      min_ = info.GetFloat("min", -std::numeric_limits<float>::max());
      max_ = info.GetFloat("max", std::numeric_limits<float>::max());
    }
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    ElemType t;
    if (!IsFloatType(X.dtype()) || !ToElemType(X.dtype(), &t))
      throw ctx.MakeError(ErrorCode::NotImplemented,
                          std::string("element type ") + DataTypeName(X.dtype()) + " is not supported on CUDA");
    UnaryParams q;
    if (legacy_) {
      q.alpha = min_;
      q.beta = max_;
    } else {
      q.alpha = Bound(ctx, 1, std::numeric_limits<float>::lowest());
      q.beta = Bound(ctx, 2, std::numeric_limits<float>::max());
    }
    Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
    if (Y.size() == 0) return;
    CheckCuda(LaunchUnary(UnaryOp::Clip, t, X.raw_data(), Y.raw_data(), Y.size(), q, stream()), "Clip");
  }

 private:
  static float Bound(const KernelContext& ctx, size_t i, float dflt) {
    const Tensor* b = ctx.OptionalInput(i);
    if (!b) return dflt;
    const char* name = i == 1 ? "min" : "max";
    if (b->dtype() != ctx.Input(0).dtype())
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " has element type " + DataTypeName(b->dtype()) +
                                                          " but input has " + DataTypeName(ctx.Input(0).dtype()));
    if (b->size() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " must be a scalar, got shape " + ShapeToString(b->shape()));
    if (!b->on_cpu()) throw ctx.MakeError(ErrorCode::RuntimeException, std::string(name) + " is not in host memory");
    return b->dtype() == DataType::Float16 ? HalfToFloat(b->data<uint16_t>()[0]) : b->data<float>()[0];
  }

  bool legacy_;
  float min_ = 0, max_ = 0;
};

}  // namespace

void RegisterCudaUnaryKernels(KernelRegistry& r) {
  for (const UnarySpec& s : kUnaryOps) {
    KernelDef d = CudaDef<UnaryKernel>(s.op, s.since, INT64_MAX, FloatTypes());
    const bool celu = s.kind == UnaryOp::Celu, gelu = s.kind == UnaryOp::Gelu;
    d.supports = [celu, gelu](const Node& n, const NodeOperandTypes& t) {
      if (!IsFloatType(InputType(t, 0))) return false;
      if (celu && AttrFloat(n, "alpha", 1.0f) == 0.f) return false;  // the CPU kernel reports it
      if (gelu) {
        const Attribute* a = n.FindAttribute("approximate");
        if (a && (a->type != Attribute::Type::String || (a->s != "none" && a->s != "tanh"))) return false;
      }
      return true;
    };
    if (gelu) {  // com.microsoft's Gelu, emitted by the optimizer's fusion before opset 20
      KernelDef ms = d;
      ms.domain = "com.microsoft";
      ms.since_version = 1;
      r.Register(std::move(ms));
    }
    r.Register(std::move(d));
  }
  KernelDef not_def = CudaDef<NotKernel>("Not", 1, INT64_MAX, {DataType::Bool});
  not_def.supports = [](const Node&, const NodeOperandTypes& t) { return InputType(t, 0) == DataType::Bool; };
  r.Register(std::move(not_def));

  KernelDef clip = CudaDef<ClipKernel>("Clip", 1, INT64_MAX, FloatTypes(), {1, 2});
  clip.supports = [](const Node& n, const NodeOperandTypes& t) {
    const DataType x = InputType(t, 0);
    if (!IsFloatType(x)) return false;
    if (n.opset >= 11)
      for (size_t i = 1; i <= 2; ++i)
        if (HasInput(n, i) && InputType(t, i) != x) return false;
    return true;
  };
  r.Register(std::move(clip));
}

}  // namespace onyx::cuda
