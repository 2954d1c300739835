#pragma once
// Shared by the Conv + activation and Gemm + activation fusions: recognising the activation node
// and its fixed parameters, checking that the session's providers run the fused op, and the sweep
// that replaces each matched (producer, activation) pair by one fused node.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "optimizer/optimizer.h"
#include "optimizer/pattern.h"

namespace onyx {

struct MatchedActivation {
  std::string op;             // Relu, Sigmoid, Tanh, LeakyRelu, HardSigmoid, Clip
  std::vector<float> params;  // LeakyRelu [alpha], HardSigmoid [alpha, beta], Clip [min, max]
};

// The activation of `act`, an ai.onnx node whose input 0 is `x`, when the fused ops run it with
// fixed parameters: Relu, Sigmoid, Tanh, LeakyRelu, HardSigmoid, and (allow_clip) Clip whose
// bounds are attributes (before opset 11) or absent or constant float scalars. nullopt otherwise,
// also for attributes of the wrong type (the standalone kernel reports those).
std::optional<MatchedActivation> MatchActivation(const Graph& g, const Node& act, const std::string& x, bool allow_clip);

// Whether each of the session's providers that has a kernel for `original` also has one for
// the com.microsoft op `fused`: the partitioner must not be left with a node that the provider
// which would have run the original cannot run (the CUDA provider has no FusedConv/FusedGemm).
bool ProvidersRunFused(const OptimizerContext& ctx, const Node& original, const std::string& fused);

// The com.microsoft opset the graph imports, importing version 1 when it imports none.
int64_t ImportMicrosoftDomain(Graph& g);

// One sweep over the nodes: for each node that `fuse` accepts together with the only reader of
// its single output (that output being neither a graph output nor read by a subgraph), `fuse`
// returns the fused node, which replaces the pair. Returns whether anything changed.
using ActivationFuser = std::function<std::optional<Node>(const Node& producer, const Node& act, const GraphIndex& ix)>;
bool FuseWithActivation(Graph& g, const ActivationFuser& fuse);

}  // namespace onyx
