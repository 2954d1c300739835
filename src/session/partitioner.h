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

// The reason given for small integer shape computations kept on the CPU on purpose (not a
// fallback: they are cheaper there).
inline constexpr const char* kShapeComputation = "shape computation";

// Shape and Size read only a tensor's shape: their input may live on any device.
bool ReadsMetadataOnly(const Node& n);

struct Placement {
  std::vector<NodePlacement> nodes;  // in execution order, copy nodes included
  int copies = 0;                    // copy nodes inserted at device edges
  // "CUDAExecutionProvider: 120 nodes, CPUExecutionProvider: 4 nodes, 3 copies"
  std::string Summary() const;
  // "Erf, Pow x2": ops left on the CPU because no device provider could run them (shape
  // computations excluded); empty if none.
  std::string FallbackOps() const;
};

// Assigns each node of g (the top-level graph; subgraphs run on the CPU) to the first provider,
// in the given priority order, that has a kernel for it and claims its operand types. Small
// integer shape computations whose inputs are on the host stay on the CPU. Where a value is
// produced on one device and read on another, a copy node (domain onyx.internal,
// MemcpyFromHost / MemcpyToHost) is inserted; graph outputs always end on the host.
Placement PartitionGraph(Graph& g, const std::vector<const ExecutionProvider*>& providers, const PartitionOptions& options = {});

}  // namespace onyx
