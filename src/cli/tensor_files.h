#pragma once
#include <random>
#include <string>
#include <vector>

#include "onyx/tensor.h"

namespace onyx::cli {

// Reads a .npy (C order, little-endian) or a TensorProto .pb file.
Tensor LoadTensorFile(const std::string& path);
// Writes a host tensor as a .npy file (numeric and bool types).
void SaveNpy(const Tensor& t, const std::string& path);
// Random values suited to the type: normal floats, small non-negative integers, random bools.
Tensor RandomTensor(DataType dtype, const std::vector<int64_t>& shape, std::mt19937& rng);
// "float [1,10] min=.. max=.. mean=.. first: ..."
std::string Summarize(const Tensor& t);

}  // namespace onyx::cli
