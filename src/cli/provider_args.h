#pragma once
#include <string>
#include <vector>

#include "onyx/error.h"

namespace onyx::cli {

// "cuda,cpu" or "CUDAExecutionProvider" -> full provider names, in order.
inline std::vector<std::string> ParseProviderList(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string p = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (p == "cuda" || p == "CUDA") p = "CUDAExecutionProvider";
    else if (p == "cpu" || p == "CPU") p = "CPUExecutionProvider";
    if (p.empty()) throw Error(ErrorCode::InvalidArgument, "empty provider name in '" + list + "'");
    out.push_back(p);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace onyx::cli
