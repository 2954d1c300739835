#pragma once
#include <string>
#include <vector>

namespace onyx::cli {

// `onyx test`: runs ONNX backend test folders (model.onnx + test_data_set_*/input_*.pb,
// output_*.pb), each test in a child process so that a crash or hang fails one test only.
int RunConformance(const std::vector<std::string>& args);

}  // namespace onyx::cli
