#pragma once
#include "graph/graph.h"

namespace onyx {

// Expands every ai.onnx.preview.training Gradient node of `graph` (not of its subgraphs) into
// the ai.onnx nodes that compute it: reverse-mode differentiation of the nodes between the
// node's `xs` and `y`, seeded with ones shaped like y (so a non-scalar y gives the gradient of
// the sum of its elements, as the spec's reference does). Needs the element types and shapes
// that InferShapes() found; broadcasting is undone with ReduceSum over axes known statically.
// Throws NotImplemented for an op on the path without a derivative rule, and for broadcasting
// over dims that are not known. Returns true if the graph changed (then sort and infer again).
bool ExpandGradients(Graph& graph);

}  // namespace onyx
