#pragma once
// Runs a single node outside any plan: for constant folding and for focused kernel tests.
#include <vector>

#include "core/kernel_registry.h"
#include "core/op_kernel.h"

namespace onyx {

class ThreadPool;

// Creates the kernel for `node` from `provider` and runs it on `inputs` (None for omitted
// inputs). Inputs are also offered to the kernel as constants at creation. Throws
// NotImplemented if no kernel exists.
std::vector<Value> EvaluateNode(const Node& node, const std::vector<Value>& inputs, const KernelRegistry& registry,
                                const std::string& provider, ThreadPool* pool = nullptr);

}  // namespace onyx
