#include "fused_activation_attrs.h"

#include <string>
#include <vector>

namespace onyx {

namespace {

using mlas::ActivationKind;

constexpr const char* kSupported = "Relu, Tanh, Sigmoid, LeakyRelu, Clip, HardSigmoid";

// The kind named `name`, for the activations onyx fuses (Clip only where allow_clip).
bool KindOf(const std::string& name, bool allow_clip, ActivationKind* kind) {
  if (name == "Relu") *kind = ActivationKind::Relu;
  else if (name == "Tanh") *kind = ActivationKind::Tanh;
  else if (name == "Sigmoid") *kind = ActivationKind::Sigmoid;
  else if (name == "LeakyRelu") *kind = ActivationKind::LeakyRelu;
  else if (name == "HardSigmoid") *kind = ActivationKind::HardSigmoid;
  else if (name == "Clip" && allow_clip) *kind = ActivationKind::Clip;
  else return false;
  return true;
}

[[noreturn]] void Unsupported(const KernelInfo& info, const std::string& name, const std::vector<std::string>& known_elsewhere,
                              const char* supported) {
  for (const auto& k : known_elsewhere)
    if (k == name)
      throw info.MakeError(ErrorCode::NotImplemented,
                           "activation '" + name + "' is not implemented (supported: " + supported + ")");
  throw info.MakeError(ErrorCode::InvalidGraph, "unknown activation '" + name + "' (expected one of: " + supported + ")");
}

}  // namespace

mlas::Activation FusedConvActivation(const KernelInfo& info) {
  mlas::Activation a;
  if (!info.HasAttribute("activation")) return a;
  const std::string name = info.GetString("activation", "");
  if (!KindOf(name, /*allow_clip=*/true, &a.kind)) Unsupported(info, name, {"Silu"}, kSupported);
  size_t want = 0;
  if (a.kind == ActivationKind::LeakyRelu) want = 1;
  else if (a.kind == ActivationKind::Clip || a.kind == ActivationKind::HardSigmoid) want = 2;
  if (want == 0) return a;  // onnxruntime ignores activation_params for the others too
  const std::vector<float> params = info.GetFloats("activation_params");
  if (params.size() != want)
    throw info.MakeError(ErrorCode::InvalidGraph, "activation '" + name + "' takes " + std::to_string(want) +
                                                      " activation_params, got " + std::to_string(params.size()));
  a.alpha = params[0];
  if (want == 2) a.beta = params[1];
  return a;
}

mlas::Activation FusedGemmActivation(const KernelInfo& info) {
  mlas::Activation a;
  if (!info.HasAttribute("activation")) return a;
  const std::string name = info.GetString("activation", "");
  // What onnxruntime's FusedGemm also accepts.
  static const std::vector<std::string> kElsewhere = {"Elu", "Selu", "Celu", "Softplus", "Softsign", "ThresholdedRelu",
                                                      "ParametricSoftplus", "ScaledTanh"};
  if (!KindOf(name, /*allow_clip=*/false, &a.kind))
    Unsupported(info, name, kElsewhere, "Relu, Tanh, Sigmoid, LeakyRelu, HardSigmoid");
  if (a.kind == ActivationKind::LeakyRelu) {
    // activation_alpha, or the attribute older onnxruntime versions wrote.
    a.alpha = info.HasAttribute("activation_alpha") ? info.GetFloat("activation_alpha", 0.01f)
                                                    : info.GetFloat("leaky_relu_alpha", 0.01f);
  } else if (a.kind == ActivationKind::HardSigmoid) {
    a.alpha = info.GetFloat("activation_alpha", 0.2f);
    a.beta = info.GetFloat("activation_beta", 0.5f);
  }
  return a;
}

}  // namespace onyx
