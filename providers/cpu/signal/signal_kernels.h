#pragma once
#include "cpu_kernels.h"

namespace onyx {

void RegisterDftKernels(KernelRegistry& r);     // dft.cc: DFT, STFT
void RegisterWindowKernels(KernelRegistry& r);  // windows.cc: Hann/Hamming/BlackmanWindow, MelWeightMatrix

}  // namespace onyx
