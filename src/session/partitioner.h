#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/execution_provider.h"
#include "graph/graph.h"

namespace onyx {

struct PartitionOptions {
  // Fail instead of running on the CPU a node that a requested device provider cannot run
  // (onnxruntime's "session.disable_cpu_ep_fallback").
  bool disable_cpu_fallback = false;
};

struct Placement {
  struct Entry {
    std::string node;      // node name (or "<op> #index" when unnamed)
    std::string op_type;
    std::string provider;
    std::string reason;    // why it is on the CPU while a device provider was asked for; empty otherwise
  };
  std::vector<Entry> nodes;  // in execution order, copy nodes included
  int copies = 0;            // copy nodes inserted at device edges
  // "CUDAExecutionProvider: 120 nodes, CPUExecutionProvider: 4 nodes (Shape x2, ...), 3 copies"
  std::string Summary() const;
};

// Assigns each node of g (the top-level graph; subgraphs run on the CPU) to the first provider,
// in the given priority order, that has a kernel for it and claims its operand types. Small
// integer shape computations whose inputs are on the host stay on the CPU. Where a value is
// produced on one device and read on another, a copy node (domain onyx.internal,
// MemcpyFromHost / MemcpyToHost) is inserted; graph outputs always end on the host.
Placement PartitionGraph(Graph& g, const std::vector<const ExecutionProvider*>& providers, const PartitionOptions& options = {});

}  // namespace onyx
