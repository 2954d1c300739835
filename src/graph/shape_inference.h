#pragma once
#include "graph/graph.h"

namespace onyx {

// Infers element types and shapes (with symbolic dims) of every value of the graph, node by
// node in topological order, from the graph inputs and initializers. Constant shape-like
// inputs (initializers, and small int64 values computed by Shape/Gather/Concat/... chains) are
// used where an op's output shape depends on them. Results go to graph.value_info (merged
// with what the model declared) and refine graph.outputs as onnxruntime does: a declared fixed
// dim stays, a declared symbolic or unknown dim takes an inferred fixed value.
// Ops without an inference rule give outputs of unknown shape; nothing here throws for them.
void InferShapes(Graph& graph);

// Merges an inferred value info into a declared one (declared wins where it is fixed).
ValueInfo MergeValueInfo(const ValueInfo& declared, const ValueInfo& inferred);

}  // namespace onyx
