#pragma once
#include "core/kernel_registry.h"

namespace onyx {

inline constexpr const char* kCpuProvider = "CPUExecutionProvider";

// One registration function per family; each lives in its family folder.
void RegisterMathKernels(KernelRegistry& r);        // math/
void RegisterNnKernels(KernelRegistry& r);          // nn/
void RegisterTensorKernels(KernelRegistry& r);      // tensor/
void RegisterReductionKernels(KernelRegistry& r);   // reduction/
void RegisterControlFlowKernels(KernelRegistry& r); // controlflow/
void RegisterSequenceKernels(KernelRegistry& r);    // sequence/ (sequences and optionals)
void RegisterTextKernels(KernelRegistry& r);        // text/
void RegisterQuantizationKernels(KernelRegistry& r);// quantization/
void RegisterRnnKernels(KernelRegistry& r);         // rnn/
void RegisterSignalKernels(KernelRegistry& r);      // signal/ (DFT, STFT, windows, mel)
void RegisterObjectDetectionKernels(KernelRegistry& r);  // detection/ (NMS, RoiAlign, GridSample...)
void RegisterLlmKernels(KernelRegistry& r);         // llm/ (Attention, RotaryEmbedding, RMSNorm...)
void RegisterTrainingKernels(KernelRegistry& r);    // training/ (losses, ai.onnx.preview.training)

inline void RegisterCpuKernels(KernelRegistry& r) {
  RegisterMathKernels(r);
  RegisterNnKernels(r);
  RegisterTensorKernels(r);
  RegisterReductionKernels(r);
  RegisterControlFlowKernels(r);
  RegisterSequenceKernels(r);
  RegisterTextKernels(r);
  RegisterQuantizationKernels(r);
  RegisterRnnKernels(r);
  RegisterSignalKernels(r);
  RegisterObjectDetectionKernels(r);
  RegisterLlmKernels(r);
  RegisterTrainingKernels(r);
}

}  // namespace onyx
