#pragma once
// The activation attributes of onnxruntime's com.microsoft fused ops, which the optimizer's
// Conv/Gemm + activation fusions write and whose models onnxruntime also loads:
//   FusedConv: activation (string), activation_params (floats: LeakyRelu [alpha], Clip [min, max],
//              HardSigmoid [alpha, beta]);
//   FusedGemm: activation (string), activation_alpha / activation_beta (LeakyRelu alpha,
//              HardSigmoid alpha and beta).
// No activation attribute means none (the op is then plain Conv/Gemm).
#include "core/op_kernel.h"
#include "mlas/fused_activation.h"

namespace onyx {

// Throws InvalidGraph for an unknown activation or a wrong parameter count, NotImplemented for
// an activation that onnxruntime knows but onyx does not fuse.
mlas::Activation FusedConvActivation(const KernelInfo& info);
mlas::Activation FusedGemmActivation(const KernelInfo& info);

}  // namespace onyx
